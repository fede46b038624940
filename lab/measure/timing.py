"""Wall-clock timing with ``perf_counter_ns``: warm-up, repeats, median and IQR."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Timing", "time_call", "median_iqr"]

T = TypeVar("T")


def median_iqr(samples: list[float]) -> tuple[float, float]:
    """The median and the interquartile range of ``samples``."""
    if len(samples) == 1:
        return samples[0], 0.0
    q1, q2, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return q2, q3 - q1


@dataclass(frozen=True)
class Timing:
    """Seconds taken by each measured repeat (warm-up runs excluded)."""

    samples_s: list[float]

    @property
    def median_s(self) -> float:
        return median_iqr(self.samples_s)[0]

    @property
    def iqr_s(self) -> float:
        return median_iqr(self.samples_s)[1]


def time_call(
    fn: Callable[[], T],
    repeat: int = 5,
    warmup: int = 1,
    on_repeat: Callable[[int], None] | None = None,
    on_warmup: Callable[[int], None] | None = None,
    reset: Callable[[], None] | None = None,
) -> tuple[Timing, T]:
    """Call ``fn`` ``warmup`` times untimed, then ``repeat`` times timed.

    Returns the timing and the result of the last call. ``on_warmup(i)`` and
    ``on_repeat(i)`` are called after each warm-up and each timed repeat, and
    ``reset()`` before every call but the first, all outside the timed region.
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    if warmup < 0:
        raise ValueError("warmup cannot be negative")
    result = None
    calls = 0

    def before() -> None:
        nonlocal calls
        if calls and reset is not None:
            reset()
        calls += 1

    for i in range(warmup):
        before()
        result = fn()
        if on_warmup is not None:
            on_warmup(i)
    samples = []
    for i in range(repeat):
        before()
        start = time.perf_counter_ns()
        result = fn()
        samples.append((time.perf_counter_ns() - start) / 1e9)
        if on_repeat is not None:
            on_repeat(i)
    return Timing(samples), result  # type: ignore[return-value]
