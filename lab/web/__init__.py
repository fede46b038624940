"""Lesson 4, a web framework: routing, a middleware stack, authentication, authorization, rate
limits and gzip, as WSGI, measured by dispatching a tier's requests through the app.

Axes: ``app`` (lab's framework, or Falcon's or Flask's app on the same table), ``router``,
``middleware`` (composed once, per request, or none) and ``ratelimit``. Tiers map to route
tables of 10, 100, 1,000 and 10,000 routes (:mod:`lab.web.workload`).
"""

from __future__ import annotations

from collections.abc import Mapping

from lab import strategies
from lab.strategies import Axis, Command, Strategy, Sweep, System
from lab.web import command, loadcmd, scenario, serve, workload
from lab.web.app import App
from lab.web.decorators import cache, validate
from lab.web.messages import HTTPError, Request, Response
from lab.web.middleware import Middleware

__all__ = ["SYSTEM", "App", "Request", "Response", "HTTPError", "Middleware", "cache", "validate"]


def _applies(axis: str, chosen: Mapping[str, str]) -> bool:
    lab = chosen.get("app", "lab") == "lab"
    if axis == "ratelimit":
        return lab and chosen.get("middleware", "composed") != "none"
    return axis == "app" or lab


S = Strategy
SYSTEM = System(
    name="web",
    description="requests dispatched through a WSGI app: routing, middleware, auth, rate limits (lesson 4)",
    unit="requests",
    axes=(
        Axis(
            "app",
            "who answers the requests",
            (
                S("lab", "lab's framework (the router, middleware and ratelimit axes)"),
                S(
                    "falcon",
                    "Falcon's App on the same table, routing and handlers only",
                    packages=("falcon",),
                ),
                S("flask", "Flask's app on the same table, routing and handlers only", packages=("flask",)),
            ),
            reference="lab",
        ),
        Axis(
            "router",
            "how a path finds its route",
            (
                S("linear", "each route's regular expression in match order, first match wins"),
                S("compiled", "one alternation of every route; the last closed group names it"),
                S("trie", "a tree of segments, static before int before str, depth first"),
                S("werkzeug", "Werkzeug's Map (Flask's router), bound once", packages=("werkzeug",)),
                S("starlette", "Starlette's Route.matches, one route after another", packages=("starlette",)),
            ),
            reference="linear",
        ),
        Axis(
            "middleware",
            "the stack around the router: logging, errors, gzip, rate limit, authentication",
            (
                S("composed", "the full stack folded once, at start-up"),
                S("per-request", "the same stack folded again on every request"),
                S("none", "no middleware: routing and handlers alone (like for like with the peers)"),
            ),
            reference="composed",
        ),
        Axis(
            "ratelimit",
            "how requests are counted per client (the workload never reaches the limit)",
            (
                S("fixed-window", "a counter per client per window"),
                S("sliding-log", "every timestamp of the last window, per client"),
                S("sliding-counter", "this and the last window's counts, weighted"),
                S("token-bucket", "tokens refilled continuously"),
                S(
                    "redis",
                    "fixed windows counted in Redis by a Lua script, shared by worker processes",
                    packages=("redis",),
                    services=("redis",),
                ),
            ),
            reference="fixed-window",
        ),
    ),
    params={"requests": workload.POOL},
    applies=_applies,
    refuses=workload.refuses,
    prepare=workload.prepare,
    setup=scenario.setup,
    run=scenario.run,
    reset=scenario.reset,
    teardown=scenario.teardown,
    render=command.render,
    sweep=Sweep(("tiny", "small", "medium"), ("app", "router", "middleware", "ratelimit"), 5),
    commands=(
        Command(
            "serve",
            "serve lab's records and claims as a JSON API under gunicorn, on loopback",
            lambda argv, prog: serve.main(argv, prog),
        ),
        Command(
            "web-load",
            "load each middleware configuration and Falcon's app under gunicorn on loopback (wrk)",
            lambda argv, prog: loadcmd.main(argv, prog),
        ),
    ),
)
strategies.register(SYSTEM)
