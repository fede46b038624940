"""Measuring: medians and IQRs, timing repeats, growth exponents, records, peak heap, and the
harness that puts them together. No test here asserts a speed."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from lab import harness
from lab.analytics import SYSTEM, prepare
from lab.errors import InputError
from lab.measure import (
    Record,
    append_record,
    fit_exponent,
    load_records,
    machine,
    make_record,
    peak_heap,
    time_call,
)
from lab.measure.records import SCHEMA, commit, runs_dir
from lab.measure.timing import Timing, median_iqr
from lab.outcome import agree
from lab.report.summary import summarize
from lab.tiers import TIERS

MB = 1 << 20


# --- median and IQR -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("samples", "median", "iqr"),
    [
        ([5.0], 5.0, 0.0),
        ([1.0, 2.0], 1.5, 0.5),
        ([3.0, 1.0, 2.0], 2.0, 1.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 3.0, 2.0),
        ([1.0, 1.0, 1.0, 100.0], 1.0, 24.75),
    ],
)
def test_median_iqr(samples, median, iqr):
    assert median_iqr(samples) == pytest.approx((median, iqr))
    timing = Timing(samples)
    assert (timing.median_s, timing.iqr_s) == pytest.approx((median, iqr))


# --- time_call ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("repeat", "warmup"), [(1, 0), (3, 2), (5, 1)])
def test_time_call_counts_warmups_and_repeats(repeat, warmup):
    calls = []
    repeats = []
    timing, result = time_call(lambda: calls.append(len(calls)) or len(calls), repeat, warmup, repeats.append)
    assert len(calls) == repeat + warmup
    assert len(timing.samples_s) == repeat
    assert all(s >= 0 for s in timing.samples_s)
    assert repeats == list(range(repeat))
    assert result == repeat + warmup  # the result of the last call


def test_time_call_needs_a_repeat():
    with pytest.raises(ValueError, match="repeat must be at least 1"):
        time_call(lambda: None, repeat=0)


# --- fit_exponent ---------------------------------------------------------------------------------

SIZES = [1e3, 1e4, 1e5, 1e6]


@pytest.mark.parametrize("exponent", [0, 1, 2])
def test_fit_exponent_recovers_the_power(exponent):
    costs = [3.5 * n**exponent for n in SIZES]
    assert fit_exponent(SIZES, costs) == pytest.approx(exponent, abs=1e-9)


@pytest.mark.parametrize("exponent", [0, 1, 2])
def test_fit_exponent_with_noise(exponent):
    wobble = [1.1, 0.92, 1.05, 0.97]  # +-10%, fixed
    costs = [2e-6 * n**exponent * w for n, w in zip(SIZES, wobble, strict=True)]
    assert fit_exponent(SIZES, costs) == pytest.approx(exponent, abs=0.05)


def test_fit_exponent_needs_two_sizes():
    assert fit_exponent([1e3], [1.0]) is None
    assert fit_exponent([1e3, 1e3], [1.0, 2.0]) is None
    assert fit_exponent([0, 1e3, 1e4], [5.0, 1.0, 10.0]) == pytest.approx(1.0)  # size 0 left out


# --- records --------------------------------------------------------------------------------------


def record(**overrides):
    fields = dict(
        system="analytics",
        tier="tiny",
        choices={"reader": "list"},
        params={"chunk_size": 10},
        n=1000,
        timing=Timing([0.5, 0.25, 1.0]),
        peak_bytes=4096,
        fingerprint="abc",
        counts={"rows_in": 1000},
    )
    return make_record(**{**fields, **overrides})


def test_make_record_fields():
    r = record()
    assert r["samples"] == [0.5, 0.25, 1.0]
    assert r["median_s"] == 0.5 and r["iqr_s"] == pytest.approx(0.375)
    assert r["per_s"] == 2000
    assert r["peak_bytes"] == 4096 and r["fingerprint"] == "abc"
    assert r["machine"] == machine() and r["commit"] == commit()
    assert r["timestamp"].endswith("+00:00")
    assert {"cpu", "cores", "python", "platform", "lab"} <= set(r["machine"])
    assert json.loads(r.to_json())["schema"] == SCHEMA  # every field is plain JSON
    empty = record(timing=None, peak_bytes=None)
    assert (empty["samples"], empty["median_s"], empty["per_s"], empty["peak_bytes"]) == (
        [],
        None,
        None,
        None,
    )


def test_records_append_and_load_round_trip(lab_results_dir):
    first, second = record(), record(tier="small", n=10_000)
    path = append_record(first)
    assert path == runs_dir() / "analytics.jsonl"
    assert runs_dir() == lab_results_dir / "runs"
    append_record(second)
    third = record(system="other")
    other = append_record(third)
    assert load_records() == [first, second, third]  # files in name order, lines in order
    assert load_records([path]) == [first, second]
    assert load_records([other]) == [third]
    assert load_records([lab_results_dir / "nowhere.jsonl"]) == []


def test_load_records_skips_blank_lines(tmp_path):
    first, second = record(), record(tier="small")
    path = tmp_path / "runs.jsonl"
    path.write_text(f"{first.to_json()}\n\n  \n{second.to_json()}\n")
    assert load_records([path]) == [first, second]
    assert load_records([tmp_path]) == [first, second]


def test_a_line_that_is_not_a_record_is_an_input_error_naming_its_line(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text(record().to_json() + "\n{not json\n")
    with pytest.raises(InputError, match=r"runs.jsonl:2: not a lab record"):
        load_records([path])
    path.write_text('{"a": 1}\n')
    with pytest.raises(InputError, match=r"runs.jsonl:1: not a lab record .*no system, tier, n"):
        load_records([path])


def test_exact_decimals_and_non_finite_floats_survive_the_json_round_trip(tmp_path):
    answer = {"balance": Decimal("1234.5600"), "fees": [Decimal("-0.0001")], "drift": float("inf")}
    r = record(answer=answer, counts={"rejected": 3})
    line = r.to_json()
    assert "Infinity" not in line and '"$decimal": "1234.5600"' in line
    back = Record.from_json(line)
    assert back == r and back.answer["balance"] == Decimal("1234.5600")
    assert isinstance(back.answer["fees"][0], Decimal) and back.answer["drift"] == float("inf")
    assert agree(back.answer, answer)


def test_records_written_before_the_schema_still_load(tmp_path):
    old = {
        "system": "analytics",
        "tier": "small",
        "choices": {"reader": "list"},
        "params": {},
        "n": 10,
        "unit": "s",
        "samples": [0.1],
        "median_s": 0.1,
        "iqr_s": 0.0,
        "per_s": 100.0,
        "peak_bytes": None,
        "peak_note": None,
        "fingerprint": "f",
        "counts": {"rows_in": 10},
        "answer": {"overall": {"mean": 1.5}},
        "extras": {"quantiles": {}},
        "commit": "abc",
        "machine": {"cpu": "x"},
        "timestamp": "2026-01-01T00:00:00+00:00",
        "source": "lab",
    }
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(old) + "\n" + json.dumps({**old, "partial": True}) + "\n")
    first, second = load_records([path])
    assert first.schema == 1 and first.answer == old["answer"] and first["median_s"] == 0.1
    assert not first.partial and second.partial and first.item == "items"


# --- peak_heap ------------------------------------------------------------------------------------


def test_peak_heap_sees_an_8_mb_allocation_and_not_an_8_kb_one():
    big, n = peak_heap(lambda: len(bytearray(8 * MB)))
    small, m = peak_heap(lambda: len(bytearray(8 << 10)))
    assert (n, m) == (8 * MB, 8 << 10)
    assert 8 * MB <= big < 9 * MB
    assert 8 << 10 <= small < 256 << 10


def test_peak_heap_trackers_in_a_row_are_independent():
    peaks = [peak_heap(lambda size=size: bytearray(size))[0] for size in (8 << 10, 8 * MB, 8 << 10)]
    assert peaks[0] < 256 << 10 and peaks[1] >= 8 * MB and peaks[2] < 256 << 10


# --- the harness ----------------------------------------------------------------------------------


def test_measure_run_times_measures_memory_and_stores(lab_results_dir):
    workload = prepare(TIERS["tiny"])
    steps = []
    measured = harness.measure_run(
        SYSTEM, workload, "tiny", SYSTEM.reference(), repeat=2, warmup=1, memory=True, on_step=steps.append
    )
    assert steps == ["warm-up", "repeat", "repeat", "memory"]
    r = measured.record
    assert len(r["samples"]) == 2 and r["peak_bytes"] > 0
    assert r["fingerprint"] == measured.outcome.fingerprint
    assert r["params"] == dict(SYSTEM.params)
    assert load_records() == [r]


def test_measure_run_without_storing(lab_results_dir):
    workload = prepare(TIERS["tiny"])
    measured = harness.measure_run(SYSTEM, workload, "tiny", SYSTEM.reference(), repeat=1, store=False)
    assert measured.record["peak_bytes"] is None
    assert not (lab_results_dir / "runs").exists()


def test_workload_for_prepares_once(lab_data_dir):
    first = harness.workload_for(SYSTEM, TIERS["tiny"])
    mtime = first.source.path.stat().st_mtime_ns
    second = harness.workload_for(SYSTEM, TIERS["tiny"])
    assert second == first and second.source.path.stat().st_mtime_ns == mtime
    assert first.source.path.parent == lab_data_dir


def test_a_strategy_whose_work_runs_in_worker_processes_gets_no_peak_heap_but_the_reason():
    from lab import harness, tiers
    from lab.errors import UsageError
    from lab.systems import get_system

    system = get_system("analytics")
    choices = system.complete({"reader": "bytes", "executor": "processes"})
    workload = harness.workload_for(system, tiers.get("tiny"))
    record = harness.measure_run(
        system, workload, "tiny", choices, repeat=1, warmup=0, memory=True, store=False
    ).record
    assert record["peak_bytes"] is None
    assert "worker processes" in record["peak_note"]
    with pytest.raises(UsageError, match="worker processes"):
        harness.memory_growth(system, [tiers.get("tiny")], choices)
    serial = system.complete({"reader": "bytes", "executor": "serial"})
    assert system.memory_untracked(serial) is None


def test_a_run_measured_for_its_heap_alone_has_no_timing(lab_results_dir):
    workload = prepare(TIERS["tiny"])
    steps = []
    measured = harness.measure_run(
        SYSTEM, workload, "tiny", SYSTEM.reference(), memory=True, timed=False, on_step=steps.append
    )
    record = measured.record
    assert steps == ["memory"] and record.samples == [] and record.median_s is None
    assert record.peak_bytes > 0 and record.n == TIERS["tiny"].rows
    rows = summarize([record], SYSTEM.reference())
    assert rows[0].time_ratio is None and rows[0].memory_ratio == 1.0
    with pytest.raises(ValueError, match="must measure memory"):
        harness.measure_run(SYSTEM, workload, "tiny", SYSTEM.reference(), timed=False)
