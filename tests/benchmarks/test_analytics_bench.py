"""pytest-benchmark suite for the analytics system, one group per axis.

Each benchmark times the scenario ``system.run(workload, **choices)`` alone, for
each strategy of the axis with the other axes completed by the system, then
checks the answer against the reference combination's (within 1e-9 relative,
see :func:`lab.outcome.agree`). Speed is reported, never asserted.
"""

from __future__ import annotations

from typing import Any

import pytest

from lab.outcome import agree
from lab.strategies import System
from lab.systems import get_system

SYSTEM = get_system("analytics")


def _cases(axis: str) -> list[Any]:
    """Each strategy of ``axis``, completed by the system, with the strategy's name as test id."""
    return [pytest.param(choices, id=choices[axis]) for choices in SYSTEM.combinations(axis)]


def _check(
    benchmark: Any, system: System, workload: Any, reference: dict[str, Any], choices: dict[str, str]
) -> None:
    reason = system.unavailable(choices)
    if reason:
        pytest.skip(reason)
    benchmark.extra_info["choices"] = choices
    outcome = benchmark(system.run, workload, **choices)
    assert agree(outcome.answer, reference), f"{choices} disagrees with the reference answer"


@pytest.mark.benchmark(group="reader", warmup=True, warmup_iterations=1)
@pytest.mark.parametrize("choices", _cases("reader"))
def test_reader(
    benchmark: Any, analytics: System, analytics_workload: Any, analytics_reference: dict, choices: dict
) -> None:
    _check(benchmark, analytics, analytics_workload, analytics_reference, choices)


@pytest.mark.benchmark(group="stats", warmup=True, warmup_iterations=1)
@pytest.mark.parametrize("choices", _cases("stats"))
def test_stats(
    benchmark: Any, analytics: System, analytics_workload: Any, analytics_reference: dict, choices: dict
) -> None:
    _check(benchmark, analytics, analytics_workload, analytics_reference, choices)


@pytest.mark.benchmark(group="engine", warmup=True, warmup_iterations=1)
@pytest.mark.parametrize("choices", _cases("engine"))
def test_engine(
    benchmark: Any, analytics: System, analytics_workload: Any, analytics_reference: dict, choices: dict
) -> None:
    _check(benchmark, analytics, analytics_workload, analytics_reference, choices)
