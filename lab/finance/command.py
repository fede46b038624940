"""What ``lab run finance`` adds: ``--input`` (a user's operations file) and how the answer is printed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.table import Table

from lab.finance.money import show
from lab.outcome import Outcome
from lab.strategies import Option
from lab.tiers import Tier

__all__ = ["OPTIONS", "open_input", "render"]

OPTIONS = (
    Option(
        "--input",
        "your own operations file (CSV, or NDJSON: .ndjson/.jsonl)",
        metavar="FILE",
        instead_of_tier=True,
    ),
)


def open_input(
    values: Mapping[str, Any],
    tier: Tier | None,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Any, str] | None:
    """The workload of ``--input``; ``None`` for a tier's own."""
    from lab.finance.workload import from_file

    if not values.get("input"):
        return None
    workload = from_file(values["input"])
    return workload, workload.name


def render(outcome: Outcome) -> list[Any]:
    """Totals (shown to 2 dp), the lifecycle, rejections by reason and flags by rule."""
    a = outcome.answer
    totals = Table(title="ledger")
    totals.add_column("")
    totals.add_column("amount", justify="right")
    for key in ("deposits", "withdrawals", "fees", "interest", "total_balance"):
        totals.add_row(key, show(a[key]))
    totals.add_row("reconciles", str(a["reconciles"]))
    totals.add_row("replay == live", str(a["replay_matches"]))
    counts = Table(title="transactions")
    counts.add_column("")
    counts.add_column("count", justify="right")
    for key, value in a["lifecycle"].items():
        counts.add_row(key, f"{value:,}")
    counts.add_row("duplicates (applied once)", f"{a['duplicates']:,}")
    for reason, value in a["rejected_by_reason"].items():
        counts.add_row(f"rejected: {reason}", f"{value:,}")
    for rule, value in a["flagged_by_rule"].items():
        counts.add_row(f"flagged: {rule}", f"{value:,}")
    out: list[Any] = [totals, counts]
    drift = outcome.extras.get("drift")
    if drift:
        out.append(
            f"  float drift: {drift['max_account_cents']:.3g} cents at most on one account, "
            f"{drift['total_cents']:.3g} cents in total, "
            f"{drift['accounts_off']:,} of {drift['accounts']:,} accounts off"
        )
    return out
