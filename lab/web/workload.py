"""A tier's workload: its route table and a deterministic pool of requests (WSGI environs).

The tiers' ``routes`` (10 to 500) do not reach the sizes this system studies, so the web
system maps tiers to tables of its own: ``tiny`` 10, ``small`` 100, ``medium`` 1,000 and
``large`` 10,000 routes; larger tiers are refused. Every tier replays a pool of
:data:`POOL` requests (the ``tiny`` tier's ``requests``); what grows is the table. The
pool is made in milliseconds from (tier, seed), so it is not stored on disk.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any

from lab.tiers import Tier
from lab.web import tokens
from lab.web.messages import dumps
from lab.web.table import PAGE_ITEMS, Spec, specs

__all__ = ["ROUTES", "POOL", "CLIENTS", "EXPIRES", "Workload", "prepare", "refuses", "environ"]

#: route-table size per tier
ROUTES = {"tiny": 10, "small": 100, "medium": 1_000, "large": 10_000}
#: requests in a workload's pool (a run replays it, ``requests`` in all)
POOL = 1_000
#: distinct clients (addresses, each with its own token)
CLIENTS = 50
#: tokens of the workload expire in 2100: a pool made today stays valid
EXPIRES = 4_102_444_800


@dataclass(frozen=True)
class Workload:
    """The route table (``specs``), the token secret, and the request pool."""

    name: str
    routes: int
    specs: list[Spec]
    secret: bytes
    requests: list[tuple[dict[str, Any], bytes]]


def refuses(tier: Tier) -> str | None:
    if tier.name in ROUTES:
        return None
    return f"the web system's route tables stop at the large tier (10,000 routes); {tier.name} has none"


def environ(
    method: str, path: str, query: str = "", body: bytes = b"", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A WSGI environ for one request (without ``wsgi.input``: added per call)."""
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.errors": None,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = "application/json"
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def prepare(tier: Tier, seed: int = 0, progress: Any = None) -> Workload:
    """The route table of ``tier`` and its request pool."""
    routes = ROUTES[tier.name]
    table = specs(routes)
    rng = random.Random(f"web-{tier.name}-{seed}")
    secret = hashlib.sha256(f"lab-web-{seed}".encode()).digest()
    clients = [
        (f"10.0.{c // 250}.{c % 250 + 1}", tokens.issue(secret, f"client-{c}", "admin", EXPIRES))
        for c in range(CLIENTS)
    ]
    resources = routes // 5
    pool = [_request(rng, rng.randrange(resources), clients[rng.randrange(CLIENTS)]) for _ in range(POOL)]
    return Workload(f"web-{tier.name}-seed{seed}", routes, table, secret, pool)


def _request(rng: random.Random, r: int, client: tuple[str, str]) -> tuple[dict[str, Any], bytes]:
    """One request to resource ``r``: mostly reads, some writes, a few unknown paths and methods."""
    address, token = client
    headers = {"Authorization": f"Bearer {token}"}
    roll = rng.random()
    query, body, method = "", b"", "GET"
    ident = rng.randrange(1, 10**6)
    if roll < 0.40:
        path = f"/api/r{r}/{ident}"
    elif roll < 0.55:
        path = f"/api/r{r}/{ident}/items/part-{rng.randrange(100)}"
    elif roll < 0.65:
        path = f"/api/r{r}/by-slug/slug-{rng.randrange(1000)}"
    elif roll < 0.75:
        path, query = f"/api/r{r}", f"limit={rng.randrange(1, PAGE_ITEMS)}&offset={rng.randrange(100)}"
        if rng.random() < 0.5:
            headers["Accept-Encoding"] = "gzip, deflate"
    elif roll < 0.80:
        path = f"/api/r{r}/new"
    elif roll < 0.88:
        method, path = "POST", f"/api/r{r}"
        body = dumps({"name": f"n{ident}", "qty": ident % 50})
    elif roll < 0.92:
        method, path = "PUT", f"/api/r{r}/{ident}"
        body = dumps({"name": f"n{ident}", "qty": ident % 50})
    elif roll < 0.95:
        method, path = "DELETE", f"/api/r{r}/{ident}"
    elif roll < 0.98:
        path = f"/api/r{r}/{ident}/nothing-here"
    else:
        method, path = "PATCH", f"/api/r{r}/new"
    env = environ(method, path, query, body, headers)
    env["REMOTE_ADDR"] = address
    return env, body
