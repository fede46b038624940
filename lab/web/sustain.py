"""The sustainable maximum: the highest paced rate whose p99 stays stable, found by bisection.

An open-loop run at the closed-loop maximum queues without bound (every hiccup adds to a
queue that never drains), so its p99 only grows. The reading lab gives instead: between 0 and
the closed-loop maximum, bisect over paced rates, each step a short paced run in two windows,
judged *sustainable* when it had no errors, its p99 did not grow (the second window's p99 at
most :data:`GROWTH` times the first's: a queue that builds up grows it from window to window,
while a hiccup of other work on the machine is no trend and falls in either window) and stayed
under a ceiling (:data:`GROWTH` times the p99 of the closed-loop run at the maximum, whose
queue is bounded by its connections: a queue that filled up within the first window is caught
here). The highest sustainable rate tried is the sustainable maximum; a long run at it is
the sustained run, judged by :func:`lab.web.load.stability` window by window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab.web.load import STABLE_FACTOR
from lab.web.loadgen import Result

__all__ = ["Step", "bisect_rate", "sustainable", "growth", "GROWTH", "WINDOWS"]

#: a step's second window's p99 may be at most this many times its first's
GROWTH = STABLE_FACTOR
#: windows per step
WINDOWS = 2


@dataclass(frozen=True)
class Step:
    """One paced step of the search: the rate asked, what it did, and the verdict."""

    rate: float
    result: Result
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate": round(self.rate),
            "requests": self.result.requests,
            "errors": self.result.error_count,
            "p99_s": [w["p99_s"] for w in self.result.windows],
            "growth": growth(self.result),
            "sustainable": self.ok,
        }


def growth(result: Result) -> float | None:
    """The last window's p99 over the first's (``None`` without two windows of requests)."""
    p99s = [w["p99_s"] for w in result.windows if w["requests"]]
    if len(p99s) < 2 or p99s[0] <= 0:
        return None
    return p99s[-1] / p99s[0]


def sustainable(result: Result, ceiling_s: float | None = None) -> bool:
    """No errors, a p99 that did not grow by more than :data:`GROWTH` over the step, and (with
    ``ceiling_s``) no window's p99 above it."""
    found = growth(result)
    if result.error_count or found is None or found > GROWTH:
        return False
    return ceiling_s is None or all(w["p99_s"] <= ceiling_s for w in result.windows)


def bisect_rate(
    run: Callable[[float], Result], high: float, steps: int, judge: Callable[[Result], bool] = sustainable
) -> tuple[float, list[Step]]:
    """``steps`` paced runs (``run(rate)``), bisecting between 0 and ``high``: each starts at the
    middle of the bounds, a sustainable one raises the lower bound, another lowers the upper.
    Returns the highest sustainable rate tried (0 when none was) and the steps in order."""
    if high <= 0 or steps < 1:
        raise ValueError("the search needs a maximum above 0 and at least one step")
    low, best, trail = 0.0, 0.0, []
    for _ in range(steps):
        rate = (low + high) / 2
        result = run(rate)
        ok = judge(result)
        trail.append(Step(rate, result, ok))
        if ok:
            low = best = rate
        else:
            high = rate
    return best, trail
