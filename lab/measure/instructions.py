"""Instructions executed, counted under valgrind: a figure that does not move with the machine's load.

Wall time on a shared machine moves by 10-40% between runs; the number of
instructions a deterministic call executes does not (two counts of the same run
agree to about 0.02%, and to a few parts per million with the same hash seed). valgrind's
``cachegrind`` (without cache simulation, its cheapest mode) counts every
instruction of a process, start-up and imports included, so the count of a call
is a difference: the same command once with the calls and once without
(``--skip-calls``), divided by the number of calls. Nothing here knows a system:
it is handed the command.

The counted process starts in a folder the caller names, without the variables a shell
changes from one command to the next (:data:`VOLATILE_ENV`): every variable and the working
directory are copied into the process (``os.environ``, ``sys.path``), so a shell's
``OLDPWD`` or a longer folder name would otherwise enter the count.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError, UsageError

__all__ = ["Count", "count_process", "count_calls", "counting_env", "valgrind_missing", "DETERMINISTIC_ENV"]

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
#: Variables a shell sets anew for each command or folder: not passed to a counted process.
VOLATILE_ENV = ("_", "PWD", "OLDPWD", "SHLVL")
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


def counting_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a counted process: this one's but :data:`VOLATILE_ENV`, then
    ``env``, then :data:`DETERMINISTIC_ENV`."""
    kept = {k: v for k, v in os.environ.items() if k not in VOLATILE_ENV}
    return {**kept, **(env or {}), **DETERMINISTIC_ENV}


def count_process(
    command: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> int:
    """Instructions executed by ``command`` from start to exit, under valgrind's cachegrind, in
    the environment :func:`counting_env` makes and in ``cwd`` (default: the temporary folder)."""
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
            env=counting_env(env),
            cwd=cwd or tempfile.gettempdir(),  # a fixed folder: a random name would enter the count
            capture_output=True,
            text=True,
        )
        text = log.read_text() if log.exists() else ""
    if done.returncode == -signal.SIGILL:
        raise UsageError(
            "valgrind cannot count this: the process stopped on an instruction valgrind does not "
            "emulate (SIGILL; a compiled library built for newer processors, such as AVX-512)"
        )
    if done.returncode != 0:
        raise LabError(f"counting failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    found = _REFS.search(text)
    if found is None:
        raise LabError("valgrind printed no instruction count")
    return int(found.group(1).replace(",", ""))


def count_calls(
    command: Sequence[str],
    calls: int,
    env: Mapping[str, str] | None = None,
    skip_flag: str = "--skip-calls",
    cwd: Path | None = None,
) -> Count:
    """Instructions of the ``calls`` calls ``command`` makes: its count minus the count of the same
    command with ``skip_flag`` (every set-up and reset, no call), in two processes."""
    if calls < 1:
        raise UsageError("counting instructions needs at least one call")
    total = count_process([*command, "--calls", str(calls)], env, cwd)
    baseline = count_process([*command, "--calls", str(calls), skip_flag], env, cwd)
    return Count(calls, total, baseline)
