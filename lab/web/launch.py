"""Start ``python -m lab.web.serve`` (gunicorn) on a loopback socket the OS chose, wait until it
answers, and always stop it: after errors and Ctrl-C too.

The socket is bound here (port 0) and handed to the server as ``fd://N``, so no port is
guessed and no other process can take it in between.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping

from lab.errors import LabError

__all__ = ["running", "stop", "get", "ServerError"]

HOST = "127.0.0.1"


class ServerError(LabError):
    """The server did not start (its last words are in the message)."""


def get(port: int, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET on its own connection to the loopback server at ``port``: status, headers, body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def running(
    app: str | None = None,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    ready: str = "/health",
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    worker_class: str = "sync",
    threads: int = 4,
) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn serving ``app`` (``module:factory``; default the demo API) with ``workers``
    workers of ``worker_class`` (``gthread``: ``threads`` each) on loopback; ready once ``GET
    ready`` has an answer (of any status: the caller judges it). Yields (port, process)."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    command = [sys.executable, "-m", "lab.web.serve", "--bind", f"fd://{listener.fileno()}"]
    command += ["--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads)]
    command += ["--quiet"] + (["--app", app] if app else [])
    log = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would block the server
    process = subprocess.Popen(
        command,
        pass_fds=[listener.fileno()],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    listener.close()
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                get(port, ready, headers)
                break
            except (OSError, http.client.HTTPException):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                log.seek(0)
                words = log.read().decode(errors="replace").strip().splitlines()
                raise ServerError(f"the server did not start: {' | '.join(words[-5:]) or 'no output'}")
            time.sleep(0.1)
        yield port, process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL after ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
