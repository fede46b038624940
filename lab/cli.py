"""The ``lab`` command: list, data, run, sweep."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable

from lab import harness, tiers
from lab.errors import LabError, UsageError
from lab.paths import results_dir
from lab.report.summary import COLUMNS, cells, human_bytes, human_seconds, summarize, to_markdown
from lab.strategies import System, label
from lab.systems import get_system, systems

__all__ = ["main"]

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def _fail(message: str, code: int) -> int:
    """Print a one-line error and return the exit code."""
    print(f"lab: error: {message}", file=sys.stderr)
    return code


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def _bytes_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def _settings(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"--set takes AXIS=NAME, not {pair!r}")
        settings[key.strip()] = value.strip()
    return settings


# ---------------------------------------------------------------- list


def cmd_list(args: argparse.Namespace) -> int:
    chosen = [get_system(args.system)] if args.system else systems()
    table = RichTable(title="systems, axes and strategies")
    for col in ("system", "axis", "strategy", "description", "available here"):
        table.add_column(col)
    for system in chosen:
        table.add_row(f"[bold]{system.name}[/]", "", "", system.description, "")
        for axis in system.axes:
            for s in axis.strategies:
                reason = s.unavailable()
                ref = " (reference)" if s.name == axis.reference else ""
                table.add_row(
                    "",
                    axis.name,
                    s.name + ref,
                    s.description,
                    "yes" if reason is None else f"[red]no[/]: {reason}",
                )
        if system.params:
            params = ", ".join(f"{k}={v}" for k, v in system.params.items())
            table.add_row("", "[dim]params[/]", params, "set with --set NAME=VALUE", "")
    out.print(table)
    return 0


# ---------------------------------------------------------------- data


def cmd_data(args: argparse.Namespace) -> int:
    tier = tiers.get(args.tier)
    chosen = [get_system(args.system)] if args.system else systems()
    with _progress() as progress:
        for system in chosen:
            task = progress.add_task(f"{system.name} {tier.name}", total=None)

            def report(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            workload = harness.workload_for(system, tier, args.seed, progress=report)
            progress.update(task, completed=progress.tasks[task].total or 1)
            out.print(f"{system.name} {tier.name}: {workload}")
    return 0


# ---------------------------------------------------------------- run


def _workload(system: System, args: argparse.Namespace) -> tuple[Any, str]:
    if getattr(args, "input", None):
        if system.name != "analytics":
            raise UsageError("--input is for the analytics system")
        from lab.analytics import from_file

        if not args.column:
            raise UsageError("--input needs --column NAME (the numeric column)")
        workload = from_file(args.input, args.column, args.group_by, args.delimiter)
        return workload, f"file:{Path(args.input).name}"
    tier = tiers.get(args.tier)
    with _progress() as progress:
        task = progress.add_task(f"preparing {tier.name}", total=None)
        workload = harness.workload_for(
            system,
            tier,
            args.seed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    return workload, tier.name


def _size_of(workload: Any) -> int | None:
    source = getattr(workload, "source", None)
    path = getattr(source, "path", None)
    try:
        return Path(path).stat().st_size if path else None
    except OSError:
        return None


def cmd_run(args: argparse.Namespace) -> int:
    system = get_system(args.system)
    given, params = system.split(_settings(args.set))
    choices = system.complete(given)
    reason = system.unavailable(choices)
    if reason:
        raise UsageError(f"cannot run {label(choices)} here: {reason}")
    workload, tier_name = _workload(system, args)
    size = _size_of(workload)
    steps = args.warmup + args.repeat + (1 if args.memory else 0)
    with _bytes_progress() as progress:
        runs = progress.add_task(f"{system.name} {label(choices)}", total=steps)
        read = progress.add_task("reading", total=size)

        def on_bytes(done: int) -> None:
            progress.update(read, completed=done)

        def on_step(phase: str) -> None:
            progress.update(runs, advance=1, description=f"{system.name} {label(choices)} ({phase})")
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
        print(
            json.dumps(
                {**record, "answer": outcome.answer, "details": outcome.details}, indent=2, default=str
            )
        )
        return 0
    _print_run(record, outcome)
    return 0


def _print_run(record: dict[str, Any], outcome: Any) -> None:
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
        table = RichTable(title=f"{answer.get('column', '')} by {answer.get('group_by') or '-'}")
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


# ---------------------------------------------------------------- sweep


def cmd_sweep(args: argparse.Namespace) -> int:
    system = get_system(args.system)
    chosen_tiers = tiers.parse_tiers(args.tiers)
    runnable, skipped = harness.sweep_plan(system, args.axis)
    for choices, reason in skipped:
        err.print(f"[yellow]skipped[/] {label(choices)}: {reason}")
    records: list[dict[str, Any]] = []
    steps_each = args.warmup + args.repeat + (0 if args.no_memory else 1)
    with _progress() as progress:
        overall = progress.add_task(
            f"sweep {system.name}", total=len(chosen_tiers) * len(runnable) * steps_each
        )
        for tier in chosen_tiers:
            prep = progress.add_task(f"preparing {tier.name}", total=None)
            workload = harness.workload_for(
                system,
                tier,
                args.seed,
                progress=lambda done, total, t=prep: progress.update(t, completed=done, total=total),
            )
            progress.remove_task(prep)
            for choices in runnable:
                progress.update(overall, description=f"{tier.name}: {label(choices)}")
                measured = harness.measure_run(
                    system,
                    workload,
                    tier.name,
                    choices,
                    repeat=args.repeat,
                    warmup=args.warmup,
                    memory=not args.no_memory,
                    on_step=lambda phase: progress.advance(overall),
                )
                records.append(measured.record)
    rows = summarize(records, lambda c: system.reference(c, args.axis))
    table = RichTable(title=f"{system.name} sweep: ratios to the reference, same run")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("tier", "strategies") else "right")
    for row in rows:
        table.add_row(*cells(row))
    out.print(table)
    path = _write_sweep(system, args, rows, records, skipped)
    out.print(f"summary written to {path}")
    return 0


def _write_sweep(system: System, args: argparse.Namespace, rows: Any, records: Any, skipped: Any) -> Path:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sweep-{system.name}.md"
    machine = records[0]["machine"] if records else {}
    head = [
        f"# {system.name} sweep",
        "",
        f"`lab sweep {system.name} --tiers {','.join(t.name for t in tiers.parse_tiers(args.tiers))}"
        + (f" --axis {args.axis}" if args.axis else "")
        + f" --repeat {args.repeat}`",
        "",
        f"Commit {records[0]['commit'] if records else '-'}; {machine.get('cpu', '?')}, "
        f"{machine.get('cores', '?')} cores, Python {machine.get('python', '?')}; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Medians of {args.repeat} repeats "
        "after a warm-up; peak heap by memray in a separate run; ratios are to the reference "
        "strategies measured in this same run.",
        "",
    ]
    tail = [""] + [f"- skipped {label(c)}: {r}" for c, r in skipped]
    path.write_text("\n".join(head) + to_markdown(rows) + "\n".join(tail) + "\n")
    return path


# ---------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lab", description="Measure the performance patterns of data systems."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="systems, axes, strategies, and why any is unavailable")
    p.add_argument("system", nargs="?")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("data", help="prepare the workloads of a tier")
    p.add_argument("tier")
    p.add_argument("--system")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_data)

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

    p = sub.add_parser("sweep", help="every available strategy on each tier, compared")
    p.add_argument("system")
    p.add_argument("--tiers", help="comma-separated tier names (default: small,medium,large)")
    p.add_argument("--axis", help="vary only this axis, the others at their reference")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--no-memory", action="store_true", help="skip the memray runs")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_sweep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lab`` command."""
    args = _parser().parse_args(argv)
    try:
        if getattr(args, "axis", None):
            get_system(args.system).axis(args.axis)
        if getattr(args, "repeat", 1) < 1:
            raise UsageError("--repeat must be at least 1")
        return args.func(args)
    except UsageError as exc:
        return _fail(str(exc), 2)
    except LabError as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        err.print("lab: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
