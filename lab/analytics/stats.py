"""Mergeable accumulators of count, mean, variance, min and max.

Each accumulator takes values one at a time (``update``) or as a numpy array
(``from_array``), merges with ``+``, and gives a :class:`Summary`.

>>> a, b = Moments(), Moments()
>>> for x in (1.0, 2.0): a.update(x)
>>> for x in (3.0, 4.0): b.update(x)
>>> (a + b).summary().variance
1.6666666666666667
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Summary", "Moments", "NaiveSums", "Values", "exact_summary", "merge_all"]


@dataclass(frozen=True)
class Summary:
    """count, mean, sample variance, standard deviation, min and max; ``None`` where undefined.

    A statistic that overflowed the float range (values near 1e308) is ``None`` too, and
    named in ``overflow``, so that an answer never holds an infinity or a NaN:

    >>> Summary.of(2, 4e307, math.inf, -1e308, 1.7e308).to_dict()["overflow"]
    ['variance', 'stddev']
    """

    count: int
    mean: float | None
    variance: float | None
    stddev: float | None
    min: float | None
    max: float | None
    overflow: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> Summary:
        """The summary of no values: a count of 0, every statistic ``None``."""
        return cls(0, None, None, None, None, None)

    @classmethod
    def of(cls, n: int, mean: float, variance: float | None, lo: float, hi: float) -> Summary:
        if n == 0:
            return cls.empty()
        if variance is None or n < 2:
            return cls._finite(n, mean, None, None, lo, hi)
        stddev = math.sqrt(variance) if variance >= 0 else None  # naive sums can go negative
        return cls._finite(n, mean, variance, stddev, lo, hi)

    @classmethod
    def _finite(cls, n: int, *stats: float | None) -> Summary:
        """The summary with each statistic that is not finite replaced by ``None`` and named."""
        names = ("mean", "variance", "stddev", "min", "max")
        over = tuple(k for k, x in zip(names, stats, strict=True) if x is not None and not math.isfinite(x))
        kept = (None if k in over else x for k, x in zip(names, stats, strict=True))
        return cls(n, *kept, overflow=over)

    def to_dict(self) -> dict[str, Any]:
        """The statistics by name; ``overflow`` lists those beyond the float range, when any are."""
        out: dict[str, Any] = {
            "count": self.count,
            "mean": self.mean,
            "variance": self.variance,
            "stddev": self.stddev,
            "min": self.min,
            "max": self.max,
        }
        if self.overflow:
            out["overflow"] = list(self.overflow)
        return out


@dataclass(slots=True)
class Moments:
    """Count, mean and sum of squared deviations (M2): Welford per value, Chan to merge."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    lo: float = math.inf
    hi: float = -math.inf

    def update(self, x: float) -> None:
        """Welford's update with one value."""
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)
        if x < self.lo:
            self.lo = x
        if x > self.hi:
            self.hi = x

    @classmethod
    def from_array(cls, values: np.ndarray) -> Moments:
        """The moments of a block of values, computed vectorised."""
        if len(values) == 0:
            return cls()
        mean = float(values.mean())
        dev = values - mean
        return cls(len(values), mean, float(dev @ dev), float(values.min()), float(values.max()))

    def __add__(self, other: Moments) -> Moments:
        """Chan et al.'s parallel merge."""
        if other.n == 0:
            return Moments(self.n, self.mean, self.m2, self.lo, self.hi)
        if self.n == 0:
            return Moments(other.n, other.mean, other.m2, other.lo, other.hi)
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        return Moments(n, mean, m2, min(self.lo, other.lo), max(self.hi, other.hi))

    def summary(self) -> Summary:
        var = self.m2 / (self.n - 1) if self.n > 1 else None
        return Summary.of(self.n, self.mean, var, self.lo, self.hi)


@dataclass
class NaiveSums:
    """Count, sum and sum of squares: the textbook formula that cancels catastrophically."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0
    lo: float = math.inf
    hi: float = -math.inf

    def update(self, x: float) -> None:
        self.n += 1
        self.total += x
        self.squares += x * x
        if x < self.lo:
            self.lo = x
        if x > self.hi:
            self.hi = x

    @classmethod
    def from_array(cls, values: np.ndarray) -> NaiveSums:
        if len(values) == 0:
            return cls()
        return cls(
            len(values),
            float(values.sum()),
            float(values @ values),
            float(values.min()),
            float(values.max()),
        )

    def __add__(self, other: NaiveSums) -> NaiveSums:
        return NaiveSums(
            self.n + other.n,
            self.total + other.total,
            self.squares + other.squares,
            min(self.lo, other.lo),
            max(self.hi, other.hi),
        )

    def summary(self) -> Summary:
        if self.n == 0:
            return Summary.empty()
        mean = self.total / self.n
        var = (self.squares - self.total * self.total / self.n) / (self.n - 1) if self.n > 1 else None
        return Summary.of(self.n, mean, var, self.lo, self.hi)


@dataclass
class Values:
    """Every value kept, summarised by the standard library's ``statistics`` module."""

    values: list[float] = field(default_factory=list)

    def update(self, x: float) -> None:
        self.values.append(x)

    def __add__(self, other: Values) -> Values:
        return Values(self.values + other.values)

    def summary(self) -> Summary:
        v = self.values
        if not v:
            return Summary.empty()
        try:
            var = statistics.variance(v) if len(v) > 1 else None
        except OverflowError:  # exact, then too large for a float
            var = math.inf
        return Summary.of(len(v), statistics.mean(v), var, min(v), max(v))


def merge_all(accumulators: list[Any]) -> Any:
    """The sum of a non-empty list of accumulators, merged pairwise left to right."""
    total = accumulators[0]
    for acc in accumulators[1:]:
        total = total + acc
    return total


def exact_summary(values: list[float]) -> Summary:
    """The reference: every step in exact rational arithmetic, rounded once at the end."""
    n = len(values)
    if n == 0:
        return Summary.empty()
    exact = [Fraction(x) for x in values]
    mean = sum(exact, Fraction(0)) / n
    var = sum(((x - mean) ** 2 for x in exact), Fraction(0)) / (n - 1) if n > 1 else None
    return Summary.of(n, float(mean), None if var is None else float(var), min(values), max(values))
