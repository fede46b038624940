"""The executor axis: byte ranges read in a process pool or on Dask give serial's answer.

Ranges are made small so that every file splits many ways; a range that meets a
quote sends the whole file to the serial path.
"""

from __future__ import annotations

import pytest
from helpers import write_csv

from lab.analytics import from_file, parallel, prepare, run
from lab.errors import UsageError
from lab.outcome import agree
from lab.tiers import TIERS


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 4096)


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def check_same(workload, tmp_path, executor, **options):
    serial = run(workload, reader="bytes", stats="chan", quarantine_dir=tmp_path / "serial", **options)
    other = run(workload, reader="bytes", executor=executor, quarantine_dir=tmp_path / executor, **options)
    assert agree(other.answer, serial.answer)
    assert other.counts == serial.counts
    if serial.counts["rows_quarantined"]:
        files = serial.details["quarantine_file"], other.details["quarantine_file"]
        assert open(files[0], "rb").read() == open(files[1], "rb").read()
    return other


@pytest.mark.parametrize("bad_rate", [0.0, 0.02])
@pytest.mark.parametrize("stats", ["chan", "naive", "two-pass"])
def test_processes_match_serial(bad_rate, stats, tmp_path):
    workload = prepare(TIERS["small"], bad_rate=bad_rate)
    other = check_same(workload, tmp_path, "processes", chunk_size=500)
    assert other.details["fast_blocks"] + other.details["exact_blocks"] > 1


@pytest.mark.parametrize("bad_rate", [0.0, 0.02])
def test_dask_matches_serial(bad_rate, tmp_path, dask_scheduler, monkeypatch):
    monkeypatch.setenv(parallel.DASK_ENV, dask_scheduler)
    check_same(prepare(TIERS["small"], bad_rate=bad_rate), tmp_path, "dask", chunk_size=500)


def test_quoted_file_falls_back_to_serial(tmp_path):
    rows = "".join(f"{i},{i}.25,k{i % 4}\n" for i in range(3000))
    text = "id,amount,category\n" + rows + '3000,1.5,"k,1"\n' + rows
    workload = from_file(write_csv(tmp_path / "q.csv", text), "amount", "category")
    other = check_same(workload, tmp_path, "processes", chunk_size=500)
    assert other.details["exact_blocks"] >= 1


def test_progress_reaches_the_file_size(tmp_path):
    workload = prepare(TIERS["small"])
    seen: list[int] = []
    run(workload, reader="bytes", executor="processes", progress=seen.append, quarantine_dir=tmp_path)
    assert seen == sorted(seen) and seen[-1] == workload.source.path.stat().st_size


def test_executor_needs_the_bytes_reader():
    with pytest.raises(UsageError, match="executor"):
        run(prepare(TIERS["tiny"]), reader="chunked", executor="processes")
