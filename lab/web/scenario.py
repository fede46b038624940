"""The timed scenario: the workload's requests dispatched in-process through a WSGI app.

``setup`` builds the app and its route table (untimed); ``run`` replays ``requests``
requests from the pool and returns their status counts and a digest of every successful
body (decompressed when gzipped), so every strategy and peer can be checked against the
reference; ``reset`` clears caches and rate-limit state; ``teardown`` releases Redis.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from lab import services
from lab.outcome import Outcome, fingerprint
from lab.web.app import App
from lab.web.apps import build_app, full_stack
from lab.web.limiters import LIMITERS
from lab.web.messages import WSGIApp
from lab.web.peers import PEER_APPS
from lab.web.workload import Workload

__all__ = ["State", "setup", "run", "reset", "teardown", "make_limiter", "WORKLOAD_LIMIT"]

#: The workload's limit per client: high enough that no request of a run is refused, so every
#: limiter gives the reference's answer while doing its full bookkeeping.
WORKLOAD_LIMIT = 10**9
WORKLOAD_WINDOW = 3600.0


@dataclass
class State:
    workload: Workload
    wsgi: WSGIApp
    app: App | None = None
    limiter: Any = None


def make_limiter(name: str, limit: int, window: float, prefix: str | None = None) -> Any:
    """The limiter called ``name``: one of :data:`lab.web.limiters.LIMITERS`, or ``redis``."""
    if name == "redis":
        from lab.web.redis_limiter import RedisFixedWindow

        prefix = prefix or f"lab:web:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        return RedisFixedWindow(limit, window, services.url("redis"), prefix)
    return LIMITERS[name](limit, window)


def setup(workload: Workload, choices: dict[str, str], params: dict[str, Any]) -> State:
    app_name = choices.get("app", "lab")
    if app_name != "lab":
        return State(workload, PEER_APPS[app_name](workload.specs))
    middleware = choices.get("middleware", "composed")
    limiter = None
    if middleware != "none":
        limiter = make_limiter(choices.get("ratelimit", "fixed-window"), WORKLOAD_LIMIT, WORKLOAD_WINDOW)
    stack = full_stack(workload.secret, limiter)
    app = build_app(workload.specs, choices.get("router", "trie"), middleware, stack)
    return State(workload, app, app, limiter)


def run(state: State, *, requests: int = 1_000, **choices: Any) -> Outcome:
    """Dispatch ``requests`` requests (the pool, replayed) through the app; count and digest."""
    wsgi, pool = state.wsgi, state.workload.requests
    statuses: Counter[int] = Counter()
    digest = hashlib.sha256()
    seen: list[Any] = [None, None]

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        seen[0], seen[1] = status, headers

    started = time.perf_counter()
    for i in range(requests):
        template, body = pool[i % len(pool)]
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(body)
        chunks = wsgi(environ, start_response)
        data = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        code = int(seen[0][:3])
        statuses[code] += 1
        if code < 300:
            if ("Content-Encoding", "gzip") in seen[1]:
                data = gzip.decompress(data)
            digest.update(b"%d %d\n" % (i % len(pool), len(data)))
            digest.update(data)
    elapsed = time.perf_counter() - started
    answer = {
        "requests": requests,
        "status": {str(code): statuses[code] for code in sorted(statuses)},
        "digest": digest.hexdigest()[:32],
    }
    counts = {
        "requests": requests,
        "ok": sum(v for k, v in statuses.items() if k < 300),
        "not_found": statuses[404],
        "not_allowed": statuses[405],
        "limited": statuses[429],
    }
    details = {
        "routes": state.workload.routes,
        "elapsed_s": elapsed,
        "us_per_request": elapsed / requests * 1e6,
    }
    return Outcome(answer, fingerprint(answer), requests, counts, details)


def reset(state: State) -> None:
    if state.app is not None:
        state.app.clear()


def teardown(state: State) -> None:
    if state.limiter is not None and hasattr(state.limiter, "close"):
        state.limiter.clear()
        state.limiter.close()
