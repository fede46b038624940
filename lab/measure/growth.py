"""How cost grows with size: the slope of log(cost) against log(n)."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["fit_exponent"]


def fit_exponent(sizes: Sequence[float], costs: Sequence[float]) -> float | None:
    """Least-squares slope of ``log(cost)`` on ``log(size)``: ~0 is O(1), ~1 is O(n).

    ``None`` with fewer than two distinct positive sizes.

    >>> round(fit_exponent([1e3, 1e4, 1e5], [2e3, 2e4, 2e5]), 6)
    1.0
    """
    points = [(math.log(s), math.log(c)) for s, c in zip(sizes, costs, strict=True) if s > 0 and c > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return sxy / sxx
