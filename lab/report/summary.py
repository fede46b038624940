"""A sweep's summary: each combination's median, IQR, throughput, peak heap, and its
ratios to the reference combination measured in the same sweep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lab.outcome import agree
from lab.report.select import label

__all__ = [
    "SummaryRow",
    "summarize",
    "to_markdown",
    "markdown_table",
    "human_bytes",
    "human_seconds",
    "ratio_text",
    "columns",
    "row_cells",
]


@dataclass(frozen=True)
class SummaryRow:
    tier: str
    label: str
    n: int
    median_s: float
    iqr_s: float
    per_s: float | None
    peak_bytes: int | None
    time_ratio: float | None
    memory_ratio: float | None
    same_answer: bool | None
    is_reference: bool
    instructions: int | None = None
    instructions_ratio: float | None = None


def summarize(
    records: Sequence[Mapping[str, Any]],
    reference: Mapping[str, str],
    pool: Sequence[Mapping[str, Any]] = (),
) -> list[SummaryRow]:
    """One row per record, with ratios to the record of the ``reference`` choices on the same
    tier: the one measured in the same sweep (same ``run_id``, looked up in ``records`` and
    ``pool``) when the record has one, else the one among ``records`` (``None`` where that
    reference was not measured)."""
    by_key = {(r["tier"], label(r["choices"])): r for r in records}
    same_run = {
        (r["tier"], label(r["choices"]), r.get("run_id")): r for r in [*pool, *records] if r.get("run_id")
    }
    rows = []
    for r in records:
        if r.get("run_id"):
            ref = same_run.get((r["tier"], label(reference), r["run_id"]))
        else:
            ref = by_key.get((r["tier"], label(reference)))
        time_ratio = memory_ratio = same = instructions_ratio = None
        if ref is not None:
            if r.get("instructions") and ref.get("instructions"):
                instructions_ratio = r["instructions"] / ref["instructions"]
            if ref["median_s"] and r["median_s"] is not None:
                time_ratio = r["median_s"] / ref["median_s"]
            if r.get("peak_bytes") and ref.get("peak_bytes"):
                memory_ratio = r["peak_bytes"] / ref["peak_bytes"]
            same = _same_answer(r, ref)
        rows.append(
            SummaryRow(
                r["tier"],
                label(r["choices"]),
                r["n"],
                r["median_s"],
                r["iqr_s"],
                r.get("per_s"),
                r.get("peak_bytes"),
                time_ratio,
                memory_ratio,
                same,
                ref is r,
                r.get("instructions"),
                instructions_ratio,
            )
        )
    return rows


def _same_answer(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Answers agree within tolerance where both records carry them, else by fingerprint."""
    if a.get("answer") is not None and b.get("answer") is not None:
        return agree(a["answer"], b["answer"])
    return a["fingerprint"] == b["fingerprint"]


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def human_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def ratio_text(x: float | None) -> str:
    """``1.23x``, or ``-`` when there is no ratio."""
    return "-" if x is None else f"{x:.2f}x"


def columns(rows: Sequence[SummaryRow]) -> list[str]:
    """:data:`COLUMNS`, and the instruction counts' columns when any row has one."""
    return COLUMNS + (INSTRUCTION_COLUMNS if any(r.instructions for r in rows) else [])


def row_cells(rows: Sequence[SummaryRow]) -> list[list[str]]:
    """Every row as display strings, in the order of :func:`columns`."""
    counted = any(r.instructions for r in rows)
    return [cells(r) + (instruction_cells(r) if counted else []) for r in rows]


def instruction_cells(row: SummaryRow) -> list[str]:
    return ["-" if row.instructions is None else f"{row.instructions:,}", ratio_text(row.instructions_ratio)]


def cells(row: SummaryRow) -> list[str]:
    """The row as display strings, in the order of :data:`COLUMNS`."""
    same = {True: "same", False: "DIFFERS", None: "-"}[row.same_answer]
    return [
        row.tier,
        row.label + (" (ref)" if row.is_reference else ""),
        f"{row.n:,}",
        human_seconds(row.median_s),
        human_seconds(row.iqr_s),
        "-" if row.per_s is None else f"{row.per_s:,.0f}",
        human_bytes(row.peak_bytes),
        ratio_text(row.time_ratio),
        ratio_text(row.memory_ratio),
        same,
    ]


COLUMNS = [
    "tier",
    "strategies",
    "n",
    "median",
    "IQR",
    "items/s",
    "peak heap",
    "time vs ref",
    "heap vs ref",
    "answer vs ref",
]
#: Shown when instructions were counted (``--metric instructions``).
INSTRUCTION_COLUMNS = ["instructions", "instructions vs ref"]


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table of ``rows`` under ``columns``; a ``|`` inside a cell is escaped."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(x.replace("|", "\\|") for x in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_markdown(rows: Sequence[SummaryRow]) -> str:
    """The rows as a markdown table."""
    return markdown_table(columns(rows), row_cells(rows))
