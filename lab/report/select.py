"""Picking records: what names a benchmark, and the latest measurement of each."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lab.measure.records import machine_text
from lab.strategies import label

__all__ = [
    "Record",
    "label",
    "benchmark_key",
    "matches",
    "latest",
    "latest_by",
    "sort_key",
    "complete",
    "on_machine",
]

Record = Mapping[str, Any]


def benchmark_key(record: Record) -> tuple[str, str, str, str]:
    """What makes two records measurements of the same benchmark: system, tier, choices, params."""
    return (
        record["system"],
        record["tier"],
        json.dumps(record.get("choices", {}), sort_keys=True),
        json.dumps(record.get("params", {}), sort_keys=True),
    )


def matches(record: Record, system: str, tier: str | None = None, choices: Mapping[str, str] = {}) -> bool:
    """Whether ``record`` is of ``system`` (at ``tier``) with every one of ``choices``."""
    if record["system"] != system or (tier is not None and record["tier"] != tier):
        return False
    have = record.get("choices", {})
    return all(have.get(k) == v for k, v in choices.items())


def complete(records: Iterable[Record]) -> list[Record]:
    """The records of runs that went to the end (a run stopped early is marked ``partial``)."""
    return [r for r in records if not r.get("partial")]


def sort_key(record: Record) -> str:
    return str(record.get("timestamp") or "")


def latest(records: Iterable[Record], field: str | None = None) -> Record | None:
    """The most recent record (by timestamp; later in the input wins a tie), or ``None``.

    With ``field``, only records where that field is set count.
    """
    best = None
    for r in records:
        if field is not None and r.get(field) is None:
            continue
        if best is None or sort_key(r) >= sort_key(best):
            best = r
    return best


def latest_by(records: Sequence[Record], key: Any = benchmark_key) -> dict[Any, Record]:
    """The latest record of each ``key(record)``, in the order the keys first appear."""
    groups: dict[Any, list[Record]] = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    return {k: latest(rs) for k, rs in groups.items()}  # type: ignore[misc]


def on_machine(records: Iterable[Record], text: str) -> list[Record]:
    """The records measured on the machine described by ``text`` (see ``machine_text``)."""
    return [r for r in records if machine_text(r.get("machine") or {}) == text]
