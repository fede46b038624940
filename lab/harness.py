"""Run a system's scenario under measurement and turn it into a record.

The one place the CLI, experiments and verification go through to measure a
run: time in one run, peak heap in a separate one, then the record.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lab import tiers
from lab.errors import UsageError
from lab.measure import Record, append_record, fit_exponent, make_record, peak_heap, time_call
from lab.measure.instructions import count_calls
from lab.outcome import Outcome
from lab.paths import data_dir
from lab.scenario import Scenario
from lab.strategies import System
from lab.tiers import Tier

__all__ = [
    "Measured",
    "Growth",
    "measure_run",
    "count_instructions",
    "memory_growth",
    "sweep_plan",
    "workload_for",
]


@dataclass
class Measured:
    """A measured run: its record (as stored) and the scenario's outcome."""

    record: Record
    outcome: Outcome


def measure_run(
    system: System,
    workload: Any,
    tier: str,
    choices: Mapping[str, str],
    params: Mapping[str, int] | None = None,
    *,
    repeat: int = 5,
    warmup: int = 1,
    memory: bool = False,
    store: bool = True,
    progress: Callable[[int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    options: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    timed: bool = True,
    instructions: int = 0,
    seed: int = 0,
) -> Measured:
    """Time the scenario of ``system`` on ``workload`` (and its peak heap, if ``memory``); keep
    the record.

    The system is set up once, outside every timed region, reset before each call after
    the first, and torn down at the end, also after an error. ``progress`` is passed to
    the timed calls (bytes read); ``on_step(phase)`` is called after each warm-up, repeat
    and memory run, outside the timed region. ``options`` are passed to the scenario and
    not recorded (a stop flag, say); an outcome marked ``partial`` makes a record marked
    ``partial``. ``run_id`` ties the records of one sweep or verification together.
    With ``timed=False`` only the memory run is made (one pass over a stream of a billion
    rows when only its heap is in question); the record has no timing. With
    ``instructions=N``, the instructions of one call are counted too, over N calls in a
    child process under valgrind (``tier`` and ``seed`` name the workload there).
    """
    if not timed and not memory:
        raise ValueError("a run that is not timed must measure memory")
    reporting = {"progress": progress} if progress is not None else {}
    with Scenario(system, workload, choices, params, options) as scenario:
        timing = outcome = None
        if timed:
            timing, outcome = time_call(
                lambda: scenario(**reporting),
                repeat=repeat,
                warmup=warmup,
                on_repeat=(lambda i: on_step("repeat")) if on_step else None,
                on_warmup=(lambda i: on_step("warm-up")) if on_step else None,
                reset=scenario.reset,
            )
        peak = None
        peak_note = system.memory_untracked(choices) if memory else None
        if memory:
            if timed:
                scenario.reset()
            if peak_note is None:
                peak, tracked = peak_heap(scenario if timed else lambda: scenario(**reporting))
                outcome = outcome or tracked
            elif outcome is None:
                outcome = scenario(**reporting)
            if on_step:
                on_step("memory")
    assert outcome is not None
    counted = count_instructions(system, tier, choices, params, seed, instructions) if instructions else None
    record = make_record(
        system=system.name,
        tier=tier,
        choices=choices,
        params=scenario.params,
        n=outcome.n,
        timing=timing,
        peak_bytes=peak,
        fingerprint=outcome.fingerprint,
        counts=outcome.counts,
        answer=outcome.answer,
        extras=outcome.extras,  # beside the answer: never compared between strategies
        peak_note=peak_note,
        partial=bool(outcome.details.get("partial")),
        item=system.unit,
        run_id=run_id,
        instructions=counted,
    )
    if store:
        append_record(record)
    return Measured(record, outcome)


def count_instructions(
    system: System,
    tier: str,
    choices: Mapping[str, str],
    params: Mapping[str, int] | None = None,
    seed: int = 0,
    calls: int = 3,
) -> int | None:
    """Instructions one scenario call executes (valgrind, in child processes; see
    :mod:`lab.measure.instructions`), or ``None`` where the work runs in worker processes,
    which the count would not follow."""
    if system.memory_untracked(choices):
        return None
    if tier not in tiers.TIERS:
        raise UsageError(f"instructions are counted on a named tier, not on {tier}")
    settings = [*(f"{k}={v}" for k, v in choices.items()), *(f"{k}={v}" for k, v in (params or {}).items())]
    command = [sys.executable, "-m", "lab.profile_target", system.name, "--tier", tier, "--seed", str(seed)]
    command += [x for pair in settings for x in ("--set", pair)]
    # What the call writes (quarantine files, say) goes to one fixed, emptied folder: the
    # results folder's name alone moved the count of a call by up to 2%, so two sweeps into
    # two folders did not count alike.
    data = data_dir().resolve()
    scratch = data / "counting"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    env = {"LAB_DATA_DIR": str(data), "LAB_RESULTS_DIR": str(scratch)}
    return count_calls(command, calls, env, cwd=scratch).per_call


def workload_for(
    system: System,
    tier: Tier,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """The system's workload for ``tier`` (made once, then read from the data folder)."""
    reason = system.refuses(tier)
    if reason:
        raise UsageError(reason)
    return system.prepare(tier, seed, progress=progress)  # type: ignore[misc]


def sweep_plan(
    system: System, axes: Sequence[str] | None = None
) -> tuple[list[dict[str, str]], list[tuple[dict[str, str], str]]]:
    """The combinations a sweep runs, and those it skips with the reason.

    With ``axes``, each strategy of each named axis, the other axes at their
    reference (each combination once); without, every valid combination.
    """
    plan = system.one_at_a_time(axes) if axes else system.combinations()
    runnable, skipped = [], []
    for choices in plan:
        reason = system.unavailable(choices)
        if reason:
            skipped.append((choices, reason))
        else:
            runnable.append(choices)
    return runnable, skipped


@dataclass
class Growth:
    """Peak heap per tier and the exponent fitted to it (~0 flat, ~1 linear)."""

    sizes: dict[str, int]
    peaks: dict[str, int]
    exponent: float | None


def memory_growth(
    system: System,
    tiers: list[Tier],
    choices: Mapping[str, str],
    params: Mapping[str, int] | None = None,
    seed: int = 0,
) -> Growth:
    """Measure the peak heap of one run per tier (memray) and fit how it grows with the tier."""
    note = system.memory_untracked(choices)
    if note:
        raise UsageError(f"no peak heap to fit: {note}")
    sizes: dict[str, int] = {}
    peaks: dict[str, int] = {}
    for tier in tiers:
        with Scenario(system, workload_for(system, tier, seed), choices, params) as scenario:
            peak, outcome = peak_heap(scenario)
        sizes[tier.name], peaks[tier.name] = outcome.n, peak
    return Growth(sizes, peaks, fit_exponent(list(sizes.values()), list(peaks.values())))
