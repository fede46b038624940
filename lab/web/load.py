"""A load test of one configuration under the real server, and the record it makes.

:func:`measure` starts gunicorn on loopback serving the configuration's app, checks the
request answers 200, warms the server up, drives it with a load generator in its own process
(:mod:`lab.web.loadgen`), and always stops the server. :func:`record` turns the result into a
measurement record like any other, over one or more rounds: ``per_s`` is requests per
second (the median of the rounds'); the latency percentiles and errors are in ``extras``.
"""

from __future__ import annotations

import hashlib
import math
import os
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lab.measure import Record, make_record
from lab.measure.timing import Timing
from lab.web import loadgen
from lab.web.launch import get, running
from lab.web.loadapps import PATH, ROUTES_ENV, Config, headers
from lab.web.loadgen import LoadError, Result

__all__ = ["Plan", "measure", "record", "stability", "SOURCE", "SUSTAINED", "STABLE_FACTOR"]

#: the records' source: they sit in their own sections of the report (a paced run in its own,
#: so that it is never read as the same benchmark at another size)
SOURCE = "load"
SUSTAINED = "load-sustained"
#: how long past its duration a load generator may run before it is stopped (and the run fails)
LATE_S = 60.0
#: a sustained run is stable when every window's p99 is within this factor of the median window's
STABLE_FACTOR = 2.0


@dataclass(frozen=True)
class Plan:
    """How every configuration is loaded: the route table, the server, the generator."""

    tier: str
    routes: int
    workers: int
    connections: int
    duration_s: float
    warmup_s: float
    tool: str
    window_s: float = 10.0
    #: gunicorn's worker class: ``sync`` closes every connection, ``gthread`` keeps them alive
    worker_class: str = "sync"
    threads: int = 4

    @property
    def keep_alive(self) -> bool:
        return self.worker_class != "sync"

    @property
    def server(self) -> str:
        """The server, in words."""
        if not self.keep_alive:
            return f"gunicorn, {self.workers} sync workers, 127.0.0.1"
        threads = f"{self.threads} threads each"
        return f"gunicorn, {self.workers} {self.worker_class} workers of {threads}, keep-alive, 127.0.0.1"


def _generator(plan: Plan, port: int, duration_s: float, rate: float | None) -> loadgen.Generator:
    if rate is None and plan.tool == "wrk":
        return loadgen.wrk(port, PATH, headers(), duration_s, plan.connections)
    return loadgen.client(
        port, PATH, headers(), duration_s, plan.connections, rate, plan.window_s, plan.keep_alive
    )


def measure(
    config: Config,
    plan: Plan,
    rate: float | None = None,
    duration_s: float | None = None,
    on_tick: Callable[[], None] | None = None,
) -> tuple[Result, str]:
    """Load ``config``'s app for ``duration_s`` (default the plan's): at its maximum rate, or at
    ``rate`` requests/s (the paced Python client), after a warm-up of the same kind. Returns
    the result and a fingerprint of the response body."""
    duration_s = duration_s or plan.duration_s
    env = {ROUTES_ENV: str(plan.routes)}
    server = running(
        config.factory,
        plan.workers,
        env,
        PATH,
        headers(),
        worker_class=plan.worker_class,
        threads=plan.threads,
    )
    with server as (port, _):
        status, _, body = get(port, PATH, headers())
        if status != 200:
            raise LoadError(f"{config.name}: GET {PATH} answered {status}, not 200")
        if plan.warmup_s > 0:
            _generator(plan, port, plan.warmup_s, rate).start().wait(on_tick, plan.warmup_s + LATE_S)
        result = _generator(plan, port, duration_s, rate).start().wait(on_tick, duration_s + LATE_S)
    result = replace(result, load_average=round(os.getloadavg()[0], 2))  # other work, at the end
    return result, hashlib.sha256(body).hexdigest()[:16]


def stability(result: Result) -> dict[str, Any]:
    """The p99 of each window of a run, their spread (max / min) and whether it is stable:
    every window's p99 within :data:`STABLE_FACTOR` of the median window's."""
    p99s = [w["p99_s"] for w in result.windows if w["requests"]]
    if not p99s:
        return {"p99_s": [], "spread": None, "stable": False}
    middle = statistics.median(p99s)
    stable = all(middle / STABLE_FACTOR <= p <= middle * STABLE_FACTOR for p in p99s)
    return {"p99_s": p99s, "spread": max(p99s) / min(p99s) if min(p99s) else None, "stable": stable}


def record(
    config: Config,
    plan: Plan,
    results: Sequence[Result],
    fingerprint: str,
    run_id: str,
    command: str,
    duration_s: float,
    extra: Mapping[str, Any] | None = None,
) -> Record:
    """The measurement record of the rounds ``results`` of ``duration_s`` seconds each.

    ``n`` is the median of the rounds' requests and each sample the time a round's rate needs
    for ``n`` requests, so ``per_s`` is the median rate and the IQR its spread over rounds;
    p50 and p99 are medians over rounds, errors and ``counts`` sums. ``extra`` adds to
    ``extras``."""
    first = results[0]
    n = round(statistics.median(r.requests for r in results))
    params: dict[str, Any] = {
        "connections": plan.connections,
        "duration_s": duration_s,
        "workers": plan.workers,
        "generator": first.tool,
        "worker_class": plan.worker_class,
    }
    if first.target_rate:
        params["rate"] = round(first.target_rate)
    errors: dict[str, int] = {}
    for r in results:
        for kind, count in r.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    requests = sum(r.requests for r in results)
    extras = {
        "configuration": config.name,
        "server": plan.server,
        "path": PATH,
        "routes": plan.routes,
        **{f"{q}_s": statistics.median(r.latency_s[q] for r in results) for q in ("p50", "p90", "p99")},
        "max_s": max(r.latency_s["max"] for r in results),
        "errors": errors,
        "warmup_s": plan.warmup_s,
        "load_average_1min": statistics.median(r.load_average or 0.0 for r in results),
        "generator_pid": first.pid,
        "rounds": [_round(r) for r in results],
        "command": command,
        **(extra or {}),
    }
    if first.windows:
        extras["window_s"] = first.window_s
        extras["windows"] = first.windows
    return make_record(
        system="web",
        tier=plan.tier,
        choices=config.choices,
        params=params,
        n=n,
        timing=Timing([n / r.rate if r.rate else math.inf for r in results]),
        peak_bytes=None,
        peak_note="the requests are served by the server's worker processes",
        fingerprint=fingerprint,
        counts={"requests": requests, "ok": requests - sum(errors.values()), "errors": sum(errors.values())},
        extras=extras,
        item="requests",
        run_id=run_id,
        source=SUSTAINED if first.target_rate else SOURCE,
    )


def _round(result: Result) -> dict[str, Any]:
    return {
        "requests": result.requests,
        "duration_s": result.duration_s,
        "requests_per_s": result.rate,
        "p50_s": result.latency_s["p50"],
        "p99_s": result.latency_s["p99"],
        "errors": result.error_count,
        "load_average_1min": result.load_average,
        "generator_pid": result.pid,
    }
