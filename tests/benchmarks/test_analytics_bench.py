"""pytest-benchmark suite for the analytics system, one group per axis.

Each benchmark times the scenario ``system.run(workload, **choices)`` alone, for
each strategy of the axis with the other axes completed by the system, then
checks the answer against the reference combination's (within 1e-9 relative,
see :func:`lab.outcome.agree`). Speed is reported, never asserted.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BENCH_TIER

from lab.outcome import agree
from lab.strategies import System
from lab.systems import get_system

SYSTEM = get_system("analytics")


#: The axes benchmarked, one pytest-benchmark group each.
AXES = ("engine", "reader", "stats")


def _cases() -> list[Any]:
    """Each strategy of each axis, completed by the system; test id ``axis-strategy``."""
    return [
        pytest.param(axis, choices, id=f"{axis}-{choices[axis]}")
        for axis in AXES
        for choices in SYSTEM.combinations(axis)
    ]


@pytest.mark.benchmark(warmup=True, warmup_iterations=1)
@pytest.mark.parametrize(("axis", "choices"), _cases())
def test_strategy(
    benchmark: Any,
    analytics: System,
    analytics_workload: Any,
    analytics_reference: dict,
    axis: str,
    choices: dict,
) -> None:
    reason = analytics.unavailable(choices)
    if reason:
        pytest.skip(reason)
    benchmark.group = axis
    outcome = benchmark(analytics.run, analytics_workload, **choices)
    benchmark.extra_info.update(system="analytics", tier=BENCH_TIER, choices=choices, n=outcome.n)
    assert agree(outcome.answer, analytics_reference), f"{choices} disagrees with the reference answer"
