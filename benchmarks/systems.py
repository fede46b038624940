"""asv suites made from the registry: every registered system gets its own, by registering.

For each system ``S`` (class names in CamelCase: ``Analytics``), per tier and combination
(each strategy of each axis, the others at their reference):

- ``S.time_scenario``: wall time of one scenario call, on state set up outside the timing.
- ``S.peakmem_scenario``: whole-process maximum RSS (imports included: a floor of tens of MB).
- ``SHeap.track_peak_heap``: peak heap of the scenario call alone, as memray records it
  (bytes), after three warm-up calls, so that allocators settle as they have after
  ``lab run``'s timed calls. Skipped here, with the reason: strategies whose work runs in worker processes
  (memray sees only this process), and those whose peak does not repeat from process to
  process (``Strategy.heap_note``: engines allocating from threads through allocators of
  their own), which would fail a regression check on a no-op commit.

Each sample is one call on freshly set-up state (``number = 1``: asv runs ``setup``
before each sample); the warm-up call is made in ``setup`` and followed by the
system's reset. Tiers come from ``LAB_TIERS`` (default ``tiny,small,medium``).
"""

from __future__ import annotations

from typing import Any

from lab.measure import peak_heap
from lab.scenario import Scenario
from lab.strategies import System
from lab.systems import systems

from .common import choices_for, combination_labels, prepare_all, tier_names


class _Scenario:
    """The shared workloads (one cache for every system), the state set up per sample."""

    system: System
    param_names = ("tier", "combination")
    timeout = 600
    number = 1
    warmup_time = 0

    def setup_cache(self) -> dict[str, dict[str, Any]]:
        # Defined once here, so every subclass shares one cache (asv keys it by source line).
        return prepare_all(systems(), tier_names())

    #: Untimed calls made in ``setup``, each followed by the system's reset.
    warmup_calls = 1

    def setup(self, workloads: dict[str, dict[str, Any]], tier: str, combination: str) -> None:
        choices = choices_for(self.system, combination)
        workload = workloads[self.system.name].get(tier)
        if workload is None:
            raise NotImplementedError(f"{self.system.name} has no {tier} workload")
        self.scenario = Scenario(self.system, workload, choices).__enter__()
        for _ in range(self.warmup_calls):  # lazy imports, first-use caches: not the measured call
            self.scenario()
            self.scenario.reset()

    def teardown(self, workloads: dict[str, dict[str, Any]], tier: str, combination: str) -> None:
        scenario = getattr(self, "scenario", None)  # asv tears down after a skipped setup too
        if scenario is not None:
            scenario.__exit__(None, None, None)


def _timing(system: System) -> type:
    def time_scenario(self: Any, workloads: Any, tier: str, combination: str) -> None:
        self.scenario()

    def peakmem_scenario(self: Any, workloads: Any, tier: str, combination: str) -> None:
        self.scenario()

    doc = f"{system.description}: wall time and whole-process RSS of one run ({system.unit})."
    return type(
        _class_name(system),
        (_Scenario,),
        {
            "__doc__": doc,
            "system": system,
            "params": (tier_names(), combination_labels(system)),
            "time_scenario": time_scenario,
            "peakmem_scenario": peakmem_scenario,
        },
    )


def _heap(system: System) -> type:
    def setup(self: Any, workloads: Any, tier: str, combination: str) -> None:
        choices = choices_for(self.system, combination)
        note = self.system.memory_untracked(choices) or self.system.heap_unrepeatable(choices)
        if note:  # nothing honest, or nothing repeatable, to track (asv: skipped)
            raise NotImplementedError(note)
        _Scenario.setup(self, workloads, tier, combination)

    def track_peak_heap(self: Any, workloads: Any, tier: str, combination: str) -> int:
        peak, _ = peak_heap(self.scenario)
        return peak

    doc = (
        f"{system.description}: peak heap of the scenario call alone (memray, bytes), after "
        "three warm-up calls; "
        "skipped where the work runs in worker processes, which memray does not follow, or "
        "where the peak does not repeat across processes."
    )
    attrs = {"__doc__": doc, "system": system, "unit": "bytes", "setup": setup, "warmup_calls": 3}
    attrs["track_peak_heap"] = track_peak_heap
    attrs["params"] = (tier_names(), combination_labels(system))
    return type(_class_name(system) + "Heap", (_Scenario,), attrs)


def _class_name(system: System) -> str:
    return "".join(part.capitalize() for part in system.name.replace("-", "_").split("_"))


for _system in systems():
    for _make in (_timing, _heap):
        _cls = _make(_system)
        _cls.__module__ = __name__
        globals()[_cls.__name__] = _cls
