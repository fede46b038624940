"""The course's measurable promises, as data: what each claims, for which strategy, and its bounds.

Each claim quotes the course, names the system, tier and strategies it is about,
and states its bounds: a time bound for the whole run or per item, a peak-heap
bound, a bound on how the heap (or time) grows across tiers, and bounds on the
system's own counts (a cache hit rate). Whether a claim holds is never stored:
:mod:`lab.report.verdicts` computes it from measurement records.

How the course's words are read, once for every claim:

- ``~5 s`` and ``<1 ms``: the median of the timed repeats is at most the bound.
- ``<1MB``: the peak heap (memray, separate run) is at most 1,000,000 bytes (decimal MB).
- ``O(1)``: the fitted exponent of peak heap against rows across tiers is at most 0.1
  (``O(n)`` fits near 1), its whole 95% confidence interval included; a bound inside
  the interval is inconclusive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from lab.errors import UsageError

__all__ = ["Claim", "CountBound", "CLAIMS", "get_claim", "MB", "O1_EXPONENT"]

#: One megabyte as the course writes it (decimal).
MB = 1_000_000
#: The largest growth exponent read as "O(1)".
O1_EXPONENT = 0.1
#: The tiers a growth exponent is fitted across by default.
GROWTH_TIERS = ("small", "medium", "large")


def _frozen(mapping: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class CountBound:
    """A lower bound on a ratio of the outcome's counts (or on one count, without a denominator).

    ``value = counts[numerator] / sum(counts[d] for d in denominator)``.
    """

    name: str
    numerator: str
    at_least: float
    denominator: tuple[str, ...] = ()

    def value(self, counts: Mapping[str, int]) -> float | None:
        """The bounded value from ``counts``; ``None`` when a count is missing or the total is zero."""
        if self.numerator not in counts or any(d not in counts for d in self.denominator):
            return None
        if not self.denominator:
            return float(counts[self.numerator])
        total = sum(counts[d] for d in self.denominator)
        return counts[self.numerator] / total if total else None


@dataclass(frozen=True)
class Claim:
    """One measurable promise of the course.

    ``measure`` says what the time bound applies to: the whole run (``"run"``) or
    one item (``"item"``: median seconds divided by the items the run did).
    ``growth_of`` names the cost whose exponent across ``growth_tiers`` is bounded
    by ``growth_bound``. ``axes`` are the axes whose other strategies verification
    also measures at the claim's tier, to show which break it. Empty ``choices``
    mean the system's reference strategies; ``counts`` name the tallies the
    system's outcome must report.
    """

    id: str
    text: str
    where: str
    system: str
    tier: str
    choices: Mapping[str, str] = field(default_factory=_frozen)
    measure: Literal["run", "item"] = "run"
    time_bound_s: float | None = None
    memory_bound_bytes: int | None = None
    growth_bound: float | None = None
    growth_of: Literal["memory", "time"] = "memory"
    growth_tiers: tuple[str, ...] = GROWTH_TIERS
    counts: tuple[CountBound, ...] = ()
    axes: tuple[str, ...] = ()
    reading: str = ""

    def tiers(self) -> tuple[str, ...]:
        """Every tier the claim needs measured: its own, then those of its growth fit."""
        extra = self.growth_tiers if self.growth_bound is not None else ()
        return tuple(dict.fromkeys((self.tier, *extra)))


_TABLE = "Performance Benchmarks table"
_STREAMING = _frozen({"engine": "lab", "reader": "generator", "stats": "welford"})
_COMPACT = _frozen({"similarity": "numpy", "cache": "compact"})

#: Every claim, in the order the course makes them.
CLAIMS: tuple[Claim, ...] = (
    Claim(
        id="stream-1m",
        text="Stream 1M rows: ~5 seconds, <1MB",
        where=_TABLE,
        system="analytics",
        tier="large",
        choices=_STREAMING,
        time_bound_s=5.0,
        memory_bound_bytes=1 * MB,
        axes=("reader", "engine"),
        reading="median run time <= 5 s; peak heap <= 1 MB",
    ),
    Claim(
        id="statistics-1m",
        text="Calculate statistics: ~5 seconds, O(1)",
        where=_TABLE,
        system="analytics",
        tier="large",
        choices=_STREAMING,
        time_bound_s=5.0,
        growth_bound=O1_EXPONENT,
        growth_tiers=("tiny", "small", "medium", "large"),
        axes=("stats",),
        reading="median run time <= 5 s; peak heap grows with exponent <= 0.1 across tiny, small, "
        "medium and large, the whole 95% interval of the fit inside the bound",
    ),
    Claim(
        id="recommend-cached",
        text="Get recommendation (cached): <1ms, Tier 1: 128MB",
        where=_TABLE,
        system="recommend",
        tier="large",
        choices=_COMPACT,
        measure="item",
        time_bound_s=1e-3,
        memory_bound_bytes=128 * MB,
        reading="median time per recommendation <= 1 ms, the in-process tier loaded with 1M neighbour "
        "lists inside the timed run; peak heap <= 128 MB",
    ),
    Claim(
        id="transaction",
        text="Process transaction: <1ms, O(1)",
        where=_TABLE,
        system="finance",
        tier="medium",
        measure="item",
        time_bound_s=1e-3,
        growth_bound=O1_EXPONENT,
        growth_of="time",
        growth_tiers=("tiny", "small", "medium"),
        reading="median time per transaction <= 1 ms at medium (100K transactions; every rule, check and "
        "event on, the log replayed); O(1): the time per transaction does not grow with the history, its "
        "exponent across tiny, small and medium (1K to 100K transactions) <= 0.1, the whole 95% interval "
        "of the fit (each timed repeat a point) inside the bound. Measured at medium, not large: one "
        "1M-transaction run takes about a minute here, and the claim's repeats and memray run would not "
        "fit the main job's ten minutes",
    ),
    Claim(
        id="etl-1m",
        text="ETL 1M rows: ~30 seconds, <10MB",
        where=_TABLE,
        system="etl",
        tier="large",
        time_bound_s=30.0,
        memory_bound_bytes=10 * MB,
        reading="median run time <= 30 s; peak heap <= 10 MB",
    ),
    Claim(
        id="stream-1b",
        text="Stream 1 billion row file with <1MB RAM",
        where="Self-Assessment, lesson 1",
        system="analytics",
        tier="huge",
        choices=_STREAMING,
        memory_bound_bytes=1 * MB,
        reading="peak heap <= 1 MB while streaming 1B rows",
    ),
    Claim(
        id="similarities-1m",
        text="Cache 1M+ product similarities",
        where="Self-Assessment, lesson 3",
        system="recommend",
        tier="large",
        choices=_COMPACT,
        counts=(CountBound("similarities cached", "similarities_cached", 1_000_000),),
        reading="the run's count similarities_cached >= 1,000,000",
    ),
    Claim(
        id="hit-rate",
        text="Target 70%+ hit rate",
        where="Common Questions (cache_info)",
        system="recommend",
        tier="large",
        choices=_frozen({"similarity": "numpy", "cache": "three-tier"}),
        counts=(CountBound("hit rate", "cache_hits", 0.70, ("cache_hits", "cache_misses")),),
        reading="cache_hits / (cache_hits + cache_misses) >= 0.70 for the in-process lru "
        "(maxsize 10,000, as the course's) of the three tiers, Zipf requests (exponent 1.1)",
    ),
)


def get_claim(claim_id: str) -> Claim:
    """The claim called ``claim_id``; a :class:`UsageError` names the valid ones."""
    for claim in CLAIMS:
        if claim.id == claim_id:
            return claim
    raise UsageError(f"unknown claim {claim_id!r} (choose from: {', '.join(c.id for c in CLAIMS)})")
