"""Load generators, each in its own process, against a server on loopback.

- ``wrk`` (Debian's package): as many requests as ``connections`` keep in flight for a fixed
  duration (the maximum rate); a Lua script prints its summary and latency percentiles as
  JSON.
- lab's Python client (:mod:`lab.web.loadclient`): the same closed loop without a rate, or,
  with ``--rate``, requests sent on a fixed schedule, latency counted from when each was due.

Both report requests, errors by kind, requests/s and latency percentiles; the client also
per window of its run (``--window`` seconds).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lab.errors import LabError

__all__ = ["Result", "Generator", "LoadError", "wrk", "client", "tool", "TOOLS"]

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
    keep_alive: bool = False,
) -> Generator:
    """The Python client in its own process: a closed loop, or ``rate`` requests/s on schedule;
    ``keep_alive``: each of its connections kept open."""
    command = [sys.executable, "-m", "lab.web.loadclient", "--port", str(port), "--path", path]
    command += ["--duration", str(duration_s), "--connections", str(connections), "--window", str(window_s)]
    command += [arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")]
    if rate is not None:
        command += ["--rate", str(rate)]
    if keep_alive:
        command.append("--keep-alive")

    def parse(stdout: str) -> Result:
        return Result(**_marked(stdout))

    return Generator(command, parse, lambda: None)
