"""pytest-benchmark suite made from the registry: one group per (system, axis).

For each registered system, each strategy of each axis (the other axes completed by
the system) is timed through :class:`lab.scenario.Scenario`: set up once, reset
before each round (untimed), torn down at the end. Each benchmark then checks the
answer against the reference combination's (:func:`lab.outcome.agree`). Speed is
reported, never asserted. A new system gets its groups by registering.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import BENCH_TIER, ROUNDS

from lab.outcome import agree
from lab.scenario import Scenario
from lab.strategies import System
from lab.systems import systems


def cases() -> list[Any]:
    """Each strategy of each axis of each system; test id ``system-axis-strategy``."""
    return [
        pytest.param(system, axis.name, choices, id=f"{system.name}-{axis.name}-{choices[axis.name]}")
        for system in systems()
        for axis in system.axes
        for choices in system.combinations(axis.name)
    ]


def bench_strategy(
    benchmark: Any,
    system: System,
    workload: Any,
    reference: dict[str, Any],
    axis: str,
    choices: dict[str, str],
) -> None:
    """Time one combination of ``system`` and check its answer against ``reference``."""
    reason = system.unavailable(choices)
    if reason:
        pytest.skip(reason)
    benchmark.group = f"{system.name}-{axis}"
    with Scenario(system, workload, choices) as scenario:
        outcome = benchmark.pedantic(scenario, setup=scenario.reset, rounds=ROUNDS, warmup_rounds=1)
    benchmark.extra_info.update(system=system.name, tier=BENCH_TIER, choices=choices, n=outcome.n)
    assert agree(outcome.answer, reference), f"{system.name} {choices} disagrees with the reference answer"


@pytest.mark.parametrize(("system", "axis", "choices"), cases())
def test_strategy(
    benchmark: Any,
    workload_of: Callable[[System], Any],
    reference_of: Callable[[System], dict],
    system: System,
    axis: str,
    choices: dict,
) -> None:
    bench_strategy(benchmark, system, workload_of(system), reference_of(system), axis, choices)
