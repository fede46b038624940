"""A load test of one configuration under the real server, and the record it makes.

:func:`measure` starts gunicorn on loopback serving the configuration's app, checks the
request answers 200, warms the server up, drives it with a load generator in its own process
(:mod:`lab.web.loadgen`), and always stops the server. :func:`record` turns the result into a
measurement record like any other: ``samples`` is the run's duration, ``n`` the requests done
in it, so ``per_s`` is requests per second; the latency percentiles and errors are in
``extras``.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


def _generator(plan: Plan, port: int, duration_s: float, rate: float | None) -> loadgen.Generator:
    if rate is None and plan.tool == "wrk":
        return loadgen.wrk(port, PATH, headers(), duration_s, plan.connections)
    return loadgen.client(port, PATH, headers(), duration_s, plan.connections, rate, plan.window_s)


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
    with running(config.factory, plan.workers, {ROUTES_ENV: str(plan.routes)}, PATH, headers()) as (port, _):
        status, _, body = get(port, PATH, headers())
        if status != 200:
            raise LoadError(f"{config.name}: GET {PATH} answered {status}, not 200")
        if plan.warmup_s > 0:
            _generator(plan, port, plan.warmup_s, rate).start().wait(on_tick)
        result = _generator(plan, port, duration_s, rate).start().wait(on_tick)
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
    result: Result,
    fingerprint: str,
    run_id: str,
    command: str,
    duration_s: float,
    extra: Mapping[str, Any] | None = None,
) -> Record:
    """The measurement record of one load run of ``duration_s`` seconds (as asked; the record's
    sample is the time it took); ``extra`` adds to its ``extras``."""
    params: dict[str, Any] = {
        "connections": plan.connections,
        "duration_s": duration_s,
        "workers": plan.workers,
        "generator": result.tool,
    }
    if result.target_rate:
        params["rate"] = round(result.target_rate)
    errors = result.error_count
    extras = {
        "configuration": config.name,
        "server": f"gunicorn, {plan.workers} sync workers, 127.0.0.1",
        "path": PATH,
        "routes": plan.routes,
        "requests_per_s": result.rate,
        "p50_s": result.latency_s["p50"],
        "p90_s": result.latency_s["p90"],
        "p99_s": result.latency_s["p99"],
        "max_s": result.latency_s["max"],
        "errors": dict(result.errors),
        "warmup_s": plan.warmup_s,
        "generator_pid": result.pid,
        "command": command,
        **(extra or {}),
    }
    if result.windows:
        extras["window_s"] = result.window_s
        extras["windows"] = result.windows
    return make_record(
        system="web",
        tier=plan.tier,
        choices=config.choices,
        params=params,
        n=result.requests,
        timing=Timing([result.duration_s]),
        peak_bytes=None,
        peak_note="the requests are served by the server's worker processes",
        fingerprint=fingerprint,
        counts={"requests": result.requests, "ok": result.requests - errors, "errors": errors},
        extras=extras,
        item="requests",
        run_id=run_id,
        source=SUSTAINED if result.target_rate else SOURCE,
    )
