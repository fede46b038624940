"""What the ``lab`` commands share: consoles, progress bars, error lines."""

from __future__ import annotations

import sys

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

__all__ = ["out", "err", "fail", "progress_bar", "bytes_bar"]

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
