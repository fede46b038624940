"""A demo API over lab's own results, served by lab's framework: records and claims as JSON.

Routes: ``GET /`` (the routes), ``/health``, ``/records?system=&limit=&offset=``,
``/records/{index:int}``, ``/systems`` (record counts per system), ``/claims`` (the rows of
``claims.md``'s table) and ``/whoami`` (needs a token); ``/health`` is not rate limited.
Records are read through :func:`lab.measure.load_records` when the app starts.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lab.measure import load_records
from lab.paths import results_dir
from lab.web.app import App
from lab.web.messages import HTTPError, Request
from lab.web.middleware import Authentication, Errors, Gzip, Logging, Middleware, RateLimit
from lab.web.scenario import make_limiter

__all__ = ["create_app", "claims_rows"]

#: Environment of the served app: the rate limiter, its limit per window, the token secret.
LIMITER_ENV, RATE_ENV, SECRET_ENV, PREFIX_ENV = (
    "LAB_WEB_LIMITER",
    "LAB_WEB_RATE",
    "LAB_WEB_SECRET",
    "LAB_WEB_REDIS_PREFIX",
)


def claims_rows(path: Path) -> list[dict[str, str]]:
    """The rows of the first markdown table in ``path`` as dicts keyed by its header."""
    if not path.exists():
        return []
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip().startswith("|")]
    if len(lines) < 2:
        return []
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == len(header):
            rows.append(dict(zip(header, cells, strict=True)))
    return rows


def create_app(results: str | None = None) -> App:
    """The demo app over ``results`` (default: lab's results folder), configured from the
    environment: ``LAB_WEB_LIMITER`` (a ratelimit strategy, default fixed-window),
    ``LAB_WEB_RATE`` (``LIMIT/SECONDS``, default 600/60), ``LAB_WEB_SECRET``."""
    folder = Path(results) if results else results_dir()
    records = [json.loads(r.to_json()) for r in load_records([folder / "runs"])]
    limit, _, window = os.environ.get(RATE_ENV, "600/60").partition("/")
    limiter = make_limiter(
        os.environ.get(LIMITER_ENV, "fixed-window"),
        int(limit),
        float(window or 60),
        os.environ.get(PREFIX_ENV),
    )
    secret = os.environ.get(SECRET_ENV, os.urandom(16).hex()).encode()
    app = App(
        router="trie",
        middleware=[
            Middleware(Logging),
            Middleware(Errors),
            Middleware(Gzip),
            Middleware(RateLimit, limiter=limiter, exempt=frozenset({"/health"})),
            Middleware(Authentication, secret=secret),
        ],
    )
    started = time.time()

    @app.route("/")
    def index() -> dict:
        return {"routes": sorted(app.routes)}

    @app.route("/health")
    def health() -> dict:
        return {
            "status": "ok",
            "pid": os.getpid(),
            "records": len(records),
            "up_s": round(time.time() - started, 3),
        }

    @app.route("/records")
    def list_records(system: str = "", limit: int = 50, offset: int = 0) -> dict:
        if limit < 0 or offset < 0 or limit > 1000:
            raise HTTPError(400, "limit is 0 to 1000 and offset at least 0")
        chosen = [r for r in records if not system or r.get("system") == system]
        return {"total": len(chosen), "offset": offset, "records": chosen[offset : offset + limit]}

    @app.route("/records/{index:int}")
    def one_record(index: int) -> Any:
        if index >= len(records):
            raise HTTPError(404, f"no record {index} (there are {len(records)})")
        return records[index]

    @app.route("/systems")
    def systems() -> dict:
        return {"records": dict(Counter(r.get("system") for r in records))}

    @app.route("/claims")
    def claims() -> dict:
        return {"claims": claims_rows(folder / "claims.md")}

    @app.route("/whoami", roles=["reader", "admin"])
    def whoami(request: Request) -> dict:
        return {"subject": request.user.subject, "role": request.user.role}

    return app.build()
