"""Shared fixtures: every test writes under temporary folders, never into the repository.

Generated tiers live in one data folder for the whole test run, so each is made
once and reused. A test that needs Redis or PostgreSQL asks the ``service``
fixture for its URL: it skips with the reason when the service does not
answer, and fails instead when ``LAB_REQUIRE_SERVICES=1`` (as in CI).
"""

from __future__ import annotations

import atexit
import shutil
import socket
import tempfile

import pytest
from helpers import need_service
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Busy machines make timings noisy: no deadlines. No example database inside the checkout.
settings.register_profile(
    "lab",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("lab")
# hypothesis caches what it learns from the source under .hypothesis/ in the working folder
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="lab-tests-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)


@pytest.fixture(scope="session")
def lab_data_dir(tmp_path_factory):
    """The test run's data folder: tiers generated in one test are reused by the next."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session", autouse=True)
def _session_dirs(lab_data_dir, tmp_path_factory):
    """Point lab at temporary folders for session-scoped fixtures too (they run before any test)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAB_DATA_DIR", str(lab_data_dir))
        mp.setenv("LAB_RESULTS_DIR", str(tmp_path_factory.mktemp("session-results")))
        yield


@pytest.fixture(autouse=True)
def lab_results_dir(tmp_path, lab_data_dir, monkeypatch):
    """Each test gets its own results folder (records, quarantine files, summaries)."""
    folder = tmp_path / "results"
    monkeypatch.setenv("LAB_RESULTS_DIR", str(folder))
    monkeypatch.setenv("LAB_DATA_DIR", str(lab_data_dir))
    return folder


@pytest.fixture
def service():
    """``service("redis")`` -> its URL, or the test skips (fails under LAB_REQUIRE_SERVICES=1)."""
    return need_service


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
