"""asv suite for the analytics system: statistics of a CSV column, per tier and combination.

Each benchmark runs the scenario ``system.run(workload, **choices)`` and nothing
else; the workloads are made once in ``setup_cache``. Tiers come from
``LAB_TIERS`` (default ``tiny,small,medium``).
"""

from __future__ import annotations

from typing import Any

from lab.measure import peak_heap
from lab.systems import get_system

from .common import choices_for, combination_labels, prepare_all, tier_names

SYSTEM = get_system("analytics")


class _Scenario:
    """Parameters, shared workloads and the chosen combination for every analytics suite."""

    params = (tier_names(), combination_labels(SYSTEM))
    param_names = ("tier", "combination")
    timeout = 600

    def setup_cache(self) -> dict[str, Any]:
        # Defined once here, so every subclass shares one cache (asv keys it by source line).
        return prepare_all(SYSTEM, tier_names())

    def setup(self, workloads: dict[str, Any], tier: str, combination: str) -> None:
        self.choices = choices_for(SYSTEM, combination)
        self.workload = workloads[tier]


class Statistics(_Scenario):
    """Count, mean, variance, min and max of one column, overall and per group."""

    def time_statistics(self, workloads: dict[str, Any], tier: str, combination: str) -> None:
        SYSTEM.run(self.workload, **self.choices)

    def peakmem_statistics(self, workloads: dict[str, Any], tier: str, combination: str) -> None:
        # Whole-process maximum RSS: imports included, so it has a floor of tens of MB.
        SYSTEM.run(self.workload, **self.choices)


class StatisticsHeap(_Scenario):
    """Peak heap of the statistics run alone, as memray records it (bytes)."""

    unit = "bytes"

    def setup(self, workloads: dict[str, Any], tier: str, combination: str) -> None:
        super().setup(workloads, tier, combination)
        # One untracked run first: lazy imports and first-use caches are not the run's heap.
        SYSTEM.run(self.workload, **self.choices)

    def track_peak_heap(self, workloads: dict[str, Any], tier: str, combination: str) -> int:
        peak, _ = peak_heap(lambda: SYSTEM.run(self.workload, **self.choices))
        return peak
