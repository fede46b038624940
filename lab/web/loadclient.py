"""lab's load client, run as its own process: ``python -m lab.web.loadclient --port N ...``.

Without ``--rate`` it is a closed loop (each of ``--connections`` threads sends its next request
when the last is answered); with ``--rate`` requests are due on a fixed schedule (open loop:
wrk has no fixed-rate mode), and a request's latency counts from when it was due, not from
when it was sent, so a client or server that falls behind shows in the latency (no
coordinated omission). Each request takes its own connection (``Connection: close``), as
gunicorn's sync workers do; with ``--keep-alive`` each thread keeps one open (as wrk does),
for servers that keep connections alive (gunicorn's ``gthread``). It prints one marked JSON
line: a :class:`lab.web.loadgen.Result` with the p50 and p99 of each ``--window`` seconds of the run.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from lab.web.loadgen import HOST, MARK, TIMEOUT_S, Result

__all__ = ["percentile", "drive", "main", "Connection"]


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of sorted values; 0 when there are none."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _request_bytes(path: str, headers: Mapping[str, str], keep_alive: bool = False) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}"] + ([] if keep_alive else ["Connection: close"])
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Connection:
    """One client connection to the loopback server at ``port``: a new one for each request,
    or, with ``keep_alive``, one kept open and opened again when the server has closed it."""

    def __init__(self, port: int, keep_alive: bool = False) -> None:
        self.port = port
        self.keep_alive = keep_alive
        self.sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(self, request: bytes) -> str | None:
        """Send one request and read its whole answer: ``None`` when it was answered 2xx/3xx,
        else the kind of error."""
        reused = self.sock is not None
        try:
            if self.sock is None:
                self.sock = socket.create_connection((HOST, self.port), timeout=TIMEOUT_S)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError:
            return "timeout"
        except OSError:
            return "connect"
        try:
            self.sock.sendall(request)
            data = self._read()
        except TimeoutError:
            self.close()
            return "timeout"
        except OSError:
            data = b""
        if not data and reused:  # the server closed an idle kept-alive connection: once more
            self.close()
            return self.send(request)
        if not data.startswith(b"HTTP/1.") or not data[9:12].isdigit():
            self.close()
            return "read"
        return None if int(data[9:12]) < 400 else "status"

    def _read(self) -> bytes:
        """The answer: up to the end of its body (Content-Length) when the connection stays
        open, else up to when the server closes it."""
        assert self.sock is not None
        data = b""
        while chunk := self.sock.recv(65536):
            data += chunk
            if self.keep_alive:
                head, found, body = data.partition(b"\r\n\r\n")
                length = _content_length(head) if found else None
                if length is not None and len(body) >= length:
                    if b"\nconnection: close" in head.lower():
                        self.close()
                    return data
        self.close()
        return data


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def drive(
    port: int,
    path: str,
    headers: Mapping[str, str],
    duration_s: float,
    connections: int,
    rate: float | None = None,
    window_s: float = 10.0,
    keep_alive: bool = False,
) -> Result:
    """``connections`` threads sending requests for ``duration_s``: back to back, or each at
    its due time when ``rate`` is given. Latency counts from the due time. With
    ``keep_alive`` each thread keeps its connection open between requests."""
    request = _request_bytes(path, headers, keep_alive)
    slots = itertools.count()
    samples: list[tuple[float, float, str | None]] = []  # (due offset, latency, error)
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def worker() -> None:
        mine = []
        conn = Connection(port, keep_alive)
        while True:
            now = time.perf_counter()
            if rate is None:
                due = now
            else:
                due = start + next(slots) / rate
                if due > now:
                    time.sleep(due - now)
            if due - start >= duration_s:
                break
            error = conn.send(request)
            mine.append((due - start, time.perf_counter() - due, error))
        conn.close()
        with lock:
            samples.extend(mine)

    loads: list[float] = []  # the machine's load average at the end of each window

    def sample_load() -> None:
        for index in range(1, math.ceil(duration_s / window_s) + 1):
            time.sleep(max(0.0, start + min(index * window_s, duration_s) - time.perf_counter()))
            loads.append(round(os.getloadavg()[0], 2))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    threads.append(threading.Thread(target=sample_load, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start if rate is None else duration_s
    errors: dict[str, int] = {}
    for _, _, error in samples:
        if error:
            errors[error] = errors.get(error, 0) + 1
    windows = []
    for index in range(max(1, math.ceil(duration_s / window_s))):
        chosen = [s for s in samples if index * window_s <= s[0] < (index + 1) * window_s]
        ordered = sorted(s[1] for s in chosen)
        windows.append(
            {
                "start_s": index * window_s,
                "requests": len(chosen),
                "errors": sum(1 for s in chosen if s[2]),
                "p50_s": percentile(ordered, 50),
                "p99_s": percentile(ordered, 99),
                "load_average_1min": loads[index] if index < len(loads) else None,
            }
        )
    ordered = sorted(s[1] for s in samples)
    latency = {
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "p999": percentile(ordered, 99.9),
        "max": ordered[-1] if ordered else 0.0,
        "mean": sum(ordered) / len(ordered) if ordered else 0.0,
    }
    name = "python-client" + ("" if rate is None else "-paced") + ("-keepalive" if keep_alive else "")
    return Result(name, len(samples), errors, elapsed, latency, connections, rate, window_s, windows)


def main(argv: Sequence[str] | None = None) -> int:
    """The client process: drive a loopback server, print the result as one marked JSON line."""
    p = argparse.ArgumentParser(prog="python -m lab.web.loadclient", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True, help="of the server on 127.0.0.1")
    p.add_argument("--path", default="/")
    p.add_argument("--header", action="append", default=[], help="'Name: value' (repeatable)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds")
    p.add_argument("--connections", type=int, default=8, help="requests in flight at most")
    p.add_argument("--rate", type=float, help="requests/s on a fixed schedule (default: back to back)")
    p.add_argument("--window", type=float, default=10.0, help="seconds per window of the latency report")
    p.add_argument("--keep-alive", action="store_true", help="one connection per thread, kept open")
    args = p.parse_args(argv)
    if min(args.duration, args.connections, args.window, args.rate or 1) <= 0:
        p.error("--duration, --connections, --window and --rate must be positive")
    if any(":" not in h for h in args.header):
        p.error("--header takes 'Name: value'")
    headers = {k.strip(): v.strip() for k, v in (h.split(":", 1) for h in args.header)}
    # a load generator must not pause: the cyclic collector, walking the growing samples,
    # would stop every thread at once and count its pause as the server's latency
    gc.disable()
    result = drive(
        args.port,
        args.path,
        headers,
        args.duration,
        args.connections,
        args.rate,
        args.window,
        args.keep_alive,
    )
    print(MARK + json.dumps(replace(result, pid=os.getpid()).to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
