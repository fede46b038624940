"""Load generators, each in its own process, against a server on loopback.

- ``wrk`` (Debian's package): as many requests as ``connections`` keep in flight for a fixed
  duration (the maximum rate); a Lua script prints its summary and latency percentiles as
  JSON.
- the Python client (``python -m lab.web.loadgen``): the same closed loop without a rate, or,
  with ``--rate``, requests sent on a fixed schedule (open loop: wrk has no fixed-rate mode).
  A request's latency is counted from the time it was due, not from when it was sent, so a
  client or server that falls behind shows in the latency (no coordinated omission). Each
  request takes its own connection (``Connection: close``), as gunicorn's sync workers do.

Both report requests, errors by kind, requests/s and latency percentiles; the client also
per window of its run (``--window`` seconds).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lab.errors import LabError

__all__ = ["Result", "Generator", "wrk", "client", "tool", "percentile", "TOOLS", "main"]

TOOLS = ("auto", "wrk", "python")
HOST = "127.0.0.1"
#: a request that takes longer is an error (a timeout)
TIMEOUT_S = 5.0
MARK = "LAB-RESULT "

#: wrk's Lua hook: the run's summary and latency percentiles (microseconds) as one JSON line
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  local p = {}
  for _, q in ipairs({50, 90, 99, 99.9}) do p[#p + 1] = latency:percentile(q) end
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d},"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,' ..
    '"max":%d,"mean":%.3f}}\\n',
    "MARK", summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    p[1], p[2], p[3], p[4], latency.max, latency.mean))
end
""".replace("MARK", MARK)


class LoadError(LabError):
    """The load generator failed or printed no result."""


@dataclass(frozen=True)
class Result:
    """What one load run did: requests (errors included), errors by kind, its duration, and
    latency percentiles in seconds; ``windows`` (the client's) per ``window_s`` of the run."""

    tool: str
    requests: int
    errors: dict[str, int]
    duration_s: float
    latency_s: dict[str, float]
    connections: int
    target_rate: float | None = None
    window_s: float | None = None
    windows: list[dict[str, Any]] = field(default_factory=list)
    pid: int | None = None
    #: the machine's 1-minute load average when the run ended (other work on its cores)
    load_average: float | None = None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        """Requests per second (errors included)."""
        return self.requests / self.duration_s if self.duration_s else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of sorted values; 0 when there are none."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def tool(wanted: str = "auto") -> str:
    """``wrk`` or ``python``: what ``wanted`` names, ``auto`` being wrk when installed."""
    if wanted not in TOOLS:
        raise LoadError(f"--tool is one of {', '.join(TOOLS)}, not {wanted!r}")
    if wanted == "wrk" and shutil.which("wrk") is None:
        raise LoadError("wrk is not installed (apt-get install wrk, or --tool python)")
    if wanted == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return wanted


class Generator:
    """A load run in its own process: ``start()``, then ``wait(on_tick)`` for its result;
    ``stop()`` ends it early (and is safe to call at any time)."""

    def __init__(self, command: list[str], parse: Callable[[str], Result], cleanup: Callable[[], None]):
        self.command = command
        self.parse = parse
        self.cleanup = cleanup
        self.process: subprocess.Popen | None = None

    def start(self) -> Generator:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return self

    def wait(self, on_tick: Callable[[], None] | None = None, limit_s: float = 600.0) -> Result:
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + limit_s
        try:
            while self.process.poll() is None:
                if time.monotonic() > deadline:
                    raise LoadError(f"the load generator ran past {limit_s:.0f} s and was stopped")
                if on_tick is not None:
                    on_tick()
                time.sleep(0.2)
            stdout, stderr = self.process.communicate()
            if self.process.returncode != 0:
                words = " | ".join(stderr.strip().splitlines()[-3:]) or "no output"
                raise LoadError(f"{self.command[0]} exited with {self.process.returncode}: {words}")
            result = self.parse(stdout)
            return replace(result, pid=result.pid or self.process.pid)
        finally:
            self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.cleanup()


def _marked(stdout: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise LoadError(f"the load generator printed no result: {stdout.strip()[-300:] or 'no output'}")


def wrk(
    port: int, path: str, headers: Mapping[str, str], duration_s: float, connections: int, threads: int = 1
) -> Generator:
    """wrk for ``duration_s`` seconds with ``connections`` connections on ``threads`` threads."""
    folder = tempfile.mkdtemp(prefix="lab-wrk-")
    script = Path(folder) / "report.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration_s))}s"]
    command += [f"--timeout={TIMEOUT_S:.0f}s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{HOST}:{port}{path}")

    def parse(stdout: str) -> Result:
        data = _marked(stdout)
        latency = {k: v / 1e6 for k, v in data["latency_us"].items()}
        seconds = data["duration_us"] / 1e6
        return Result("wrk", data["requests"], data["errors"], seconds, latency, connections)

    return Generator(command, parse, lambda: shutil.rmtree(folder, ignore_errors=True))


def client(
    port: int,
    path: str,
    headers: Mapping[str, str],
    duration_s: float,
    connections: int,
    rate: float | None = None,
    window_s: float = 10.0,
) -> Generator:
    """The Python client in its own process: a closed loop, or ``rate`` requests/s on schedule."""
    command = [sys.executable, "-m", "lab.web.loadgen", "--port", str(port), "--path", path]
    command += ["--duration", str(duration_s), "--connections", str(connections), "--window", str(window_s)]
    command += [arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")]
    if rate is not None:
        command += ["--rate", str(rate)]

    def parse(stdout: str) -> Result:
        return Result(**_marked(stdout))

    return Generator(command, parse, lambda: None)


# The client process itself.


def _request_bytes(path: str, headers: Mapping[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _one(port: int, request: bytes) -> str | None:
    """Send one request on a new connection and read the whole answer: ``None`` when it was
    answered 2xx/3xx, else the kind of error."""
    try:
        conn = socket.create_connection((HOST, port), timeout=TIMEOUT_S)
    except TimeoutError:
        return "timeout"
    except OSError:
        return "connect"
    try:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    except TimeoutError:
        return "timeout"
    except OSError:
        return "read"
    finally:
        conn.close()
    if not data.startswith(b"HTTP/1.") or not data[9:12].isdigit():
        return "read"
    return None if int(data[9:12]) < 400 else "status"


def drive(
    port: int,
    path: str,
    headers: Mapping[str, str],
    duration_s: float,
    connections: int,
    rate: float | None = None,
    window_s: float = 10.0,
) -> Result:
    """``connections`` threads sending requests for ``duration_s``: back to back, or each at
    its due time when ``rate`` is given. Latency counts from the due time."""
    request = _request_bytes(path, headers)
    slots = itertools.count()
    samples: list[tuple[float, float, str | None]] = []  # (due offset, latency, error)
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def worker() -> None:
        mine = []
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
            error = _one(port, request)
            mine.append((due - start, time.perf_counter() - due, error))
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
    name = "python-client" + ("" if rate is None else "-paced")
    return Result(name, len(samples), errors, elapsed, latency, connections, rate, window_s, windows)


def main(argv: Sequence[str] | None = None) -> int:
    """The client process: drive a loopback server, print the result as one marked JSON line."""
    p = argparse.ArgumentParser(prog="python -m lab.web.loadgen", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True, help="of the server on 127.0.0.1")
    p.add_argument("--path", default="/")
    p.add_argument("--header", action="append", default=[], help="'Name: value' (repeatable)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds")
    p.add_argument("--connections", type=int, default=8, help="requests in flight at most")
    p.add_argument("--rate", type=float, help="requests/s on a fixed schedule (default: back to back)")
    p.add_argument("--window", type=float, default=10.0, help="seconds per window of the latency report")
    args = p.parse_args(argv)
    if min(args.duration, args.connections, args.window, args.rate or 1) <= 0:
        p.error("--duration, --connections, --window and --rate must be positive")
    if any(":" not in h for h in args.header):
        p.error("--header takes 'Name: value'")
    headers = {k.strip(): v.strip() for k, v in (h.split(":", 1) for h in args.header)}
    result = drive(args.port, args.path, headers, args.duration, args.connections, args.rate, args.window)
    print(MARK + json.dumps(replace(result, pid=os.getpid()).to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
