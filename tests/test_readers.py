"""Every reader, with every stats method it pairs with, gives the same answer on the same file.

Tier data clean and with injected bad rows; block readers with small chunk sizes,
so blocks split many ways and both the fast and the exact path are taken. The
peer engines (duckdb, polars) match lab on clean data.
"""

from __future__ import annotations

import pytest
from helpers import LAB_COMBINATIONS, PEER_ENGINES, blocks, label, run_all

from lab.analytics import prepare, run
from lab.datagen import CATEGORIES
from lab.tiers import TIERS

DATASETS = [
    pytest.param("tiny", 0.0, (7, 100, None), id="tiny-clean"),
    pytest.param("tiny", 0.02, (7, 100, None), id="tiny-bad"),
    pytest.param("small", 0.0, (100, None), id="small-clean"),
    pytest.param("small", 0.02, (100, None), id="small-bad"),
]


@pytest.mark.parametrize(("tier", "bad_rate", "chunk_sizes"), DATASETS)
def test_every_reader_and_method_gives_the_same_fingerprint(tier, bad_rate, chunk_sizes, tmp_path):
    workload = prepare(TIERS[tier], bad_rate=bad_rate)
    reference = run(workload, quarantine_dir=tmp_path / "reference")
    outcomes = run_all(workload, tmp_path, chunk_sizes)
    assert len(outcomes) >= len(LAB_COMBINATIONS)
    fingerprints = {name: o.fingerprint for name, o in outcomes.items()}
    assert set(fingerprints.values()) == {reference.fingerprint}, fingerprints
    for name, outcome in outcomes.items():
        assert outcome.counts == reference.counts, name
        assert outcome.answer["overall"] == pytest.approx(reference.answer["overall"], rel=1e-8), name
    expected_ok = workload.rows - workload.bad_rows
    assert reference.counts == {
        "rows_in": workload.rows,
        "rows_ok": expected_ok,
        "rows_quarantined": workload.bad_rows,
    }
    assert (workload.bad_rows > 0) == (bad_rate > 0)
    answer = reference.answer
    assert (answer["column"], answer["group_by"]) == ("amount", "category")
    assert answer["overall"]["count"] == expected_ok
    assert sorted(answer["groups"]) == sorted(CATEGORIES)
    assert sum(g["count"] for g in answer["groups"].values()) == expected_ok


def test_block_readers_take_both_paths_on_bad_data(tmp_path):
    """With bad rows and small chunks, clean blocks go the fast way and the others the exact way."""
    workload = prepare(TIERS["tiny"], bad_rate=0.02)
    for reader in [c["reader"] for c in LAB_COMBINATIONS if blocks(c) and c["stats"] == "chan"]:
        outcome = run(workload, reader=reader, chunk_size=7, quarantine_dir=tmp_path)
        assert outcome.details["fast_blocks"] > 0, reader
        assert outcome.details["exact_blocks"] > 0, reader
        clean = run(prepare(TIERS["tiny"]), reader=reader, chunk_size=7, quarantine_dir=tmp_path)
        assert clean.details["exact_blocks"] == 0, reader
        assert clean.details["fast_blocks"] > TIERS["tiny"].rows // 100, reader  # many blocks


@pytest.mark.parametrize("engine", PEER_ENGINES)
@pytest.mark.parametrize("tier", ["tiny", "small"])
def test_peers_match_lab_on_clean_data(engine, tier, tmp_path):
    workload = prepare(TIERS[tier])
    reference = run(workload, quarantine_dir=tmp_path)
    outcome = run(workload, engine=engine)
    assert outcome.fingerprint == reference.fingerprint
    assert outcome.counts == reference.counts
    assert outcome.answer["overall"] == pytest.approx(reference.answer["overall"], rel=1e-9)


@pytest.mark.parametrize("choices", LAB_COMBINATIONS, ids=label)
def test_progress_reports_bytes_up_to_the_file_size(choices, tmp_path):
    workload = prepare(TIERS["small"], bad_rate=0.02)
    seen = []
    run(workload, progress=seen.append, quarantine_dir=tmp_path, **choices)
    assert seen, "no progress reported"
    assert seen == sorted(seen)
    assert seen[-1] == workload.source.path.stat().st_size


def test_two_runs_give_identical_outcomes(tmp_path):
    workload = prepare(TIERS["tiny"], bad_rate=0.02)
    first = run(workload, reader="arrow", stats="chan", chunk_size=100, quarantine_dir=tmp_path / "a")
    second = run(workload, reader="arrow", stats="chan", chunk_size=100, quarantine_dir=tmp_path / "b")
    assert first.answer == second.answer
    assert first.counts == second.counts
