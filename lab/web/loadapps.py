"""The apps a load test serves, one factory per configuration, over a tier's route table:
lab's app with the trie router and no middleware (``bare``), the full stack composed once
(``composed``) or on every request (``per-request``), and Falcon's app (``falcon``) on the
same table and handlers. Each is also one ``request``, the same bytes for all.

gunicorn calls a factory with no arguments in each worker: the route table's size comes from
``LAB_WEB_LOAD_ROUTES`` (default 100). The rate limiter counts per worker and never refuses
(its limit is the in-process scenario's).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from lab.web.apps import build_app, full_stack
from lab.web.limiters import LIMITERS
from lab.web.messages import WSGIApp
from lab.web.peers import falcon_app
from lab.web.scenario import WORKLOAD_LIMIT, WORKLOAD_WINDOW
from lab.web.table import specs
from lab.web.tokens import issue
from lab.web.workload import EXPIRES

__all__ = ["Config", "CONFIGS", "ROUTES_ENV", "PATH", "SECRET", "headers", "bare", "composed", "per_request"]

ROUTES_ENV = "LAB_WEB_LOAD_ROUTES"
#: the one request of a load test: a JSON GET through the deepest pattern, in every table
PATH = "/api/r1/42/items/a"
SECRET = hashlib.sha256(b"lab-web-load").digest()
ROUTER = "trie"


@dataclass(frozen=True)
class Config:
    """A configuration under load: its factory (``module:function``) and the record's choices."""

    name: str
    factory: str
    choices: dict[str, str]
    description: str


CONFIGS: dict[str, Config] = {
    c.name: c
    for c in (
        Config(
            "bare",
            "lab.web.loadapps:bare",
            {"app": "lab", "router": ROUTER, "middleware": "none"},
            "lab's app, trie router, no middleware",
        ),
        Config(
            "composed",
            "lab.web.loadapps:composed",
            {"app": "lab", "router": ROUTER, "middleware": "composed", "ratelimit": "fixed-window"},
            "lab's app, full stack composed once",
        ),
        Config(
            "per-request",
            "lab.web.loadapps:per_request",
            {"app": "lab", "router": ROUTER, "middleware": "per-request", "ratelimit": "fixed-window"},
            "lab's app, full stack folded on every request",
        ),
        Config("falcon", "lab.web.loadapps:falcon", {"app": "falcon"}, "Falcon's app, routing and handlers"),
    )
}


def headers() -> dict[str, str]:
    """The request's headers: a valid token of an admin (only the stack reads it)."""
    return {"Authorization": f"Bearer {issue(SECRET, 'load', 'admin', EXPIRES)}"}


def _routes() -> int:
    return int(os.environ.get(ROUTES_ENV, "100"))


def _lab(middleware: str) -> WSGIApp:
    limiter = LIMITERS["fixed-window"](WORKLOAD_LIMIT, WORKLOAD_WINDOW)
    return build_app(specs(_routes()), ROUTER, middleware, full_stack(SECRET, limiter))


def bare() -> WSGIApp:
    return _lab("none")


def composed() -> WSGIApp:
    return _lab("composed")


def per_request() -> WSGIApp:
    return _lab("per-request")


def falcon() -> WSGIApp:
    return falcon_app(specs(_routes()))
