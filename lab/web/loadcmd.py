"""``lab web-load``: each configuration under gunicorn on loopback, loaded for a fixed time by a
generator in its own process; requests/s, p50, p99 and errors written as records (source
``load``) and as ``web-load.md`` in the results folder. ``--sustained SECONDS`` then holds one
configuration at a fraction of its measured maximum for that long, with the p99 of each window.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from lab.errors import UsageError
from lab.measure import Record, append_record, new_run_id
from lab.paths import results_dir
from lab.web import loadgen
from lab.web.load import Plan, measure, record, stability
from lab.web.loadapps import CONFIGS
from lab.web.loadgen import LoadError, Result
from lab.web.loadsummary import SUMMARY, summary, sustained_lines, table
from lab.web.workload import ROUTES

__all__ = ["main"]

err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 160)


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Load lab's app in each middleware configuration, and Falcon's, under gunicorn on "
        "loopback; record requests/s, p50, p99 and errors of each.",
    )
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, of: {', '.join(CONFIGS)}")
    p.add_argument(
        "--tier", default="small", help="the route table: tiny 10, small 100, medium 1,000 routes..."
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn's sync worker processes")
    p.add_argument("--connections", type=int, default=8, help="requests in flight")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load a round")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of untimed load first")
    p.add_argument("--rounds", type=int, default=3, help="runs of each configuration, interleaved")
    p.add_argument("--tool", default="auto", choices=loadgen.TOOLS, help="wrk when installed, else Python")
    p.add_argument(
        "--sustained", type=float, default=0.0, metavar="SECONDS", help="then a paced run this long"
    )
    p.add_argument("--sustained-config", default="composed", help="the configuration of the paced run")
    p.add_argument(
        "--fraction",
        type=_fractions,
        default=(0.5,),
        help="of the measured maximum, for the paced run (comma-separated: one paced run each)",
    )
    p.add_argument("--rate", type=float, help="requests/s of the paced run (instead of --fraction)")
    p.add_argument("--window", type=float, default=10.0, help="seconds per window of the paced run's p99")
    return p


def _fractions(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes numbers in (0, 1], not {text!r}") from None
    if not values or not all(0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"takes numbers in (0, 1], not {text!r}")
    return values


def _check(args: argparse.Namespace) -> list[str]:
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    unknown = [n for n in names + [args.sustained_config] if n not in CONFIGS]
    if unknown or not names:
        raise UsageError(
            f"unknown configuration {', '.join(unknown) or '(none)'} (choose from: {', '.join(CONFIGS)})"
        )
    if args.tier not in ROUTES:
        raise UsageError(f"--tier is one of {', '.join(ROUTES)}, not {args.tier!r}")
    if min(args.workers, args.connections, args.rounds) < 1 or args.duration <= 0 or args.window <= 0:
        raise UsageError("--workers, --connections, --rounds, --duration and --window must be positive")
    if args.warmup < 0 or args.sustained < 0 or (args.rate or 1) <= 0:
        raise UsageError("--warmup and --sustained are 0 or more, --rate positive")
    return names


def main(argv: Sequence[str] | None = None, prog: str = "lab web-load") -> int:
    """Parse ``argv``, load each configuration, write records and the summary."""
    args = _parser(prog).parse_args(argv)
    names = _check(args)
    plan = Plan(
        args.tier,
        ROUTES[args.tier],
        args.workers,
        args.connections,
        args.duration,
        args.warmup,
        loadgen.tool(args.tool),
        args.window,
    )
    command = " ".join([prog, shlex.join(argv if argv is not None else sys.argv[2:])]).strip()
    folder = results_dir()
    records = Kept(folder / "runs")
    steps = args.rounds * len(names) * (args.duration + args.warmup)
    try:
        with _progress() as progress:
            paced = [args.rate] if args.rate else list(args.fraction)
            total = steps + len(paced) * (args.sustained + args.warmup)
            runner = Runner(plan, new_run_id(), command, progress, total)
            for name, results in runner.rounds(names, args.rounds).items():
                records.append(runner.record(name, results))
            name = args.sustained_config
            for value in paced if args.sustained else []:
                rate = value if args.rate else value * _maximum(records, name, runner)
                more = {} if args.rate else {"fraction": value}
                records.append(
                    runner.record(name, [runner.once(name, rate, args.sustained)], args.sustained, more)
                )
    except KeyboardInterrupt:
        print("lab: interrupted (the server was stopped)", file=sys.stderr)
        return 130
    text = summary(records)
    (folder / SUMMARY).parent.mkdir(parents=True, exist_ok=True)
    (folder / SUMMARY).write_text(text, encoding="utf-8")
    out.print(table(records))
    for line in sustained_lines(records):
        out.print(line)
    out.print(f"written {folder / 'runs' / 'web.jsonl'} and {folder / SUMMARY}")
    return 0


class Runner:
    """Measures configurations of one run (shared ``run_id``), showing progress in seconds."""

    def __init__(self, plan: Plan, run_id: str, command: str, progress: Progress, total: float) -> None:
        self.plan, self.run_id, self.command, self.progress = plan, run_id, command, progress
        self.task = progress.add_task("load", total=total)
        self.fingerprints: dict[str, str] = {}

    def rounds(self, names: Sequence[str], rounds: int) -> dict[str, list[Result]]:
        """Each configuration ``rounds`` times, interleaved (a, b, c, a, b, c...)."""
        results: dict[str, list[Result]] = {name: [] for name in names}
        for number in range(rounds):
            for name in names:
                results[name].append(self.once(name, None, None, f" (round {number + 1} of {rounds})"))
        return results

    def once(self, name: str, rate: float | None, duration_s: float | None, note: str = "") -> Result:
        """One load run of ``name``: at its maximum rate, or paced at ``rate``."""
        plan = self.plan
        duration = duration_s or plan.duration_s
        what = f"{name}: " + (
            f"{rate:,.0f} requests/s paced" if rate else f"{plan.tool}, {plan.connections} connections"
        )
        self.progress.update(self.task, description=what + note)
        if not err.is_terminal:
            err.print(f"{what}, {plan.warmup_s:g} + {duration:g} s{note}")
        last = [time.monotonic()]

        def tick() -> None:
            now = time.monotonic()
            self.progress.advance(self.task, now - last[0])
            last[0] = now

        result, fingerprint = measure(CONFIGS[name], plan, rate, duration, tick)
        if self.fingerprints.setdefault(name, fingerprint) != fingerprint:
            raise LoadError(f"{name} answered another body than before")
        return result

    def record(
        self, name: str, results: list[Result], duration_s: float | None = None, more: dict | None = None
    ) -> Record:
        config = CONFIGS[name]
        extra: dict[str, Any] = {"description": config.description, **(more or {})}
        if results[0].target_rate:
            extra["mode"] = "sustained"
            extra |= {f"p99_windows_{k}": v for k, v in stability(results[0]).items()}
        duration = duration_s or self.plan.duration_s
        return record(
            config, self.plan, results, self.fingerprints[name], self.run_id, self.command, duration, extra
        )


class Kept(list):
    """The run's records, each appended to ``runs/web.jsonl`` as soon as it is measured."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def append(self, record: Record) -> None:
        append_record(record, self.folder)
        super().append(record)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _maximum(records: list[Record], name: str, runner: Runner) -> float:
    """The maximum rate of ``name`` measured in this run (measured now, once, if it was not)."""
    found = [r for r in records if r.extras and r.extras["configuration"] == name]
    if not found:
        plan = runner.plan
        runner.progress.update(
            runner.task, total=(runner.progress.tasks[0].total or 0) + plan.duration_s + plan.warmup_s
        )
        found = [runner.record(name, [runner.once(name, None, None)])]
        records.append(found[0])
    return float(found[0].per_s or 0.0)


if __name__ == "__main__":
    sys.exit(main())
