"""Where the optional services live, and whether they answer."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

__all__ = ["SERVICES", "url", "reachable", "required"]

#: service name -> (environment variable, default URL)
SERVICES: dict[str, tuple[str, str]] = {
    "redis": ("LAB_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "postgres": ("LAB_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"),
}


def url(service: str) -> str:
    """The URL of ``service``, from its environment variable or the default."""
    var, default = SERVICES[service]
    return os.environ.get(var, default)


def reachable(service: str, timeout: float = 0.5) -> str | None:
    """``None`` when ``service`` accepts a TCP connection, else the reason it does not."""
    var, _ = SERVICES[service]
    where = url(service)
    parts = urlsplit(where)
    port = parts.port or {"redis": 6379, "postgres": 5432}[service]
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return None
    except OSError:
        return f"needs {service.capitalize()} at {where} (set {var})"


def required() -> bool:
    """True when tests must fail, not skip, on a missing service (``LAB_REQUIRE_SERVICES=1``)."""
    return os.environ.get("LAB_REQUIRE_SERVICES", "") not in ("", "0")
