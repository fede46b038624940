"""Route patterns: ``/users/{id:int}`` parsed once into segments, and the order every router
agrees on.

A path matches the route whose segments rank first, segment by segment: a static segment
before an ``int`` parameter before a ``str`` one (as Werkzeug and Falcon order them).
Two patterns of the same shape (``/a/{x}`` and ``/a/{y}``) are ambiguous and refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CONVERTERS", "INT_DIGITS", "Segment", "Route", "parse", "ordered", "RouteError"]

#: At most this many digits in an ``int`` parameter (an int64 always fits).
INT_DIGITS = 18
#: converter name -> (regular expression of one segment, conversion, rank)
CONVERTERS: dict[str, tuple[str, Callable[[str], Any], int]] = {
    "int": (f"[0-9]{{1,{INT_DIGITS}}}", int, 1),
    "str": ("[^/]+", str, 2),
}
STATIC = 0
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}")


class RouteError(ValueError):
    """A pattern that cannot be a route (bad syntax, unknown converter, ambiguous shape)."""


@dataclass(frozen=True)
class Segment:
    """One ``/``-separated piece of a pattern: static text, or a named, typed parameter."""

    text: str
    name: str | None = None
    converter: str | None = None

    @property
    def rank(self) -> int:
        return STATIC if self.converter is None else CONVERTERS[self.converter][2]

    @property
    def regex(self) -> str:
        return re.escape(self.text) if self.converter is None else CONVERTERS[self.converter][0]


@dataclass(eq=False)
class Route:
    """A pattern, its parsed segments, and whatever the application hangs on it (``endpoint``)."""

    pattern: str
    segments: tuple[Segment, ...]
    index: int = 0
    endpoint: Any = None
    params: tuple[tuple[str, Callable[[str], Any]], ...] = field(init=False)

    def __post_init__(self) -> None:
        self.params = tuple(
            (s.name, CONVERTERS[s.converter][1]) for s in self.segments if s.converter is not None
        )

    @property
    def key(self) -> tuple[int, ...]:
        """The priority of the route: lower ranks first, segment by segment."""
        return tuple(s.rank for s in self.segments)

    @property
    def shape(self) -> tuple[tuple[int, str], ...]:
        return tuple((s.rank, s.text if s.converter is None else "") for s in self.segments)

    def regex(self, named: bool = False) -> str:
        """The route as a regular expression of the whole path (groups named, or positional)."""
        parts = []
        for s in self.segments:
            if s.converter is None:
                parts.append(s.regex)
            else:
                parts.append(f"(?P<{s.name}>{s.regex})" if named else f"({s.regex})")
        return "/" + "/".join(parts)

    def convert(self, values: Iterable[str]) -> dict[str, Any]:
        """The parameters of a match, converted: ``{"id": 42}``."""
        return {name: conv(v) for (name, conv), v in zip(self.params, values, strict=True)}


def parse(pattern: str, index: int = 0, endpoint: Any = None) -> Route:
    """Parse ``pattern`` (``/users/{id:int}/posts/{slug}``) into a :class:`Route`."""
    if not pattern.startswith("/"):
        raise RouteError(f"a route pattern starts with '/': {pattern!r}")
    segments = []
    names: set[str] = set()
    for text in pattern[1:].split("/"):
        found = _PARAM.fullmatch(text)
        if found:
            name, converter = found.group(1), found.group(2) or "str"
            if converter not in CONVERTERS:
                raise RouteError(f"unknown converter {converter!r} in {pattern!r} (choose from: int, str)")
            if name in names:
                raise RouteError(f"parameter {name!r} appears twice in {pattern!r}")
            names.add(name)
            segments.append(Segment(text, name, converter))
        elif "{" in text or "}" in text:
            raise RouteError(f"malformed parameter in {pattern!r}: {text!r}")
        else:
            segments.append(Segment(text))
    return Route(pattern, tuple(segments), index, endpoint)


def ordered(routes: Iterable[Route]) -> list[Route]:
    """The routes in match order (priority, then declaration); an ambiguous pair is refused."""
    seen: dict[tuple, Route] = {}
    for route in routes:
        other = seen.setdefault(route.shape, route)
        if other is not route:
            raise RouteError(f"{route.pattern!r} and {other.pattern!r} match the same paths")
    return sorted(seen.values(), key=lambda r: (r.key, r.index))
