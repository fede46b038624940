"""``@cache(ttl=...)`` and ``@validate(schema)``: marks on a handler that :class:`lab.web.app.App`
reads when the route is registered (put ``@app.route`` on top)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lab.web.messages import HTTPError

__all__ = ["cache", "validate", "check"]

F = TypeVar("F", bound=Callable[..., Any])


def cache(ttl: float) -> Callable[[F], F]:
    """Cache the handler's GET responses for ``ttl`` seconds, per path, query and user."""
    if ttl <= 0:
        raise ValueError("ttl must be positive")

    def mark(fn: F) -> F:
        fn.__lab_cache__ = float(ttl)  # type: ignore[attr-defined]
        return fn

    return mark


def validate(schema: Mapping[str, type]) -> Callable[[F], F]:
    """Require a JSON object body with these fields of these types (else 422)."""

    def mark(fn: F) -> F:
        fn.__lab_schema__ = dict(schema)  # type: ignore[attr-defined]
        return fn

    return mark


def check(body: Any, schema: Mapping[str, type]) -> dict[str, Any]:
    """``body`` if it is an object with every field of ``schema`` of its type, else a 422 error."""
    if not isinstance(body, dict):
        raise HTTPError(422, "the body must be a JSON object")
    for name, kind in schema.items():
        if name not in body:
            raise HTTPError(422, f"field {name!r} is required")
        value = body[name]
        wrong = isinstance(value, bool) and kind is not bool
        if wrong or not isinstance(value, float | int if kind is float else kind):
            raise HTTPError(422, f"field {name!r} must be {kind.__name__}")
    return body
