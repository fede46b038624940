"""The quantiles axis: DDSketch within its documented relative accuracy of the exact
(rank-based, ``lower``) quantiles, the vectorised block path equal to the library's
per-value path, merged partials equal to one pass, and no effect on the fingerprint."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from ddsketch.mapping import LogarithmicMapping
from helpers import LAB_COMBINATIONS, label, write_csv
from hypothesis import given
from hypothesis import strategies as st

from lab import harness
from lab.analytics import SYSTEM, from_file, parallel, prepare, quantiles, run
from lab.analytics.quantiles import LEVELS, Exact, Quantiles, Sketch, exact_quantiles, sketch_keys
from lab.errors import UsageError
from lab.report.summary import summarize
from lab.tiers import TIERS

#: Magnitudes DDSketch indexes (below: counted as zero; above: no bucket value fits a float).
magnitudes = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False)
values = st.one_of(magnitudes, magnitudes.map(lambda x: -x), st.just(0.0), st.just(-0.0))
samples = st.lists(values, min_size=1, max_size=300)
accuracies = st.sampled_from([10, 100, 500])  # basis points: 0.1%, 1%, 5%


def within(estimate: float | None, exact: float | None, alpha: float) -> bool:
    """DDSketch's guarantee: ``|estimate - x| <= alpha * |x|`` (a hair of float slack)."""
    if exact is None:
        return estimate is None
    return abs(estimate - exact) <= alpha * abs(exact) * (1 + 1e-9)


def buckets(sketch: Sketch) -> tuple[dict[int, float], dict[int, float], float, float]:
    """The sketch's contents, however its stores happen to be laid out."""

    def keyed(store) -> dict[int, float]:
        return {i + store.offset: c for i, c in enumerate(store.bins) if c}

    s = sketch.flush()
    return keyed(s._store), keyed(s._negative_store), s._zero_count, s.count


def per_value(data: list[float], alpha: float) -> Sketch:
    sketch = Sketch(alpha)
    for x in data:
        sketch.update(x)
    return sketch


def per_block(data: list[float], alpha: float) -> Sketch:
    sketch = Sketch(alpha)
    sketch.update_block(np.array(data))
    return sketch


@given(samples, accuracies)
def test_sketch_is_within_its_relative_accuracy_of_the_exact_quantiles(data, bp):
    q = Quantiles("ddsketch", bp)
    exact = exact_quantiles(np.array(data))
    for sketch in (per_value(data, q.alpha), per_block(data, q.alpha)):
        found = sketch.quantiles()
        assert all(within(found[p], exact[p], q.alpha) for p in LEVELS), (found, exact)


@given(samples, accuracies)
def test_block_path_fills_the_same_buckets_as_the_library_add(data, bp):
    alpha = bp / 10_000
    assert buckets(per_block(data, alpha)) == buckets(per_value(data, alpha))


def test_keys_on_bucket_edges_match_the_library():
    mapping = LogarithmicMapping(0.01)
    edges = np.array([mapping.gamma**k for k in range(-2000, 2000)])
    near = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, np.inf)])
    assert sketch_keys(mapping, near).tolist() == [mapping.key(float(v)) for v in near]


@given(samples, st.integers(min_value=0, max_value=300))
def test_merged_partials_equal_one_pass(data, cut):
    whole = per_value(data, 0.01)
    first, second = per_value(data[:cut], 0.01), per_block(data[cut:], 0.01)
    first.merge(second)
    assert buckets(first) == buckets(whole)
    a, b = Exact(), Exact()
    for x in data[:cut]:
        a.update(x)
    b.update_block(np.array(data[cut:]))
    a.merge(b)
    assert a.quantiles() == exact_quantiles(np.array(data))


def test_exact_is_the_lower_rank_definition():
    got = exact_quantiles(np.arange(1.0, 101.0))  # p50: index floor(0.5 * 99) = 49
    assert got == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    assert exact_quantiles(np.array([])) == dict.fromkeys(LEVELS)


@pytest.mark.parametrize("tier", ["tiny", "small"])
def test_tier_quantiles_within_the_documented_accuracy(tier):
    workload = prepare(TIERS[tier])
    exact = run(workload, reader="bytes", stats="chan", quantiles="exact").extras["quantiles"]
    for bp in (100, 200):
        sketch = run(
            workload, reader="bytes", stats="chan", quantiles="ddsketch", quantile_accuracy_bp=bp
        ).extras["quantiles"]
        alpha = sketch["relative_accuracy"]
        assert alpha == bp / 10_000
        assert exact["groups"].keys() == sketch["groups"].keys() and len(exact["groups"]) > 1
        for name in LEVELS:
            assert within(sketch["overall"][name], exact["overall"][name], alpha)
            for key, qs in exact["groups"].items():
                assert within(sketch["groups"][key][name], qs[name], alpha)


def _all_combinations(workload, tmp_path, method, **options):
    return {
        label(c): run(workload, quarantine_dir=tmp_path / label(c), **{**c, "quantiles": method}, **options)
        for c in LAB_COMBINATIONS
    }


@pytest.mark.parametrize("method", ["ddsketch", "exact"])
def test_every_reader_and_stats_method_gives_the_same_quantiles(method, tmp_path):
    workload = prepare(TIERS["tiny"], bad_rate=0.01)
    outcomes = _all_combinations(workload, tmp_path / method, method, chunk_size=97)
    without = _all_combinations(workload, tmp_path / "none", "none", chunk_size=97)
    first = next(iter(outcomes.values())).extras["quantiles"]
    assert first["method"] == method and first["overall"]["p50"] is not None
    for name, outcome in outcomes.items():
        assert outcome.extras["quantiles"] == first, name
        assert outcome.answer == without[name].answer, name  # quantiles never touch the statistics
        assert outcome.fingerprint == without[name].fingerprint and without[name].extras == {}, name


@pytest.mark.parametrize("method", ["ddsketch", "exact"])
def test_byte_ranges_in_processes_give_the_serial_quantiles(method, monkeypatch, tmp_path):
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 4096)
    workload = prepare(TIERS["small"], bad_rate=0.02)
    options = {"reader": "bytes", "stats": "chan", "quantiles": method, "chunk_size": 500}
    serial = run(workload, quarantine_dir=tmp_path / "s", **options)
    split = run(workload, executor="processes", quarantine_dir=tmp_path / "p", **options)
    assert split.details["fast_blocks"] + split.details["exact_blocks"] > 1
    assert split.extras["quantiles"] == serial.extras["quantiles"]
    assert split.fingerprint == serial.fingerprint == run(workload, reader="bytes").fingerprint


def test_no_group_column_and_no_valid_rows(tmp_path):
    plain = from_file(write_csv(tmp_path / "p.csv", "amount\n-2\n0\n3\n"), "amount")
    q = run(plain, quantiles="ddsketch").extras["quantiles"]
    assert q["groups"] == {} and q["overall"] == {"p50": 0.0, "p95": 0.0, "p99": 0.0}  # sorted: -2, 0, 3
    empty = from_file(write_csv(tmp_path / "e.csv", "amount,category\nx,a\n"), "amount", "category")
    for method in ("exact", "ddsketch"):
        q = run(empty, quantiles=method).extras["quantiles"]
        assert q["overall"] == dict.fromkeys(LEVELS) and q["groups"] == {}


def test_peers_have_no_quantiles_axis():
    with pytest.raises(UsageError, match="axis 'quantiles' does not apply to engine=duckdb"):
        SYSTEM.complete({"engine": "duckdb", "quantiles": "exact"})


def test_records_keep_quantiles_beside_an_answer_that_still_agrees():
    workload = prepare(TIERS["tiny"])
    records = [
        harness.measure_run(
            SYSTEM, workload, "tiny", SYSTEM.complete({"quantiles": method}), repeat=1, warmup=0, store=False
        ).record
        for method in quantiles.METHODS
    ]
    assert records[0]["extras"] is None
    assert [r["extras"]["quantiles"]["method"] for r in records[1:]] == ["exact", "ddsketch"]
    rows = summarize(records, SYSTEM.reference())
    assert [row.same_answer for row in rows] == [True, True, True]


def test_docstring_example():
    result = doctest.testmod(quantiles)
    assert result.attempted > 0 and result.failed == 0
