"""Fixtures of the pytest-benchmark suites: the workload and the reference answer, made once.

The tier is ``LAB_BENCH_TIER`` (default ``small``). Generated data and any
quarantine files go where ``LAB_DATA_DIR`` / ``LAB_RESULTS_DIR`` pointed when
pytest started, if they were set; otherwise to temporary folders of the test run,
so a test run never writes into the repository.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import tiers
from lab.strategies import System
from lab.systems import get_system

#: The tier the benchmarks run on.
BENCH_TIER = os.environ.get("LAB_BENCH_TIER") or "small"
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
def analytics() -> System:
    return get_system("analytics")


@pytest.fixture(scope="session")
def analytics_workload(analytics: System, lab_folders: dict[str, str]) -> Any:
    """The analytics workload of :data:`BENCH_TIER`, generated before any timing."""
    return analytics.prepare(tiers.get(BENCH_TIER), SEED)  # type: ignore[misc]


@pytest.fixture(scope="session")
def analytics_reference(analytics: System, analytics_workload: Any) -> dict[str, Any]:
    """The reference combination's answer on the workload."""
    return analytics.run(analytics_workload, **analytics.reference()).answer  # type: ignore[misc]
