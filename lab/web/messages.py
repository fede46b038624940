"""Request and response objects, and HTTP errors that become JSON responses.

WSGI types live here too: an application is ``app(environ, start_response) -> body``;
inside lab's stack a *handler* is ``handler(request) -> Response``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "Environ",
    "StartResponse",
    "WSGIApp",
    "Handler",
    "Request",
    "Response",
    "HTTPError",
    "dumps",
    "STATUS_LINES",
]

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

#: "404 Not Found" for every status code.
STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
_IDS = itertools.count(1)
_PREFIX = os.urandom(4).hex()
_FORBIDDEN = frozenset("\r\n\0")
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
#: the C encoder behind ``_ENCODER``, made once: ``json.dumps`` with options makes a new
#: encoder on every call, and ``JSONEncoder.encode`` a new C encoder (without it: ``None``)
_C_ENCODE = (
    json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    if json.encoder.c_make_encoder is not None
    else None
)


def dumps(data: Any) -> bytes:
    """Compact JSON, as every JSON body here is written (lab's app and its peers alike).

    Bodies are trees of dicts and lists (a cycle is a ``RecursionError``, not a ``ValueError``).
    """
    if _C_ENCODE is None:
        return _ENCODER.encode(data).encode()
    return "".join(_C_ENCODE(data, 0)).encode()


class HTTPError(Exception):
    """An error with a status: its response is ``{"error": ..., "request_id": ...}`` as JSON."""

    def __init__(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)

    def response(self, request: Request | None = None) -> Response:
        body = {"error": self.message, "status": self.status}
        if request is not None:
            body["request_id"] = request.id
        response = Response.json(body, self.status)
        for name, value in self.headers:
            response.set_header(name, value)
        return response


class Request:
    """One request: method, path, query, headers and body, read from the WSGI environ on demand.

    ``params`` holds the path parameters of the matched route; ``user`` the verified token
    claims (or ``None``); ``id`` is unique in this process (``X-Request-Id`` when the client
    sent a well-formed one).
    """

    __slots__ = ("environ", "method", "path", "id", "user", "params", "route", "max_body", "_query", "_body")

    def __init__(self, environ: Environ, max_body: int = 1 << 20) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        self.path: str = environ.get("PATH_INFO", "") or "/"
        given = environ.get("HTTP_X_REQUEST_ID", "")
        self.id = given if 0 < len(given) <= 64 and given.isalnum() else f"{_PREFIX}-{next(_IDS)}"
        self.user: Any = None
        self.params: dict[str, Any] = {}
        self.route: Any = None
        self.max_body = max_body
        self._query: dict[str, str] | None = None
        self._body: bytes | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header by name (``Authorization``), or ``default``."""
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return self.environ.get(key, default)
        return self.environ.get("HTTP_" + key, default)

    @property
    def client(self) -> str:
        return self.environ.get("REMOTE_ADDR", "")

    @property
    def query(self) -> dict[str, str]:
        """The query string's parameters (the first value of each name)."""
        if self._query is None:
            self._query = {}
            for key, value in parse_qsl(self.environ.get("QUERY_STRING", ""), keep_blank_values=True):
                self._query.setdefault(key, value)
        return self._query

    def body(self) -> bytes:
        """The body, at most ``max_body`` bytes (more: 413; a bad Content-Length: 400)."""
        if self._body is None:
            text = self.environ.get("CONTENT_LENGTH") or "0"
            try:
                length = int(text)
            except ValueError:
                raise HTTPError(400, "Content-Length is not a number") from None
            if length < 0:
                raise HTTPError(400, "Content-Length is negative")
            if length > self.max_body:
                raise HTTPError(413, f"the body is over the limit of {self.max_body} bytes")
            stream = self.environ.get("wsgi.input")
            self._body = stream.read(length) if length and stream is not None else b""
        return self._body

    def json(self) -> Any:
        """The body parsed as JSON (malformed: 400)."""
        try:
            return json.loads(self.body())
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPError(400, f"the body is not valid JSON ({type(exc).__name__})") from None


class Response:
    """Status, headers and body bytes. Header names and values with CR, LF or NUL are refused,
    so no parameter can inject a header."""

    __slots__ = ("status", "headers", "body")

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str = "application/json",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.status = status
        self.body = body
        self.headers: list[tuple[str, str]] = [("Content-Type", content_type)]
        for name, value in headers:
            self.set_header(name, value)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(dumps(data), status)

    def set_header(self, name: str, value: str) -> None:
        """Add a header; a name or value with CR, LF or NUL raises ``ValueError``."""
        if _FORBIDDEN.intersection(name) or _FORBIDDEN.intersection(value):
            raise ValueError(f"header {name!r} would contain a line break or NUL")
        self.headers.append((name, value))

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def copy(self) -> Response:
        out = Response.__new__(Response)
        out.status, out.body, out.headers = self.status, self.body, list(self.headers)
        return out

    def send(self, start_response: StartResponse) -> list[bytes]:
        """Hand the response to a WSGI server."""
        headers = [*self.headers, ("Content-Length", str(len(self.body)))]
        start_response(STATUS_LINES.get(self.status, f"{self.status} Unknown"), headers)
        return [self.body]


Handler = Callable[[Request], Response]
