"""Handler arguments injected by name and type, worked out once per handler.

A parameter named like a path parameter takes its (converted) value; ``request`` (or one
annotated :class:`Request`) the request; ``body`` (or one annotated ``dict``) the JSON body,
checked against the handler's ``@validate`` schema; any other name the query parameter of
that name, converted to its annotation (``int``, ``float``, ``bool``, ``str``), its default
when absent, else 400.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from lab.web.decorators import check
from lab.web.messages import HTTPError, Request

__all__ = ["getters"]

Getter = Callable[[Request], Any]
_BOOLS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def getters(fn: Callable[..., Any], path_params: set[str]) -> list[tuple[str, Getter]]:
    """For each parameter of ``fn``: its name and how to get its value from a request."""
    hints = typing.get_type_hints(fn)
    schema = getattr(fn, "__lab_schema__", None)
    out: list[tuple[str, Getter]] = []
    for name, param in inspect.signature(fn).parameters.items():
        kind = hints.get(name, str)
        if name in path_params:
            out.append((name, _path(name)))
        elif name == "request" or kind is Request:
            out.append((name, _request))
        elif name == "body" or kind is dict:
            out.append((name, _body(schema)))
        else:
            out.append((name, _query(name, kind, param.default)))
    return out


def _request(request: Request) -> Request:
    return request


def _path(name: str) -> Getter:
    def get(request: Request) -> Any:
        return request.params[name]

    return get


def _body(schema: dict[str, type] | None) -> Getter:
    def get(request: Request) -> Any:
        body = request.json()
        return check(body, schema) if schema is not None else body

    return get


def _query(name: str, kind: Any, default: Any) -> Getter:
    convert = _converter(kind)

    def get(request: Request) -> Any:
        text = request.query.get(name)
        if text is None:
            if default is inspect.Parameter.empty:
                raise HTTPError(400, f"query parameter {name!r} is required")
            return default
        try:
            return convert(text)
        except (ValueError, KeyError):
            raise HTTPError(
                400, f"query parameter {name!r} must be {getattr(kind, '__name__', kind)}"
            ) from None

    return get


def _converter(kind: Any) -> Callable[[str], Any]:
    if kind is bool:
        return lambda text: _BOOLS[text.lower()]
    if kind in (int, float, str):
        return kind
    return str
