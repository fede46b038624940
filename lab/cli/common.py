"""What the ``lab`` commands share: consoles, progress bars, error lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from lab.measure import Record, load_records, machine, machine_text
from lab.report.planning import completed
from lab.report.select import on_machine

__all__ = ["out", "err", "fail", "progress_bar", "bytes_bar", "add_record_options", "records_for_report"]

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def fail(message: str, code: int) -> int:
    """Print a one-line error and return the exit code."""
    print(f"lab: error: {message}", file=sys.stderr)
    return code


def _bar(counter: ProgressColumn) -> Progress:
    """A progress bar on stderr, gone when done; off where stderr is not a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        counter,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def progress_bar() -> Progress:
    """A progress bar counting steps."""
    return _bar(MofNCompleteColumn())


def bytes_bar() -> Progress:
    """A progress bar counting bytes."""
    return _bar(DownloadColumn())


def add_record_options(p: argparse.ArgumentParser) -> None:
    """Which records a report or a verdict reads: ``--records PATH`` and ``--all-machines``."""
    p.add_argument(
        "--records",
        action="append",
        default=[],
        metavar="PATH",
        help="read the records in PATH (a .jsonl file or a folder; repeatable) instead of "
        "<results>/runs; the published reference is results/runs",
    )
    p.add_argument(
        "--all-machines",
        action="store_true",
        help="use the records of every machine (default: only this machine's)",
    )


def records_for_report(args: argparse.Namespace, extra: list[Record] | None = None) -> list[Record]:
    """The records ``args`` name, of this machine unless ``--all-machines``, then the ``extra``
    records given explicitly (pytest-benchmark files), completed by their systems."""
    records = load_records([Path(p) for p in args.records] or None)
    if not args.all_machines:
        records = on_machine(records, machine_text(machine()))
    return completed(records + list(extra or []))
