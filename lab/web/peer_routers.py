"""Peer routers on the same route table: Werkzeug's (Flask's router) and Starlette's.

Both return lab's :class:`~lab.web.routes.Route` and converted parameters, so every
router is checked against the same reference. Where their rules differ from lab's,
the difference is theirs and documented: Werkzeug's ``int`` takes any Unicode digit
(``\\d+``) and it drops extra leading slashes; Starlette's patterns end in ``$``, which also
matches before a final newline.
"""

from __future__ import annotations

from collections.abc import Sequence

from lab.web.routers import Match
from lab.web.routes import Route, ordered

__all__ = ["WerkzeugRouter", "StarletteRouter", "PEER_ROUTERS"]


def _werkzeug_rule(route: Route) -> str:
    parts = []
    for s in route.segments:
        if s.converter is None:
            parts.append(s.text)
        else:
            parts.append(f"<{'int' if s.converter == 'int' else 'string'}:{s.name}>")
    return "/" + "/".join(parts)


class WerkzeugRouter:
    """``werkzeug.routing.Map``, bound once; rules take every method (the app checks methods)."""

    def __init__(self, routes: Sequence[Route]) -> None:
        from werkzeug.exceptions import HTTPException
        from werkzeug.routing import Map, RequestRedirect, Rule

        rules = [Rule(_werkzeug_rule(r), endpoint=r) for r in routes]
        self._adapter = Map(rules, merge_slashes=False).bind("localhost")
        self._misses = (HTTPException, RequestRedirect)

    def match(self, path: str) -> Match | None:
        try:
            route, params = self._adapter.match(path)
        except self._misses:
            return None
        return route, params


class StarletteRouter:
    """Starlette's ``Route.matches`` tried in lab's match order (Starlette itself tries routes
    in declaration order, one regular expression each)."""

    def __init__(self, routes: Sequence[Route]) -> None:
        from starlette.routing import Match as Found
        from starlette.routing import Route as StarletteRoute

        def endpoint(request: object) -> None:  # never called: only matching is measured
            return None

        self._full = Found.FULL
        self._routes = [(StarletteRoute(r.pattern, endpoint), r) for r in ordered(routes)]

    def match(self, path: str) -> Match | None:
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        for peer, route in self._routes:
            found, child = peer.matches(scope)
            if found is self._full:
                return route, dict(child["path_params"])
        return None


PEER_ROUTERS: dict[str, type] = {"werkzeug": WerkzeugRouter, "starlette": StarletteRouter}
