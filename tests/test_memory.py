"""Memory: streaming stays flat, loading everything grows with the data (memray).

Workloads are prepared in fixtures, outside the measured test bodies, and one
small run warms every code path up first, so imports and caches are not counted.
"""

from __future__ import annotations

import pytest

from lab.analytics import prepare, run
from lab.measure import fit_exponent, peak_heap
from lab.report.claims import MB
from lab.tiers import TIERS

GROWTH_TIERS = ("tiny", "small", "medium")


@pytest.fixture(scope="module")
def workloads():
    prepared = {name: prepare(TIERS[name]) for name in GROWTH_TIERS}
    for choices in ({"reader": "list"}, {"reader": "generator"}):
        run(prepared["tiny"], stats="welford", **choices)  # warm-up: imports, caches
    return prepared


@pytest.fixture
def medium_workload(workloads):
    return workloads["medium"]


def test_generator_welford_streams_medium_in_under_1_mb(medium_workload):
    """The claim's yardstick: 1,000,000 bytes of peak heap, Python's allocator traced (memray)."""
    peak, outcome = peak_heap(lambda: run(medium_workload, reader="generator", stats="welford"))
    assert outcome.counts["rows_in"] == TIERS["medium"].rows
    assert peak <= MB, f"peak heap {peak:,} B"


def peaks_of(workloads, **choices):
    out = {}
    for name in GROWTH_TIERS:
        workload = workloads[name]
        out[name], outcome = peak_heap(lambda w=workload: run(w, **choices))
        assert outcome.n == TIERS[name].rows
    return out


def test_list_reader_heap_grows_with_the_tier_and_generator_stays_flat(workloads, record_property):
    rows = [TIERS[name].rows for name in GROWTH_TIERS]
    listed = peaks_of(workloads, reader="list", stats="welford")
    streamed = peaks_of(workloads, reader="generator", stats="welford")
    list_exponent = fit_exponent(rows, list(listed.values()))
    stream_exponent = fit_exponent(rows, list(streamed.values()))
    print(f"\npeak heap list {listed} (exponent {list_exponent:.2f})")
    print(f"peak heap generator {streamed} (exponent {stream_exponent:.2f})")
    record_property("list_peaks", listed)
    record_property("generator_peaks", streamed)

    assert listed["tiny"] < listed["small"] < listed["medium"]
    assert 0.75 < list_exponent < 1.25, listed  # roughly linear in the rows
    assert 4 < listed["medium"] / listed["small"] < 25, listed  # 10x the rows

    assert abs(stream_exponent) < 0.15, streamed
    assert streamed["medium"] < 2 * streamed["tiny"], streamed
    assert streamed["medium"] * 20 < listed["medium"]


def test_peak_heap_counts_only_the_call():
    """The workload made before the call is not part of the call's peak."""
    data = [float(i) for i in range(200_000)]  # about 6 MB, allocated outside
    peak, total = peak_heap(lambda: sum(data))
    assert total == sum(data)
    assert peak < 1 << 20
