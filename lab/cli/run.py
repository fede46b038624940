"""``lab run SYSTEM``: one measured run, on a tier or (analytics) on your own CSV."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from lab import harness, tiers
from lab.cli.common import bytes_bar, out, parse_settings, progress_bar
from lab.errors import UsageError
from lab.report.summary import human_bytes, human_seconds
from lab.strategies import System, label
from lab.systems import get_system

__all__ = ["add_parser", "load_workload"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="one measured run")
    p.add_argument("system")
    p.add_argument("--tier", default="small")
    p.add_argument("--set", action="append", default=[], metavar="AXIS=NAME")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--memory", action="store_true", help="also measure peak heap (memray)")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--input", help="your own CSV file instead of a tier (analytics)")
    p.add_argument("--column", help="the numeric column of --input")
    p.add_argument("--group-by", help="the column of --input to group by")
    p.add_argument("--delimiter", help="the delimiter of --input (sniffed when not given)")
    p.set_defaults(func=cmd_run)


def load_workload(system: System, args: argparse.Namespace) -> tuple[Any, str]:
    """The workload ``args`` names (a tier, or ``--input``) and the tier name to record."""
    if getattr(args, "input", None):
        if system.name != "analytics":
            raise UsageError("--input is for the analytics system")
        from lab.analytics import from_file

        if not args.column:
            raise UsageError("--input needs --column NAME (the numeric column)")
        workload = from_file(args.input, args.column, args.group_by, args.delimiter)
        return workload, f"file:{Path(args.input).name}"
    tier = tiers.get(args.tier)
    with progress_bar() as progress:
        task = progress.add_task(f"preparing {tier.name}", total=None)
        workload = harness.workload_for(
            system,
            tier,
            args.seed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    return workload, tier.name


def _size_of(workload: Any) -> int | None:
    path = getattr(getattr(workload, "source", None), "path", None)
    try:
        return Path(path).stat().st_size if path else None
    except OSError:
        return None


def cmd_run(args: argparse.Namespace) -> int:
    system = get_system(args.system)
    given, params = system.split(parse_settings(args.set))
    choices = system.complete(given)
    reason = system.unavailable(choices)
    if reason:
        raise UsageError(f"cannot run {label(choices)} here: {reason}")
    workload, tier_name = load_workload(system, args)
    size = _size_of(workload)
    steps = args.warmup + args.repeat + (1 if args.memory else 0)
    with bytes_bar() as progress:
        title = f"{system.name} {label(choices)}"
        runs = progress.add_task(title, total=steps)
        read = progress.add_task("reading", total=size)

        def on_bytes(done: int) -> None:
            progress.update(read, completed=done)

        def on_step(phase: str) -> None:
            progress.update(runs, advance=1, description=f"{title} ({phase})")
            progress.update(read, completed=0)

        measured = harness.measure_run(
            system,
            workload,
            tier_name,
            choices,
            params,
            repeat=args.repeat,
            warmup=args.warmup,
            memory=args.memory,
            progress=on_bytes if size else None,
            on_step=on_step,
        )
    record, outcome = measured.record, measured.outcome
    if args.json:
        document = {**record, "answer": outcome.answer, "details": outcome.details}
        print(json.dumps(document, indent=2, default=str))
        return 0
    print_run(record, outcome)
    return 0


def print_run(record: dict[str, Any], outcome: Any) -> None:
    """A measured run for people: timing, memory, counts, and the answer as a table."""
    out.print(f"[bold]{record['system']}[/] on [bold]{record['tier']}[/] with {label(record['choices'])}")
    out.print(
        f"  median {human_seconds(record['median_s'])} (IQR {human_seconds(record['iqr_s'])}, "
        f"{len(record['samples'])} repeats) for {record['n']:,} items: "
        f"{record['per_s'] or 0:,.0f} items/s"
    )
    if record["peak_bytes"] is not None:
        out.print(f"  peak heap {human_bytes(record['peak_bytes'])} (memray)")
    counts = ", ".join(f"{k} {v:,}" for k, v in record["counts"].items())
    out.print(f"  {counts}; fingerprint {record['fingerprint']}")
    if outcome.details.get("quarantine_file"):
        out.print(f"  quarantined rows written to {outcome.details['quarantine_file']}")
    answer = outcome.answer
    if "overall" in answer:
        table = Table(title=f"{answer.get('column', '')} by {answer.get('group_by') or '-'}")
        keys = ["count", "mean", "variance", "stddev", "min", "max"]
        table.add_column("group")
        for k in keys:
            table.add_column(k, justify="right")
        rows = [("(all)", answer["overall"])] + list(answer.get("groups", {}).items())
        for name, summary in rows:
            table.add_row(name, *[_num(summary.get(k)) for k in keys])
        out.print(table)


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.6g}"
