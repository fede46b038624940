"""Serve an app under gunicorn on loopback: ``python -m lab.web.serve [--port N] [--workers N]``.

``--worker-class sync`` (the default) closes every connection after its request;
``--worker-class gthread`` keeps connections alive (``--threads`` per worker, idle ones
closed after :data:`KEEPALIVE_S`).

By default the demo API over lab's results (:func:`lab.web.demo.create_app`); ``--app
module:factory`` serves another factory's app. ``--bind fd://N`` serves a socket the caller
opened (tests bind port 0 and pass it). Each worker builds its own app: in-process rate
limits are per worker, the Redis one is shared (``LAB_WEB_LIMITER=redis``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["serve", "main", "DEMO", "WORKER_CLASSES", "KEEPALIVE_S"]

DEMO = "lab.web.demo:create_app"
#: gunicorn's worker classes offered: ``sync`` closes each connection, ``gthread`` keeps it alive
WORKER_CLASSES = ("sync", "gthread")
#: seconds an idle kept-alive connection stays open (gthread)
KEEPALIVE_S = 5


def serve(
    app: str = DEMO,
    bind: str = "127.0.0.1:8000",
    workers: int = 1,
    quiet: bool = False,
    worker_class: str = "sync",
    threads: int = 4,
) -> None:
    """Run gunicorn serving the app made by the factory ``app`` until stopped: ``workers``
    processes of ``worker_class`` (``gthread``: ``threads`` each, connections kept alive)."""
    if worker_class not in WORKER_CLASSES:
        raise ValueError(f"worker_class is one of {', '.join(WORKER_CLASSES)}, not {worker_class!r}")
    from gunicorn.app.base import BaseApplication

    module, _, factory = app.partition(":")

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", [bind])
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", worker_class)
            if worker_class == "gthread":
                self.cfg.set("threads", threads)
                self.cfg.set("keepalive", KEEPALIVE_S)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "warning" if quiet else "info")
            self.cfg.set("graceful_timeout", 5)

        def load(self) -> Any:
            import importlib

            return getattr(importlib.import_module(module), factory or "create_app")()

    Server().run()


def main(argv: Sequence[str] | None = None, prog: str = "python -m lab.web.serve") -> int:
    """Parse ``argv`` and serve until stopped (also ``lab serve``)."""
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="loopback by default")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--bind", help="gunicorn's bind (HOST:PORT, unix:PATH or fd://N); overrides --host/--port")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--app", default=DEMO, help="module:factory of the app (default: the demo API)")
    p.add_argument("--worker-class", default="sync", choices=WORKER_CLASSES, help="sync closes connections")
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    bind = args.bind or f"{args.host}:{args.port}"
    serve(args.app, bind, args.workers, args.quiet, args.worker_class, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
