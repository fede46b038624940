"""What ``lab run recommend`` adds: a ``--zipf`` option and how a run's outcome is printed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from lab.errors import UsageError
from lab.outcome import Outcome
from lab.strategies import Option

__all__ = ["OPTIONS", "settings_from", "render"]

OPTIONS = (Option("--zipf", "the Zipf exponent of requests over users (default 1.1)", float, "S"),)


def settings_from(values: Mapping[str, Any]) -> dict[str, str]:
    """``--zipf 1.2`` as ``--set zipf_x100=120``."""
    zipf = values.get("zipf")
    if zipf is None:
        return {}
    if not 0 < zipf <= 5:
        raise UsageError(f"--zipf takes an exponent in (0, 5], not {zipf}")
    return {"zipf_x100": str(round(zipf * 100))}


def render(outcome: Outcome) -> list[Any]:
    """The cache tiers as ``cache_info()`` shows them, then the first recommendations, explained."""
    tiers = Table(title="cache tiers")
    for col in ("tier", "hits", "misses", "hit rate", "entries"):
        tiers.add_column(col)
    for name, info in outcome.details.get("tiers", {}).items():
        total = info["hits"] + info["misses"]
        rate = f"{info['hits'] / total:.1%}" if total else "-"
        tiers.add_row(name, str(info["hits"]), str(info["misses"]), rate, f"{info['currsize']:,}")
    shown = Table(title="recommendations (first requests)")
    for col in ("user", "product", "score", "because you bought"):
        shown.add_column(col)
    for request in outcome.answer["sample"]:
        for product, score, because in request["items"]:
            basis = ", ".join(map(str, because)) or "popular"
            shown.add_row(str(request["user"]), str(product), str(score), basis)
    latency = outcome.details.get("latency_us", {})
    lines: list[Any] = [tiers, shown]
    lines.append(
        f"computed {outcome.counts['computed']:,} neighbour lists; latency per request "
        f"p50 {latency.get(50, 0):.1f} us, p99 {latency.get(99, 0):.1f} us"
    )
    if "recall_at_k" in outcome.extras:
        lines.append(f"recall@k of the approximate index: {outcome.extras['recall_at_k']}")
    return lines
