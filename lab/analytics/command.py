"""What ``lab run analytics`` adds for this system: its own options (a user's CSV, a streamed
prefix, a dask scheduler) and how its answer is printed."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.table import Table

from lab.analytics.parallel import DASK_ENV
from lab.errors import UsageError
from lab.outcome import Outcome
from lab.strategies import Option
from lab.tiers import Tier

__all__ = ["OPTIONS", "open_input", "settings_from", "render"]

OPTIONS = (
    Option("--input", "your own CSV file instead of a tier", metavar="FILE", instead_of_tier=True),
    Option("--column", "the numeric column of --input", metavar="NAME"),
    Option("--group-by", "the column of --input to group by", metavar="NAME"),
    Option("--delimiter", "the delimiter of --input (sniffed when not given)", metavar="X"),
    Option(
        "--executor",
        "where the bytes reader's blocks are read: serial, processes, dask, or a dask "
        "scheduler's address dask://HOST:PORT",
        metavar="NAME|dask://HOST:PORT",
    ),
    Option("--rows", "rows of a streamed tier (huge) to read instead of all of them", int, "N"),
)


def open_input(
    values: Mapping[str, Any],
    tier: Tier | None,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Any, str] | None:
    """The workload of ``--input`` (or of a streamed tier cut to ``--rows``); ``None`` for a
    tier's own workload."""
    from lab.analytics import from_file, prepare

    if values.get("input"):
        if values.get("rows"):
            raise UsageError("--rows is for streamed tiers, not --input")
        if not values.get("column"):
            raise UsageError("--input needs --column NAME (the numeric column)")
        workload = from_file(
            values["input"], values["column"], values.get("group_by"), values.get("delimiter")
        )
        return workload, f"file:{Path(values['input']).name}"
    for name in ("column", "group_by", "delimiter"):
        if values.get(name):
            raise UsageError(f"--{name.replace('_', '-')} is for --input")
    rows = values.get("rows")
    if not rows:
        return None
    if rows < 1:
        raise UsageError("--rows must be at least 1")
    if tier is None or tier.stored:
        raise UsageError(
            f"--rows is for streamed tiers; {tier.name if tier else 'the default'} is a stored file"
        )
    return prepare(dataclasses.replace(tier, rows=rows), seed, progress=progress), tier.name


def settings_from(values: Mapping[str, Any]) -> dict[str, str]:
    """``--executor`` as a ``--set executor=...`` pair (an address selects dask and points it there)."""
    value = values.get("executor")
    if not value:
        return {}
    if "://" in value:
        os.environ[DASK_ENV] = value.replace("dask://", "tcp://", 1)
        value = "dask"
    return {"executor": value}


def render(outcome: Outcome) -> list[Any]:
    """The quarantine file, if any, and the statistics as a table (overall, then per group)."""
    out: list[Any] = []
    if outcome.answer.get("partial"):
        out.append("  [bold red]PARTIAL[/]: stopped early; the statistics cover the rows read so far")
    if outcome.details.get("quarantine_file"):
        out.append(f"  quarantined rows written to {outcome.details['quarantine_file']}")
    answer = outcome.answer
    table = Table(title=f"{answer.get('column', '')} by {answer.get('group_by') or '-'}")
    keys = ["count", "mean", "variance", "stddev", "min", "max"]
    table.add_column("group")
    for k in keys:
        table.add_column(k, justify="right")
    rows = [("(all)", answer["overall"])] + list(answer.get("groups", {}).items())
    for name, summary in rows:
        table.add_row(name, *[_num(summary.get(k)) for k in keys])
    return [*out, table]


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:,.6g}"
