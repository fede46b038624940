"""Middleware: plain classes around the next handler (``handler(request) -> Response``).

Each is ``Cls(app, **options)`` and is itself a handler. :func:`compose` folds a list
of :class:`Middleware` specs around an endpoint once, at start-up (Starlette's way);
:class:`PerRequest` folds the same list again on every request: the ``middleware`` axis.
"""

from __future__ import annotations

import gzip
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lab.web import tokens
from lab.web.limiters import Limiter, retry_after
from lab.web.messages import Handler, HTTPError, Request, Response

__all__ = [
    "Middleware",
    "compose",
    "PerRequest",
    "Logging",
    "Errors",
    "Gzip",
    "RateLimit",
    "Authentication",
]

log = logging.getLogger("lab.web")


@dataclass(frozen=True)
class Middleware:
    """A middleware class and its options, composed later: ``Middleware(RateLimit, limiter=...)``."""

    cls: type
    options: dict[str, Any] = field(default_factory=dict)

    def __init__(self, cls: type, **options: Any) -> None:
        object.__setattr__(self, "cls", cls)
        object.__setattr__(self, "options", options)


def compose(endpoint: Handler, stack: Sequence[Middleware]) -> Handler:
    """``stack[0]`` outermost, ``endpoint`` innermost, folded once."""
    app = endpoint
    for spec in reversed(stack):
        app = spec.cls(app, **spec.options)
    return app


class PerRequest:
    """The same stack, folded anew for every request (what composing once saves)."""

    def __init__(self, endpoint: Handler, stack: Sequence[Middleware]) -> None:
        self.endpoint = endpoint
        self.stack = list(stack)

    def __call__(self, request: Request) -> Response:
        return compose(self.endpoint, self.stack)(request)


class Logging:
    """One structured record per request (id, method, path, status, microseconds), kept in
    ``sink`` (a bounded deque by default) and sent to the ``lab.web`` logger when it is
    enabled for INFO; the response carries ``X-Request-Id``."""

    def __init__(
        self, app: Handler, sink: deque | None = None, clock: Callable[[], int] = time.perf_counter_ns
    ):
        self.app = app
        self.sink = sink if sink is not None else deque(maxlen=10_000)
        self.clock = clock

    def __call__(self, request: Request) -> Response:
        started = self.clock()
        try:
            response = self.app(request)
        except HTTPError as exc:
            self.record(request, exc.status, started)
            raise
        except BaseException:
            self.record(request, 500, started)
            raise
        response.headers.append(("X-Request-Id", request.id))
        self.record(request, response.status, started)
        return response

    def record(self, request: Request, status: int, started: int) -> None:
        """Keep (and log, when INFO is on) the record of one request."""
        record = {
            "request_id": request.id,
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_us": (self.clock() - started) // 1000,
        }
        self.sink.append(record)
        if log.isEnabledFor(logging.INFO):
            log.info("request", extra={"request": record})


class Errors:
    """Any exception as a JSON error: an :class:`HTTPError` with its status; anything else as
    500 with the request id (the traceback goes to the log, never to the client)."""

    def __init__(self, app: Handler) -> None:
        self.app = app

    def __call__(self, request: Request) -> Response:
        try:
            return self.app(request)
        except HTTPError as exc:
            return exc.response(request)
        except Exception:
            log.exception("unhandled error in request %s", request.id)
            return HTTPError(500, "internal server error").response(request)


def accepts_gzip(header: str | None) -> bool:
    """True when an Accept-Encoding header takes gzip (``gzip``, ``*``; not ``gzip;q=0``)."""
    if not header:
        return False
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


class Gzip:
    """Compress bodies of at least ``minimum_size`` bytes when the client accepts gzip."""

    def __init__(self, app: Handler, minimum_size: int = 500, level: int = 6) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.level = level

    def __call__(self, request: Request) -> Response:
        response = self.app(request)
        if len(response.body) < self.minimum_size or response.header("Content-Encoding"):
            return response
        if not accepts_gzip(request.header("Accept-Encoding")):
            return response
        response.body = gzip.compress(response.body, self.level, mtime=0)
        response.headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        return response


class RateLimit:
    """Per client (``key(request)``; without one, the client's address): over the limit is
    429 with Retry-After. Paths in ``exempt`` (a health check) are not counted."""

    def __init__(
        self,
        app: Handler,
        limiter: Limiter,
        key: Callable[[Request], str] | None = None,
        clock: Callable[[], float] = time.time,
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.key = key
        self.clock = clock
        self.exempt = exempt

    def __call__(self, request: Request) -> Response:
        if request.path in self.exempt:
            return self.app(request)
        key = request.client if self.key is None else self.key(request)
        wait = self.limiter.hit(key, self.clock())
        if wait > 0:
            raise HTTPError(429, "too many requests", [("Retry-After", retry_after(wait))])
        return self.app(request)


class Authentication:
    """A bearer token, when sent, must be signed by ``secret`` and unexpired (else 401); its
    claims become ``request.user``. Routes say which roles they need (authorization)."""

    def __init__(self, app: Handler, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.verify = tokens.Verifier(secret)
        self.clock = clock

    def __call__(self, request: Request) -> Response:
        header = request.environ.get("HTTP_AUTHORIZATION")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise unauthorized("the Authorization header is not 'Bearer <token>'")
            try:
                request.user = self.verify(token.strip(), self.clock())
            except tokens.TokenError as exc:
                raise unauthorized(str(exc)) from None
        return self.app(request)


def unauthorized(message: str) -> HTTPError:
    return HTTPError(401, message, [("WWW-Authenticate", 'Bearer realm="lab"')])
