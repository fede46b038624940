"""``lab run SYSTEM``: one measured run, on a tier or (analytics) on your own CSV."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.table import Table

from lab import harness, tiers
from lab.cli.common import bytes_bar, err, out, progress_bar
from lab.errors import UsageError
from lab.report.summary import human_bytes, human_seconds
from lab.strategies import System, label, parse_settings
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
    p.add_argument(
        "--executor",
        metavar="NAME|dask://HOST:PORT",
        help="where block readers run: serial, processes, dask (a scheduler address implies dask)",
    )
    p.add_argument("--rows", type=int, help="rows of a streamed tier (huge) to read instead of all of them")
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
    if getattr(args, "rows", None):
        if tier.stored:
            raise UsageError(f"--rows is for streamed tiers; {tier.name} is a stored file")
        tier = dataclasses.replace(tier, rows=args.rows)
    with progress_bar() as progress:
        task = progress.add_task(f"preparing {tier.name}", total=None)
        workload = harness.workload_for(
            system,
            tier,
            args.seed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    return workload, tier.name


#: Bytes per row of a streamed tier, to show an ETA before the stream has been read.
STREAM_ROW_BYTES = 45


def _streamed(workload: Any) -> bool:
    """Whether the workload's input is made on the fly (a streamed tier), not read from a file."""
    return getattr(getattr(workload, "source", None), "opener", None) is not None


def _size_of(workload: Any, streamed: bool) -> int | None:
    if streamed:
        return (getattr(workload, "rows", 0) or 0) * STREAM_ROW_BYTES or None
    path = getattr(getattr(workload, "source", None), "path", None)
    try:
        return Path(path).stat().st_size if path else None
    except OSError:
        return None


@contextmanager
def graceful_stop() -> Iterator[threading.Event]:
    """The first Ctrl-C sets the event (the run ends early, its answer partial); the second aborts."""
    event = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        err.print("[yellow]stopping after this block; Ctrl-C again to abort[/]")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


def _executor(args: argparse.Namespace, settings: dict[str, str]) -> None:
    value = getattr(args, "executor", None)
    if not value:
        return
    if "://" in value:
        from lab.analytics.parallel import DASK_ENV

        os.environ[DASK_ENV] = value.replace("dask://", "tcp://", 1)
        value = "dask"
    settings["executor"] = value


def cmd_run(args: argparse.Namespace) -> int:
    system = get_system(args.system)
    settings = parse_settings(args.set)
    _executor(args, settings)
    given, params = system.split(settings)
    choices = system.complete(given)
    reason = system.unavailable(choices)
    if reason:
        raise UsageError(f"cannot run {label(choices)} here: {reason}")
    workload, tier_name = load_workload(system, args)
    streamed = _streamed(workload)
    size = _size_of(workload, streamed)
    if streamed:  # a billion rows: one timed pass, no warm-up
        args.warmup, args.repeat = 0, 1
        err.print(f"streaming {workload.rows:,} generated rows once; Ctrl-C stops with a partial answer")
    steps = args.warmup + args.repeat + (1 if args.memory else 0)
    with bytes_bar() as progress, graceful_stop() as stopping:
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
            options={"stop": stopping.is_set} if streamed else None,
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
    if record.get("partial"):
        out.print("  [bold red]PARTIAL[/]: stopped early; the statistics cover the rows read so far")
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
