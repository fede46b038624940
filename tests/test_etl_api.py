"""Extract from a paginated JSON API on loopback (lab's web framework on a WSGI server), with retries."""

from __future__ import annotations

import pytest

from lab import tiers
from lab.errors import InputError
from lab.etl import SYSTEM
from lab.etl.api import api_records, serving
from lab.etl.destinations import SqliteDestination
from lab.etl.extract import open_records
from lab.etl.pipeline import run_pipeline
from lab.etl.schema import TRANSACTIONS
from lab.etl.workload import prepare
from lab.scenario import run_once


@pytest.fixture(scope="module")
def tiny():
    return prepare(tiers.get("tiny"))


def loaded(records, db, source="x"):
    with SqliteDestination(TRANSACTIONS, db) as dest:
        result = run_pipeline(records, TRANSACTIONS, dest, source, batch_size=128)
        return result.counts, dest.digest()


def test_the_api_gives_the_files_rows_even_when_requests_fail(tiny, tmp_path):
    expected = loaded(open_records(tiny.path, TRANSACTIONS), tmp_path / "file.db")
    stats: dict[str, int] = {}
    with serving(tiny.path, per_page=100, fail_every=3) as url:
        got = loaded(api_records(url, TRANSACTIONS, backoff=0.001, stats=stats), tmp_path / "api.db")
    assert got == expected
    assert stats["pages"] == 10 and stats["retries"] >= 4


def test_an_api_that_keeps_failing_is_a_clear_error(tiny, tmp_path):
    with serving(tiny.path, per_page=100, fail_every=1) as url, pytest.raises(InputError) as info:
        loaded(api_records(url, TRANSACTIONS, retries=2, backoff=0.001), tmp_path / "d.db")
    assert "still failing after 2 retries (HTTP 503)" in str(info.value)


def test_a_status_that_is_not_transient_is_not_retried(tiny, tmp_path):
    with serving(tiny.path) as url, pytest.raises(InputError, match="HTTP 404"):
        list(api_records(url + "/nothing-here", TRANSACTIONS, backoff=10))


def test_a_closed_port_is_retried_then_a_clear_error(closed_port):
    with pytest.raises(InputError, match="still failing after 1 retries"):
        list(api_records(f"http://127.0.0.1:{closed_port}", TRANSACTIONS, retries=1, backoff=0.001))


def test_the_api_source_of_the_system_loads_what_the_csv_source_loads(tiny):
    api = run_once(SYSTEM, tiny, SYSTEM.complete({"source": "api"}))
    assert api.details["api"]["pages"] == 1
    assert api.fingerprint == run_once(SYSTEM, tiny, SYSTEM.reference()).fingerprint
