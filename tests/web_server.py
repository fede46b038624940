"""Start lab's demo API (or another app) under gunicorn on loopback for a test: see
:func:`lab.web.launch.running`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from lab.web.launch import get, running

__all__ = ["running_server", "get"]


@contextlib.contextmanager
def running_server(
    workers: int = 1, env: dict[str, str] | None = None, app: str | None = None
) -> Iterator[int]:
    """A gunicorn server of lab's demo API (or ``app``) on loopback; yields its port."""
    with running(app, workers, env) as (port, _):
        yield port
