"""The application: routes registered by decorator, a router, a middleware stack, WSGI at the edge.

>>> app = App()
>>> @app.route("/users/{id:int}", methods=["GET"])
... def user(id: int, verbose: bool = False):
...     return {"id": id, "verbose": verbose}
>>> app.handle(Request({"PATH_INFO": "/users/7", "QUERY_STRING": "verbose=yes"})).body
b'{"id":7,"verbose":true}'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lab.web.inject import getters
from lab.web.messages import Environ, Handler, HTTPError, Request, Response, StartResponse
from lab.web.middleware import Middleware, PerRequest, compose
from lab.web.routers import Router, make_router
from lab.web.routes import Route, RouteError, parse

__all__ = ["App", "Endpoint"]


@dataclass
class Endpoint:
    """What one route does for one method: the handler, its argument getters, its roles, its cache."""

    handler: Callable[..., Any]
    args: list
    roles: frozenset[str] | None
    ttl: float | None


class App:
    """A WSGI application.

    ``router`` names the router strategy (``linear``, ``compiled``, ``trie``, ``werkzeug``,
    ``starlette``); ``middleware`` the stack, outermost first; ``composition`` either
    ``composed`` (folded once, at the first request or :meth:`build`) or ``per-request``;
    ``max_body`` the largest body accepted (413 above it).
    """

    def __init__(
        self,
        router: str = "trie",
        middleware: Sequence[Middleware] = (),
        composition: str = "composed",
        max_body: int = 1 << 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if composition not in ("composed", "per-request"):
            raise ValueError(f"composition is composed or per-request, not {composition!r}")
        self.router_name = router
        self.middleware = list(middleware)
        self.composition = composition
        self.max_body = max_body
        self.clock = clock
        self.routes: dict[str, Route] = {}
        self.cache: dict[tuple, tuple[float, Response]] = {}
        self._router: Router | None = None
        self._stack: Handler | None = None

    def route(
        self, pattern: str, methods: Iterable[str] = ("GET",), roles: Iterable[str] | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated function for ``pattern`` and ``methods``; ``roles``: the
        roles allowed (a token is then required)."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add(pattern, fn, methods, roles)
            return fn

        return register

    def add(
        self,
        pattern: str,
        fn: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        roles: Iterable[str] | None = None,
    ) -> None:
        """Register ``fn`` (as :meth:`route` does, without the decorator)."""
        if self._stack is not None:
            raise RouteError("routes are added before the application starts")
        route = self.routes.get(pattern)
        if route is None:
            route = self.routes[pattern] = parse(pattern, len(self.routes), {})
        names = {name for name, _ in route.params}
        endpoint = Endpoint(
            fn,
            getters(fn, names),
            frozenset(roles) if roles is not None else None,
            getattr(fn, "__lab_cache__", None),
        )
        for method in methods:
            method = method.upper()
            if method in route.endpoint:
                raise RouteError(f"{method} {pattern} is registered twice")
            route.endpoint[method] = endpoint

    def build(self) -> App:
        """Make the router and fold the middleware (done once; also on the first request)."""
        if self._stack is None:
            self._router = make_router(self.router_name, list(self.routes.values()))
            if self.composition == "composed":
                self._stack = compose(self.dispatch, self.middleware)
            else:
                self._stack = PerRequest(self.dispatch, self.middleware)
        return self

    def __call__(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        """WSGI entry point."""
        return self.handle(Request(environ, self.max_body)).send(start_response)

    def handle(self, request: Request) -> Response:
        """One request through the stack; errors that escape it become JSON errors here."""
        stack = self._stack or self.build()._stack
        try:
            return stack(request)  # type: ignore[misc]
        except HTTPError as exc:
            return exc.response(request)

    def dispatch(self, request: Request) -> Response:
        """The innermost handler: route, method, roles, cache, then the handler itself."""
        found = self._router.match(request.path)  # type: ignore[union-attr]
        if found is None:
            raise HTTPError(404, f"no route for {request.path}")
        route, request.params = found
        request.route = route
        endpoint = route.endpoint.get(request.method)
        if endpoint is None:
            if request.method == "HEAD" and "GET" in route.endpoint:
                endpoint = route.endpoint["GET"]
            else:
                allow = ", ".join(sorted(route.endpoint))
                raise HTTPError(405, f"{request.method} is not allowed here", [("Allow", allow)])
        if endpoint.roles is not None:
            if request.user is None:
                raise HTTPError(401, "this route needs a token", [("WWW-Authenticate", 'Bearer realm="lab"')])
            if request.user.role not in endpoint.roles:
                raise HTTPError(403, f"role {request.user.role!r} may not do this")
        if endpoint.ttl is not None and request.method == "GET":
            return self._cached(request, route, endpoint)
        return self._call(request, endpoint)

    def _call(self, request: Request, endpoint: Endpoint) -> Response:
        result = endpoint.handler(**{name: get(request) for name, get in endpoint.args})
        return result if isinstance(result, Response) else Response.json(result)

    def _cached(self, request: Request, route: Route, endpoint: Endpoint) -> Response:
        user = request.user.subject if request.user is not None else None
        key = (route.index, request.path, request.environ.get("QUERY_STRING", ""), user)
        now = self.clock()
        hit = self.cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1].copy()
        response = self._call(request, endpoint)
        if response.status == 200:
            self.cache[key] = (now + endpoint.ttl, response.copy())  # type: ignore[operator]
        return response

    def clear(self) -> None:
        """Forget cached responses and rate-limit state (between measured repeats)."""
        self.cache.clear()
        for spec in self.middleware:
            limiter = spec.options.get("limiter")
            if limiter is not None:
                limiter.clear()
