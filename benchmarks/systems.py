"""asv suites made from the registry: every registered system gets its own, by registering.

For each system ``S`` (class names in CamelCase: ``Analytics``), per tier and combination
(each strategy of each axis, the others at their reference):

- ``S.time_scenario``: wall time of one scenario call, on state set up outside the timing.
- ``S.peakmem_scenario``: whole-process maximum RSS (imports included: a floor of tens of MB);
  skipped, with the reason, where the heap track is (below).
- ``SHeap.track_peak_heap``: peak heap of the scenario call alone, as memray records it
  (bytes), after three warm-up calls, so that allocators settle as they have after
  ``lab run``'s timed calls. Skipped here, with the reason: strategies whose work runs in worker processes
  (memray sees only this process), and those whose peak does not repeat from process to
  process (``Strategy.heap_note``: engines allocating from threads through allocators of
  their own), which would fail a regression check on a no-op commit.

Each sample is one call on freshly set-up state (``number = 1``: asv runs ``setup``
before each sample); the warm-up call is made in ``setup`` and followed by the
system's reset. Tiers come from ``LAB_TIERS`` (default ``tiny,small,medium``).

Samples come in :data:`ROUNDS` rounds, each a fresh process, of at most three samples:
``asv continuous`` alternates the two commits round by round (A B B A ...), so that a
change of the machine's load between rounds reaches both sides instead of one.
"""

from __future__ import annotations

from typing import Any

from lab.measure import peak_heap
from lab.scenario import Scenario
from lab.strategies import System
from lab.systems import systems

from .common import choices_for, combination_labels, prepare_all, tier_names

#: Rounds of samples per benchmark, each in a fresh process; ``asv continuous`` interleaves
#: the two commits' rounds. Two rounds (asv's default) left a no-op commit at the mercy of
#: one busy round.
ROUNDS = 6


class _Scenario:
    """The shared workloads (one cache for every system), the state set up per sample."""

    system: System
    param_names = ("tier", "combination")
    timeout = 600
    number = 1
    warmup_time = 0
    rounds = ROUNDS
    #: Per round: at least one sample, at most three, for at most 5 s.
    repeat = (1, 3, 5.0)

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


def _memory_note(system: System, combination: str) -> str | None:
    """Why the memory of a combination is not tracked here (worker processes, or a heap that
    does not repeat across processes), or ``None``."""
    choices = choices_for(system, combination)
    return system.memory_untracked(choices) or system.heap_unrepeatable(choices)


def _timing(system: System) -> type:
    def time_scenario(self: Any, workloads: Any, tier: str, combination: str) -> None:
        self.scenario()

    def peakmem_scenario(self: Any, workloads: Any, tier: str, combination: str) -> None:
        self.scenario()

    def untracked(workloads: Any, tier: str, combination: str) -> None:
        """asv runs this after the class's setup, for ``peakmem_scenario`` alone."""
        note = _memory_note(system, combination)
        if note:
            raise NotImplementedError(note)  # asv: skipped, with the reason

    # Whole-process RSS of engines with threads and allocators of their own moved by 10% between
    # two runs of one commit (polars at tiny and small): left out like their heap.
    peakmem_scenario.setup = untracked  # type: ignore[attr-defined]

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
        note = _memory_note(self.system, combination)
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
