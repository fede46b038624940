"""``lab profile SYSTEM --with py-spy|memray``: a flame graph of one scenario run.

The workload is prepared first, here; the run itself happens once in a child
process (``python -m lab.profile_target``). py-spy samples that child and writes
an SVG flame graph and a speedscope JSON profile; memray records the scenario
call and writes its flame graph HTML and ``stats`` summary (JSON). Files land in
``results/profiles/`` named after what ran.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from lab import harness, tiers
from lab.cli.common import out, progress_bar
from lab.errors import LabError, UsageError
from lab.paths import results_dir
from lab.report.summary import human_bytes
from lab.strategies import System, parse_settings
from lab.systems import get_system

__all__ = ["add_parser", "profile_name", "ptrace_refused"]

PTRACE_HELP = (
    "py-spy was refused permission to trace the process (ptrace). Run as root, or grant "
    "CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE), or allow it with "
    "sysctl kernel.yama.ptrace_scope=0; or profile memory with --with memray instead."
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", help="flame graph of one run, with py-spy or memray")
    p.add_argument("system")
    p.add_argument("--tier", default="small")
    p.add_argument("--set", action="append", default=[], metavar="AXIS=NAME")
    p.add_argument("--with", dest="tool", choices=("py-spy", "memray"), required=True)
    p.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_profile)


def profile_name(system: str, tier: str, choices: dict[str, str], params: dict[str, int]) -> str:
    """``SYSTEM-TIER-STRATEGY...`` (plus ``-PARAM-VALUE`` for a set parameter)."""
    parts = [system, tier, *choices.values()] + [f"{k}-{v}" for k, v in params.items()]
    return "-".join(p.replace("/", "_") for p in parts)


def ptrace_refused(returncode: int, stderr: str) -> bool:
    """Whether a failed py-spy run failed because tracing was not permitted."""
    text = stderr.lower()
    return returncode != 0 and any(
        w in text for w in ("permission denied", "operation not permitted", "ptrace")
    )


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def _target(system: System, args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "lab.profile_target", system.name, "--tier", args.tier]
    command += ["--seed", str(args.seed)] + [x for pair in args.set for x in ("--set", pair)]
    return command


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True)


def _py_spy(target: list[str], base: Path, rate: int) -> list[Path]:
    exe = _tool("py-spy")
    if exe is None:
        raise UsageError("py-spy is not installed (pip install py-spy)")
    made = []
    for fmt, suffix in (("flamegraph", ".py-spy.svg"), ("speedscope", ".py-spy.speedscope.json")):
        path = base.with_name(base.name + suffix)
        done = _run([exe, "record", "--rate", str(rate), "--format", fmt, "-o", str(path), "--", *target])
        if ptrace_refused(done.returncode, done.stderr):
            raise LabError(PTRACE_HELP + f" (py-spy said: {done.stderr.strip().splitlines()[-1]})")
        if done.returncode != 0 or not path.exists():
            raise LabError(f"py-spy failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
        made.append(path)
    return made


def _memray(target: list[str], base: Path) -> list[Path]:
    if importlib.util.find_spec("memray") is None:
        raise UsageError("memray is not installed (pip install memray)")
    capture = base.with_name(base.name + ".memray.bin")
    html = base.with_name(base.name + ".memray.html")
    stats = base.with_name(base.name + ".memray-stats.json")
    memray = [sys.executable, "-m", "memray"]
    for command in (
        [*target, "--memray", str(capture)],
        [*memray, "flamegraph", "--force", "-o", str(html), str(capture)],
        [*memray, "stats", "--json", "--force", "-o", str(stats), str(capture)],
    ):
        done = _run(command)
        if done.returncode != 0:
            raise LabError(
                f"{' '.join(command[:4])} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}"
            )
    meta = json.loads(stats.read_text()).get("metadata", {})
    out.print(
        f"memray: peak heap {human_bytes(meta.get('peak_memory'))} during the scenario call, "
        f"{meta.get('total_allocations', 0):,} allocations"
    )
    return [html, stats, capture]


def cmd_profile(args: argparse.Namespace) -> int:
    system = get_system(args.system)
    given, params = system.split(parse_settings(args.set))
    choices = system.complete(given)
    reason = system.unavailable(choices)
    if reason:
        raise UsageError(f"cannot run this here: {reason}")
    tier = tiers.get(args.tier)
    with progress_bar() as progress:
        task = progress.add_task(f"preparing {tier.name}", total=None)
        harness.workload_for(
            system, tier, args.seed, lambda d, t: progress.update(task, completed=d, total=t)
        )
    folder = results_dir() / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / profile_name(system.name, tier.name, choices, params)
    target = _target(system, args)
    out.print(f"profiling {' '.join(target[2:])} with {args.tool}")
    made = _py_spy(target, base, args.rate) if args.tool == "py-spy" else _memray(target, base)
    for path in made:
        out.print(f"written {path}")
    return 0
