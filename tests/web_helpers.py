"""Helpers of the web tests: call a WSGI app in-process and read its answer."""

from __future__ import annotations

import io
import json
from typing import Any

from lab.web.workload import environ

__all__ = ["call", "Answer"]


class Answer:
    """A response as a WSGI server would send it: status code, headers, body."""

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = int(status[:3])
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: Any,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    address: str = "127.0.0.1",
) -> Answer:
    """Send one request to ``app`` through its WSGI interface."""
    env = environ(method, path, query, body, headers)
    env["REMOTE_ADDR"] = address
    env["wsgi.input"] = io.BytesIO(body)
    seen: list[Any] = []
    chunks = app(env, lambda status, headers, exc_info=None: seen.extend([status, headers]))
    return Answer(seen[0], seen[1], b"".join(chunks))
