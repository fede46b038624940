"""Claims are data and verdicts are computed from records, never stored."""

from __future__ import annotations

import dataclasses

import pytest
from report_records import LISTING, MACHINE, STREAMING, record

from lab.cli import main
from lab.cli import verify as verify_cli
from lab.errors import UsageError
from lab.measure import append_record
from lab.report.claims import CLAIMS, MB, Claim, CountBound, get_claim
from lab.report.render import END, START, readme_body, replace_marked
from lab.report.verdicts import judge
from lab.tiers import TIERS

STREAM = get_claim("stream-1m")
STATISTICS = get_claim("statistics-1m")


def test_the_course_table_and_promises_are_all_claims():
    ids = {c.id for c in CLAIMS}
    assert {"stream-1m", "statistics-1m", "recommend-cached", "transaction", "etl-1m"} <= ids
    assert {"stream-1b", "similarities-1m", "hit-rate"} <= ids
    for claim in CLAIMS:
        stated = (claim.time_bound_s, claim.memory_bound_bytes, claim.growth_bound, claim.counts)
        assert any(stated), f"{claim.id} states no bound"
        assert claim.text and claim.reading and claim.where


def test_stream_claim_names_its_strategy_and_bounds():
    assert STREAM.system == "analytics" and STREAM.tier == "large"
    assert STREAM.choices["reader"] == "generator" and STREAM.choices["stats"] == "welford"
    assert STREAM.time_bound_s == 5.0 and STREAM.memory_bound_bytes == MB
    assert STATISTICS.growth_bound is not None and STATISTICS.tiers() == ("large", "tiny", "small", "medium")


def test_unknown_claim_is_a_usage_error():
    with pytest.raises(UsageError, match="stream-1m"):
        get_claim("nope")


def test_records_within_bounds_hold():
    result = judge(STREAM, [record(median=0.9, peak=100_000)])
    assert result.verdict.status == "holds"
    assert result.verdict.median_s == pytest.approx(0.9)


def test_a_record_over_the_memory_bound_fails():
    result = judge(STREAM, [record(median=0.9, peak=2 * MB)])
    assert result.verdict.status == "fails"
    assert "peak heap" in result.verdict.reason


def test_a_record_over_the_time_bound_fails():
    result = judge(STREAM, [record(median=7.5, peak=10_000)])
    assert result.verdict.status == "fails"
    assert "time" in result.verdict.reason


def test_the_latest_record_decides():
    old = record(median=9.0, timestamp="2026-01-01T00:00:00+00:00")
    new = record(median=1.0, timestamp="2026-02-01T00:00:00+00:00")
    assert judge(STREAM, [new, old]).verdict.status == "holds"
    assert judge(STREAM, [old, new]).verdict.status == "holds"
    newest_bad = record(median=9.0, timestamp="2026-03-01T00:00:00+00:00")
    assert judge(STREAM, [old, new, newest_bad]).verdict.status == "fails"


def test_runs_stopped_early_do_not_count():
    result = judge(STREAM, [record(median=0.1, peak=1000, partial=True)])
    assert result.verdict.status == "untested"


def test_only_the_harness_own_runs_count_not_load_tests_or_interleaved_workers():
    good = record(median=1.0, peak=1000, timestamp="2026-01-01T00:00:00+00:00")
    for source in ("load", "load-sustained", "interleaved"):
        later = record(median=9.0, peak=None, timestamp="2026-02-01T00:00:00+00:00", source=source)
        assert judge(STREAM, [good, later]).verdict.status == "holds", source
        assert judge(STREAM, [later]).verdict.status == "untested", source


def test_no_records_or_no_memory_is_untested():
    assert judge(STREAM, []).verdict.status == "untested"
    result = judge(STREAM, [record(peak=None)])
    assert result.verdict.status == "untested"
    assert "peak heap" in result.verdict.reason


def test_a_reason_it_cannot_run_makes_it_untested_whatever_the_records():
    result = judge(STREAM, [record()], untestable="system 'etl' is not built yet")
    assert result.verdict.status == "untested"
    assert result.verdict.reason == "system 'etl' is not built yet"


def test_other_strategies_at_the_tier_show_which_break_the_claim():
    records = [record(), record(choices=LISTING, median=1.0, peak=140 * 2**20)]
    result = judge(STREAM, records)
    assert result.verdict.status == "holds"
    (broken,) = result.breakers
    assert broken.label.startswith("engine=lab reader=list stats=welford")


def _growth_records(choices, peaks):
    return [record(t, choices, peak=p) for t, p in zip(("small", "medium", "large"), peaks, strict=True)]


def test_heap_growth_claim_holds_when_flat_and_fails_when_linear():
    flat = _growth_records(STREAMING, [98_000, 97_000, 99_000])
    linear = _growth_records(LISTING, [1_400_000, 14_000_000, 140_000_000])
    result = judge(STATISTICS, flat + linear)
    assert result.verdict.status == "holds"
    assert abs(result.verdict.exponent) < 0.05
    (broken,) = result.breakers
    assert broken.exponent == pytest.approx(1.0, abs=0.01)
    assert "growth" in broken.reason


def test_growth_needs_two_tiers():
    result = judge(STATISTICS, [record("large")])
    assert result.verdict.status == "untested"
    assert "growth" in result.verdict.reason


def test_count_bounds_judge_the_systems_own_tallies():
    claim = Claim(
        "rate",
        "Target 70%+ hit rate",
        "test",
        "recommend",
        "large",
        counts=(CountBound("hit rate", "hits", 0.7, ("hits", "misses")),),
    )
    good = record(system="recommend", counts={"hits": 80, "misses": 20})
    bad = record(system="recommend", counts={"hits": 50, "misses": 50}, timestamp="2026-09-09")
    assert judge(claim, [good]).verdict.status == "holds"
    assert judge(claim, [good, bad]).verdict.status == "fails"
    assert judge(claim, [record(system="recommend")]).verdict.status == "untested"


def test_systems_not_built_are_untested_with_the_reason():
    claim = dataclasses.replace(STREAM, id="x", system="nosuch")
    choices, reasons = verify_cli.claim_setup([claim], [])
    assert reasons == {"x": "system 'nosuch' is not built yet"}
    assert choices == {}


def test_an_unknown_strategy_is_untested_with_the_reason():
    claim = dataclasses.replace(STREAM, id="x", choices={"reader": "telepathy"})
    _, reasons = verify_cli.claim_setup([claim], [])
    assert "telepathy" in reasons["x"]


def test_readme_section_is_replaced_between_markers_only():
    text = f"# title\n\nbefore\n{START}\nold\n{END}\nafter\n"
    new = replace_marked(text, "| a | b |")
    assert new == f"# title\n\nbefore\n{START}\n| a | b |\n{END}\nafter\n"
    assert replace_marked("no markers here", "x") is None
    assert readme_body("# no table markers") is None


def test_verify_judges_stored_records_and_writes_claims_md(lab_results_dir, capsys):
    append_record(record(median=0.9, peak=90_000))
    append_record(record(choices=LISTING, median=0.95, peak=140 * 2**20))
    assert main(["verify", "--tiers", "tiny"]) == 0  # no claim is at tiny: nothing measured
    text = (lab_results_dir / "claims.md").read_text()
    assert "| Stream 1M rows: ~5 seconds, <1MB (stream-1m) |" in text
    row = next(line for line in text.splitlines() if line.startswith("| stream-1m "))
    assert row.endswith("| holds |")
    assert "| stream-1m | engine=lab reader=list stats=welford quantiles=none | fails | peak heap" in text
    etl = next(line for line in text.splitlines() if line.startswith("| etl-1m "))
    assert "untested: no records of etl at large" in etl  # built, but not measured here
    assert MACHINE["cpu"] in text


def test_verify_measures_a_claim_end_to_end(lab_results_dir, monkeypatch, capsys):
    tiny = dataclasses.replace(STREAM, id="tiny-stream", tier="tiny", axes=("reader",))
    monkeypatch.setattr(verify_cli, "CLAIMS", (tiny,))
    monkeypatch.setattr(verify_cli, "get_claim", lambda claim_id: tiny)
    assert main(["verify", "--claim", "tiny-stream", "--repeat", "1", "--warmup", "0"]) == 0
    shown = capsys.readouterr().out
    assert "tiny-stream" in shown and "reader=list" in shown
    text = (lab_results_dir / "claims.md").read_text()
    assert "(tiny-stream) |" in text
    assert (lab_results_dir / "runs" / "analytics.jsonl").exists()


def test_a_billion_row_claim_that_bounds_only_the_heap_is_not_timed():
    from lab.report.planning import plan_claims

    plan = plan_claims([get_claim("stream-1b")], None, named=True, quick=False)
    assert list(plan.jobs) == [("analytics", "huge")]
    assert not verify_cli._timed(plan, "analytics", TIERS["huge"])
    assert verify_cli._steps(plan, "analytics", TIERS["huge"], 5, 1) == 1
    stream = plan_claims([get_claim("stream-1m")], None, named=False, quick=True)
    assert verify_cli._timed(stream, "analytics", TIERS["large"])
