"""How cost grows with size: the slope of log(cost) against log(n), with its uncertainty."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Fit", "fit_exponent", "fit_growth"]

#: The confidence of the interval a growth verdict is judged on.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Fit:
    """A fitted growth exponent: ``cost ~ n^exponent``, from ``points`` at ``sizes`` distinct sizes.

    ``stderr`` is the slope's standard error (``None`` with two points, where a line
    fits exactly and says nothing of its error); ``low``/``high`` bound the
    exponent at :data:`CONFIDENCE` (Student's t with ``points - 2`` degrees of freedom).
    """

    exponent: float
    stderr: float | None
    points: int
    #: Distinct sizes among the points (a size may be measured more than once: its repeats).
    sizes: int = 0

    @property
    def margin(self) -> float | None:
        """Half the width of the confidence interval, or ``None`` without a standard error."""
        if self.stderr is None:
            return None
        from scipy.stats import t

        return float(t.ppf(0.5 + CONFIDENCE / 2, self.points - 2)) * self.stderr

    @property
    def low(self) -> float | None:
        return None if self.margin is None else self.exponent - self.margin

    @property
    def high(self) -> float | None:
        return None if self.margin is None else self.exponent + self.margin

    def text(self) -> str:
        """``n^0.02 ± 0.05 (3 tiers)``: the exponent, its 95% margin, and how many sizes made it."""
        margin = "" if self.margin is None else f" ± {self.margin:.2f}"
        sizes = self.sizes or self.points
        of = f"{sizes} tiers" if sizes == self.points else f"{sizes} tiers, {self.points} timings"
        return f"n^{self.exponent:.2f}{margin} ({of})"


def fit_growth(sizes: Sequence[float], costs: Sequence[float]) -> Fit | None:
    """Least-squares fit of ``log(cost)`` on ``log(size)`` (``scipy.stats.linregress``).

    A size may come more than once (each timed repeat of a tier is a point). ``None``
    with fewer than two distinct positive sizes.

    >>> fit = fit_growth([1e3, 1e4, 1e5], [2e3, 2e4, 2e5])
    >>> round(fit.exponent, 6), round(fit.stderr, 6), fit.points
    (1.0, 0.0, 3)
    """
    points = [(math.log(s), math.log(c)) for s, c in zip(sizes, costs, strict=True) if s > 0 and c > 0]
    if len({x for x, _ in points}) < 2:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    sizes = len(set(xs))
    if len(points) == 2:
        return Fit((ys[1] - ys[0]) / (xs[1] - xs[0]), None, 2, 2)
    from scipy.stats import linregress

    result = linregress(xs, ys)
    stderr = float(result.stderr)
    if math.isnan(stderr):  # every cost equal: the line fits exactly
        stderr = 0.0
    return Fit(float(result.slope), stderr, len(points), sizes)


def fit_exponent(sizes: Sequence[float], costs: Sequence[float]) -> float | None:
    """The exponent of :func:`fit_growth`: ~0 is O(1), ~1 is O(n); ``None`` when it cannot be fitted.

    >>> round(fit_exponent([1e3, 1e4, 1e5], [2e3, 2e4, 2e5]), 6)
    1.0
    """
    fit = fit_growth(sizes, costs)
    return None if fit is None else fit.exponent
