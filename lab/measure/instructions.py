"""Instructions executed, counted under valgrind: a figure that does not move with the machine's load.

Wall time on a shared machine moves by 10-40% between runs; the number of
instructions a deterministic call executes does not (two counts of the same run
agree to about 0.02%, and to a few parts per million with the same hash seed). valgrind's
``cachegrind`` (without cache simulation, its cheapest mode) counts every
instruction of a process, start-up and imports included, so the count of a call
is a difference: the same command once with the calls and once without
(``--skip-calls``), divided by the number of calls. Nothing here knows a system:
it is handed the command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError, UsageError

__all__ = ["Count", "count_process", "count_calls", "valgrind_missing", "DETERMINISTIC_ENV"]

#: Set for every counted process: the same hash seed, one thread for the libraries that would
#: otherwise share work between threads in an order that changes the count.
DETERMINISTIC_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
    "RAYON_NUM_THREADS": "1",
    "ARROW_NUM_THREADS": "1",
}
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


@dataclass(frozen=True)
class Count:
    """Instructions of ``calls`` calls: ``total`` with them, ``baseline`` without, ``per_call``."""

    calls: int
    total: int
    baseline: int

    @property
    def per_call(self) -> int:
        return round((self.total - self.baseline) / self.calls)


def valgrind_missing() -> str | None:
    """``None`` when valgrind can count here, else why not."""
    if shutil.which("valgrind") is None:
        return "valgrind is not installed (apt-get install valgrind; make install does it)"
    return None


def count_process(command: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Instructions executed by ``command`` from start to exit, under valgrind's cachegrind."""
    reason = valgrind_missing()
    if reason:
        raise UsageError(reason)
    with tempfile.TemporaryDirectory(prefix="lab-valgrind-") as folder:
        log = Path(folder) / "valgrind.log"
        fixed = ["setarch", os.uname().machine, "-R"] if shutil.which("setarch") else []  # no ASLR
        done = subprocess.run(
            [
                *fixed,
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                "--cachegrind-out-file=/dev/null",
                f"--log-file={log}",
                *command,
            ],
            env={**os.environ, **(env or {}), **DETERMINISTIC_ENV},
            capture_output=True,
            text=True,
        )
        text = log.read_text() if log.exists() else ""
    if done.returncode != 0:
        raise LabError(f"counting failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    found = _REFS.search(text)
    if found is None:
        raise LabError("valgrind printed no instruction count")
    return int(found.group(1).replace(",", ""))


def count_calls(
    command: Sequence[str], calls: int, env: Mapping[str, str] | None = None, skip_flag: str = "--skip-calls"
) -> Count:
    """Instructions of the ``calls`` calls ``command`` makes: its count minus the count of the same
    command with ``skip_flag`` (every set-up and reset, no call), in two processes."""
    if calls < 1:
        raise UsageError("counting instructions needs at least one call")
    total = count_process([*command, "--calls", str(calls)], env)
    baseline = count_process([*command, "--calls", str(calls), skip_flag], env)
    return Count(calls, total, baseline)
