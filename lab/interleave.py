"""Interleaved A/B runs: two versions of the code, timed in fresh processes, A B B A A B ...

Runs minutes apart on a shared machine drift by more than their samples spread, so
two sweeps compared afterwards disagree even when nothing changed. Alternating the
two sides in fresh worker processes (as pyperf does) makes drift hit both alike.
A side is a git commit (checked out into a temporary worktree; ``.`` is the working
tree as it is) or environment settings (``env:VAR=VALUE,VAR2=VALUE``; ``env:`` for
none). Each worker runs the whole plan (each strategy of the chosen axes on each
tier) and prints one JSON line per combination: ``python -m lab.interleave SYSTEM ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import harness, tiers
from lab.errors import InputError, LabError, UsageError
from lab.measure import Record, make_record, new_run_id, time_call
from lab.measure.timing import Timing
from lab.paths import data_dir
from lab.scenario import Scenario
from lab.systems import get_system

__all__ = ["Side", "open_side", "worker_command", "interleave", "main"]


@dataclass(frozen=True)
class Side:
    """One side of the comparison: its name, the code it runs (``root`` on ``PYTHONPATH``, or the
    installed lab), the environment it adds, and the commit it is."""

    name: str
    env: dict[str, str] = field(default_factory=dict)
    root: Path | None = None
    commit: str | None = None


def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


@contextmanager
def open_side(spec: str) -> Iterator[Side]:
    """The side ``spec`` names; a commit is checked out into a temporary worktree, removed after."""
    if spec.startswith("env:"):
        pairs = [p for p in spec[4:].split(",") if p]
        env = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise UsageError(f"env: takes VAR=VALUE pairs, not {pair!r}")
            env[key] = value
        yield Side(spec, env)
        return
    if spec == ".":
        yield Side("working tree")
        return
    top = Path(_git("rev-parse", "--show-toplevel"))
    commit = _git("rev-parse", "--verify", "--quiet", "--short=12", f"{spec}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="lab-side-") as folder:
        tree = Path(folder) / "tree"
        _git("worktree", "add", "--detach", "--quiet", str(tree), commit, cwd=top)
        if not (tree / "lab" / "interleave.py").exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=top, capture_output=True)
            raise UsageError(f"commit {commit} predates interleaved runs (it has no lab/interleave.py)")
        try:
            yield Side(f"{spec} ({commit})", root=tree, commit=commit)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=top, capture_output=True)


def worker_command(
    system: str, tier_names: Sequence[str], axes: Sequence[str] | None, repeat: int, warmup: int, seed: int
) -> list[str]:
    """The command of one worker process: the whole plan, ``repeat`` timed calls of each."""
    command = [sys.executable, "-m", "lab.interleave", system, "--tiers", ",".join(tier_names)]
    command += ["--repeat", str(repeat), "--warmup", str(warmup), "--seed", str(seed)]
    return command + (["--axis", ",".join(axes)] if axes else [])


def _run_worker(command: Sequence[str], side: Side) -> list[dict[str, Any]]:
    env = {**os.environ, **side.env, "LAB_DATA_DIR": str(data_dir().resolve())}
    if side.root is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(side.root), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(list(command), env=env, capture_output=True, text=True, cwd=side.root)
    if done.returncode != 0:
        raise LabError(
            f"a worker of {side.name} failed (exit {done.returncode}): {done.stderr.strip()[-400:]}"
        )
    try:
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"a worker of {side.name} printed what is not JSON: {exc}") from None


def interleave(
    system: str,
    sides: Sequence[Side],
    command: Sequence[str],
    rounds: int,
    on_worker: Callable[[str], None] | None = None,
) -> dict[str, list[Record]]:
    """Run ``command`` for each side, ``rounds`` times, alternating the order (A B, B A, ...);
    return each side's records (the samples of every round pooled, in round order, and the
    number of rounds in ``extras``, so that a comparison can pair round i of A with round i
    of B), by side name."""
    if rounds < 1:
        raise UsageError("--rounds must be at least 1")
    pooled: dict[str, dict[str, dict[str, Any]]] = {s.name: {} for s in sides}
    for i in range(rounds):
        for side in sides if i % 2 == 0 else list(reversed(sides)):
            for line in _run_worker(command, side):
                key = json.dumps([line["tier"], line["choices"], line["params"]], sort_keys=True)
                seen = pooled[side.name].setdefault(key, {**line, "samples": []})
                seen["samples"] += line["samples"]
            if on_worker:
                on_worker(side.name)
    run_id = new_run_id()
    unit = get_system(system).unit
    out: dict[str, list[Record]] = {}
    for side in sides:
        out[side.name] = [
            make_record(
                system=system,
                tier=line["tier"],
                choices=line["choices"],
                params=line["params"],
                n=line["n"],
                timing=Timing(line["samples"]),
                peak_bytes=None,
                fingerprint=line["fingerprint"],
                item=unit,
                extras={"rounds": rounds},
                run_id=run_id,
                source="interleaved",
            ).replace(commit=side.commit or line["commit"])
            for line in pooled[side.name].values()
        ]
    return out


def _measure_plan(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    system = get_system(args.system)
    axes = [a for a in (args.axis or "").split(",") if a] or None
    runnable, _ = harness.sweep_plan(system, axes)
    for tier in tiers.parse_tiers(args.tiers):
        workload = harness.workload_for(system, tier, args.seed)
        for choices in runnable:
            with Scenario(system, workload, choices) as scenario:
                timing, outcome = time_call(scenario, args.repeat, args.warmup, reset=scenario.reset)
            yield {
                "tier": tier.name,
                "choices": choices,
                "params": scenario.params,
                "n": outcome.n,
                "fingerprint": outcome.fingerprint,
                "samples": timing.samples_s,
            }


def main(argv: Sequence[str] | None = None) -> int:
    """A worker: time the plan, one JSON line per combination on stdout."""
    from lab.measure.records import commit

    p = argparse.ArgumentParser(prog="python -m lab.interleave")
    p.add_argument("system")
    p.add_argument("--tiers", default="small")
    p.add_argument("--axis")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    try:
        for line in _measure_plan(args):
            print(json.dumps({**line, "commit": commit()}), flush=True)
    except LabError as exc:
        print(f"lab.interleave: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
