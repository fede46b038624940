"""What ``lab run web`` prints of its outcome: the status counts and the time per request."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from lab.outcome import Outcome

__all__ = ["render"]


def render(outcome: Outcome) -> list[Any]:
    details = outcome.details
    table = Table(title=f"{outcome.n:,} requests over {details.get('routes', '?'):,} routes")
    table.add_column("status")
    table.add_column("requests", justify="right")
    for code, count in outcome.answer["status"].items():
        table.add_row(code, f"{count:,}")
    lines: list[Any] = [table]
    if details.get("us_per_request") is not None:
        lines.append(f"  {details['us_per_request']:.1f} us a request (the last call, timed inside)")
    return lines
