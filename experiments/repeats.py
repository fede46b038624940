"""What the experiments share: timed repeats of one open scenario, each answer checked."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from typing import Any

from lab.outcome import Outcome, agree
from lab.scenario import Scenario


def checked_timings(
    scenario: Scenario,
    repeat: int,
    seconds: Callable[[Outcome], float],
    reference: Mapping[str, Any],
    label: str,
) -> tuple[list[float], Outcome]:
    """``seconds(outcome)`` of ``repeat`` calls of ``scenario``, each on reset state and each answer
    checked against ``reference``; with the last outcome."""
    times = []
    for _ in range(repeat):
        scenario.reset()
        outcome = scenario()
        times.append(seconds(outcome))
        assert agree(outcome.answer, reference), f"{label} disagrees"
    return times, outcome


def median(values: list[float]) -> float:
    """The middle value (the upper one of an even count), as the experiments have reported it."""
    return sorted(values)[len(values) // 2]


def spread(rates: list[float]) -> str:
    """Interleaved runs' rates as reported: their median, then their range in brackets."""
    return f"{statistics.median(rates):,.0f} ({min(rates):,.0f}-{max(rates):,.0f})"


def paired_ratio(mine: list[float], theirs: list[float]) -> float:
    """The median of each round's ratio ``mine / theirs`` (runs of the same round side by side)."""
    return statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
