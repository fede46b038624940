"""lab's application over a route table, with the middleware stack the ``middleware`` axis
names: ``composed`` and ``per-request`` run the full stack (logging, errors, gzip, rate
limit, authentication), ``none`` routing and handlers alone, without roles (like for like with
the peers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lab.web.app import App
from lab.web.decorators import cache, validate
from lab.web.limiters import Limiter
from lab.web.middleware import Authentication, Errors, Gzip, Logging, Middleware, RateLimit
from lab.web.table import CREATE_SCHEMA, HANDLERS, Spec

__all__ = ["full_stack", "build_app", "MIDDLEWARE"]

#: the ``middleware`` axis
MIDDLEWARE = ("composed", "per-request", "none")


def full_stack(secret: bytes, limiter: Limiter | None) -> list[Middleware]:
    """The whole stack, outermost first: logging, errors, gzip, rate limit, authentication."""
    stack = [Middleware(Logging), Middleware(Errors), Middleware(Gzip)]
    if limiter is not None:
        stack.append(Middleware(RateLimit, limiter=limiter))
    stack.append(Middleware(Authentication, secret=secret))
    return stack


def build_app(
    table: Sequence[Spec],
    router: str = "trie",
    middleware: str = "composed",
    stack: Sequence[Middleware] = (),
) -> App:
    """lab's app serving ``table`` with ``router``; ``stack`` composed as ``middleware`` says."""
    if middleware not in MIDDLEWARE:
        raise ValueError(f"middleware is one of {', '.join(MIDDLEWARE)}, not {middleware!r}")
    app = App(
        router=router,
        middleware=[] if middleware == "none" else stack,
        composition="per-request" if middleware == "per-request" else "composed",
    )
    for spec in table:  # no authentication without middleware, so no roles either
        app.add(spec.pattern, handler(spec), [spec.method], spec.roles if middleware != "none" else None)
    return app.build()


def handler(spec: Spec) -> Callable[..., Any]:
    """The table's handler for ``spec``, declaring the arguments lab injects by name and type."""
    r, fn = spec.resource, HANDLERS[spec.kind]

    def listing(limit: int = 10, offset: int = 0) -> dict:
        return fn(r, limit, offset)

    @validate(CREATE_SCHEMA)
    def create(body: dict) -> dict:
        return fn(r, body)

    def form() -> dict:
        return fn(r)

    def item(id: int) -> dict:
        return fn(r, id)

    @validate(CREATE_SCHEMA)
    def replace(id: int, body: dict) -> dict:
        return fn(r, id, body)

    def sub_item(id: int, name: str) -> dict:
        return fn(r, id, name)

    def by_slug(slug: str) -> dict:
        return fn(r, slug)

    chosen = {
        "listing": listing,
        "create": create,
        "form": form,
        "item": item,
        "replace": replace,
        "delete": item,
        "sub_item": sub_item,
        "by_slug": by_slug,
    }[spec.kind]
    return cache(ttl=spec.ttl)(chosen) if spec.ttl else chosen
