"""The ``router`` axis: three ways to find the route of a path, all giving the same match.

- ``linear``: each route's regular expression in match order, first full match wins.
- ``compiled``: one alternation of every route, matched once; the outer group that
  closed last (``lastindex``) names the route.
- ``trie``: a tree of path segments, static children before ``int`` before ``str``,
  walked depth first (its first branch tried alone before backtracking); a fully static
  path is one dictionary look-up.

Each returns ``(route, params)`` or ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from lab.web.routes import INT_DIGITS, Route, ordered

__all__ = ["Router", "Match", "LinearRouter", "CompiledRouter", "TrieRouter", "ROUTERS", "make_router"]

Match = tuple[Route, dict[str, Any]]


class Router(Protocol):
    def match(self, path: str) -> Match | None: ...


class LinearRouter:
    """Try each route in match order: O(routes) per path."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = [(re.compile(r.regex()).fullmatch, r) for r in ordered(routes)]

    def match(self, path: str) -> Match | None:
        for fullmatch, route in self._routes:
            found = fullmatch(path)
            if found is not None:
                return route, route.convert(found.groups())
        return None


class CompiledRouter:
    """Every route in one regular expression: one call into the regex engine per path."""

    def __init__(self, routes: Sequence[Route]) -> None:
        parts, self._by_group = [], {}
        group = 1
        for route in ordered(routes):
            parts.append(f"({route.regex()})")
            params = tuple(range(group + 1, group + 1 + len(route.params)))
            self._by_group[group] = (route, params)
            group += 1 + len(route.params)
        self._fullmatch = re.compile("|".join(parts) or "(?!)").fullmatch

    def match(self, path: str) -> Match | None:
        found = self._fullmatch(path)
        if found is None:
            return None
        route, groups = self._by_group[found.lastindex]
        if not groups:
            return route, {}
        values = (found.group(groups[0]),) if len(groups) == 1 else found.group(*groups)
        return route, route.convert(values)


class _Node:
    __slots__ = ("static", "int_child", "str_child", "route")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.int_child: _Node | None = None
        self.str_child: _Node | None = None
        self.route: Route | None = None


class TrieRouter:
    """A tree of segments: cost grows with the path's depth, not with the number of routes."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._root = _Node()
        self._static: dict[str, Route] = {}
        for route in ordered(routes):
            if not route.params:
                self._static[route.pattern] = route
            node = self._root
            for s in route.segments:
                if s.converter is None:
                    node = node.static.setdefault(s.text, _Node())
                elif s.converter == "int":
                    node.int_child = node.int_child or _Node()
                    node = node.int_child
                else:
                    node.str_child = node.str_child or _Node()
                    node = node.str_child
            node.route = route

    def match(self, path: str) -> Match | None:
        route = self._static.get(path)
        if route is not None:
            return route, {}
        if not path.startswith("/"):
            return None
        segments = path[1:].split("/")
        values: list[str] = []
        route = _first_branch(self._root, segments, values)
        if route is None:
            values.clear()
            route = _walk(self._root, segments, 0, values)
        return None if route is None else (route, route.convert(values))


def _takes_int(segment: str) -> bool:
    return len(segment) <= INT_DIGITS and segment.isascii() and segment.isdigit()


def _first_branch(node: _Node, segments: list[str], values: list[str]) -> Route | None:
    """The first branch :func:`_walk` tries, without backtracking: usually the match itself."""
    for segment in segments:
        child = node.static.get(segment)
        if child is None:
            if not segment:
                return None
            if node.int_child is not None and _takes_int(segment):
                child = node.int_child
            elif node.str_child is not None:
                child = node.str_child
            else:
                return None
            values.append(segment)
        node = child
    return node.route


def _walk(node: _Node, segments: list[str], i: int, values: list[str]) -> Route | None:
    """Depth first, static before int before str; ``values`` holds the parameters on the way."""
    if i == len(segments):
        return node.route
    segment = segments[i]
    child = node.static.get(segment)
    if child is not None:
        found = _walk(child, segments, i + 1, values)
        if found is not None:
            return found
    if segment:
        if node.int_child is not None and _takes_int(segment):
            values.append(segment)
            found = _walk(node.int_child, segments, i + 1, values)
            if found is not None:
                return found
            values.pop()
        if node.str_child is not None:
            values.append(segment)
            found = _walk(node.str_child, segments, i + 1, values)
            if found is not None:
                return found
            values.pop()
    return None


#: lab's own routers, by strategy name (the peers are in :mod:`lab.web.peer_routers`).
ROUTERS: dict[str, type] = {"linear": LinearRouter, "compiled": CompiledRouter, "trie": TrieRouter}


def make_router(name: str, routes: Sequence[Route]) -> Router:
    """The router called ``name`` (lab's own or a peer's) over ``routes``."""
    if name in ROUTERS:
        return ROUTERS[name](routes)
    from lab.web.peer_routers import PEER_ROUTERS

    return PEER_ROUTERS[name](routes)
