"""Fixtures of the pytest-benchmark suite: each system's workload and reference answer, made once.

The tier is ``LAB_BENCH_TIER`` (default ``small``). Generated data and any
quarantine files go where ``LAB_DATA_DIR`` / ``LAB_RESULTS_DIR`` pointed when
pytest started, if they were set; otherwise to temporary folders of the test run,
so a test run never writes into the repository.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import harness, tiers
from lab.errors import UsageError
from lab.scenario import run_once
from lab.strategies import System

#: The tier the benchmarks run on.
BENCH_TIER = os.environ.get("LAB_BENCH_TIER") or "small"
#: Timed rounds per benchmark.
ROUNDS = int(os.environ.get("LAB_BENCH_ROUNDS") or 5)
#: One fixed seed: the same tier always gives the same bytes.
SEED = 0
#: The folders set before pytest started: an explicit choice, kept over any default.
_GIVEN = {name: os.environ.get(name) for name in ("LAB_DATA_DIR", "LAB_RESULTS_DIR")}


@pytest.fixture(scope="session")
def lab_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``LAB_DATA_DIR`` and ``LAB_RESULTS_DIR`` for the whole test run.

    The folder the user set before pytest started wins; else the one a fixture
    already set for the test run; else a new temporary folder.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name, prefix in (("LAB_DATA_DIR", "bench-data"), ("LAB_RESULTS_DIR", "bench-results")):
            given = _GIVEN[name]
            if given:
                patch.setenv(name, str(Path(given).resolve()))
            elif not os.environ.get(name):
                patch.setenv(name, str(tmp_path_factory.mktemp(prefix)))
        yield {name: os.environ[name] for name in ("LAB_DATA_DIR", "LAB_RESULTS_DIR")}


@pytest.fixture(scope="session")
def workload_of(lab_folders: dict[str, str]) -> Callable[[System], Any]:
    """``workload_of(system)``: its workload at :data:`BENCH_TIER`, generated before any timing
    (the test skips when the system refuses the tier)."""
    made: dict[str, Any] = {}

    def get(system: System) -> Any:
        if system.name not in made:
            try:
                made[system.name] = harness.workload_for(system, tiers.get(BENCH_TIER), SEED)
            except UsageError as exc:
                made[system.name] = exc
        if isinstance(made[system.name], UsageError):
            pytest.skip(str(made[system.name]))
        return made[system.name]

    return get


@pytest.fixture(scope="session")
def reference_of(workload_of: Callable[[System], Any]) -> Callable[[System], dict[str, Any]]:
    """``reference_of(system)``: the reference combination's answer on its workload."""
    answers: dict[str, dict[str, Any]] = {}

    def get(system: System) -> dict[str, Any]:
        if system.name not in answers:
            answers[system.name] = run_once(system, workload_of(system), system.reference()).answer
        return answers[system.name]

    return get
