"""``lab profile SYSTEM --with py-spy|memray``: a flame graph of the scenario.

The workload is prepared first, here; the scenario runs in a child process
(``python -m lab.profile_target``). With py-spy the child sets up, makes one call,
and waits: py-spy attaches to it (and its subprocesses, such as a process pool's
workers), then the child calls the scenario again and again for ``--duration``
seconds, so the samples are the scenario's, not imports or set-up; one recording
makes both the SVG flame graph and the speedscope profile. memray records one
scenario call (this process only: where the work runs in worker processes the output
says so) and writes its flame graph HTML and ``stats`` summary (JSON). Files land in
``<results>/profiles/`` named after what ran.
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
from lab.report.flame import flame_svg, read_collapsed, speedscope
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
    p.add_argument("--rate", type=int, default=100, help="py-spy samples per second (default: 100)")
    p.add_argument(
        "--duration",
        type=float,
        default=5.0,
        help="py-spy: seconds of scenario calls to sample, after set-up (default: 5)",
    )
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


def _attach(exe: str, pid: int, raw: Path, rate: int) -> subprocess.Popen[str]:
    """py-spy recording ``pid`` and its subprocesses into ``raw`` (collapsed stacks), once it says
    it is sampling; a refusal to trace is a clear error."""
    spy = subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--subprocesses", "--rate", str(rate), "--format", "raw"]
        + ["-o", str(raw)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert spy.stdout is not None
    first = spy.stdout.readline()  # "py-spy> Sampling process 100 times a second..."
    if "sampling" not in first.lower():
        rest, err_text = spy.communicate()
        rest = first + rest + err_text
        code = spy.returncode
        if ptrace_refused(code or 1, rest):
            raise LabError(PTRACE_HELP + f" (py-spy said: {rest.strip().splitlines()[-1]})")
        raise LabError(f"py-spy failed (exit {code}): {rest.strip()[-500:]}")
    return spy


def _py_spy(target: list[str], base: Path, rate: int, duration: float) -> list[Path]:
    """Sample the scenario alone: the target sets up, says ready, and py-spy attaches before the
    calls start; one recording makes both the flame graph and the speedscope profile."""
    exe = _tool("py-spy")
    if exe is None:
        raise UsageError("py-spy is not installed (pip install py-spy)")
    raw = base.with_name(base.name + ".py-spy.collapsed.txt")
    child = subprocess.Popen(
        [*target, "--duration", str(duration)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        _, err_text = child.communicate()
        raise LabError(f"the scenario did not start (exit {child.returncode}): {err_text.strip()[-500:]}")
    try:
        spy = _attach(exe, child.pid, raw, rate)
    except LabError:
        child.kill()
        child.wait()
        raise
    child.stdin.write("go\n")
    child.stdin.flush()
    _, err_text = child.communicate()
    spy_err = spy.communicate()[1]
    if child.returncode != 0 or not raw.exists():
        raise LabError(f"profiling failed (exit {child.returncode}): {(err_text + spy_err).strip()[-500:]}")
    stacks = read_collapsed(raw)
    title = f"{base.name}: {sum(c for _, c in stacks):,} samples of the scenario ({err_text.strip()})"
    svg = base.with_name(base.name + ".py-spy.svg")
    svg.write_text(flame_svg(stacks, title), encoding="utf-8")
    scope = base.with_name(base.name + ".py-spy.speedscope.json")
    scope.write_text(json.dumps(speedscope(stacks, base.name)), encoding="utf-8")
    out.print(f"py-spy: {title}; the flame graph and the speedscope profile are the same samples")
    return [svg, scope, raw]


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
    choices, params = system.resolve(parse_settings(args.set))
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
    note = system.memory_untracked(choices) if args.tool == "memray" else None
    made = _py_spy(target, base, args.rate, args.duration) if args.tool == "py-spy" else _memray(target, base)
    if note:
        out.print(f"[yellow]memray covers this process only[/]: {note}")
    for path in made:
        out.print(f"written {path}")
    return 0
