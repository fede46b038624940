"""finance: every strategy gives the reference's state and events; the tier workload's known
rejections; conservation after every batch; a user's file; PostgreSQL unreachable."""

from __future__ import annotations

import json

import pytest
from finance_cases import run_state

from lab import tiers
from lab.cli import main
from lab.errors import LabError
from lab.finance import SYSTEM, prepare
from lab.outcome import agree

CHOICES = SYSTEM.one_at_a_time()


@pytest.fixture(scope="module")
def tiny():
    return prepare(tiers.get("tiny"))


@pytest.fixture(scope="module")
def reference(tiny):
    return run_state(tiny, {})


def _needs(choices, service):
    if choices.get("store") == "postgres":
        service("postgres")


@pytest.mark.parametrize("choices", CHOICES, ids=lambda c: "-".join(c.values()))
def test_every_strategy_gives_the_reference_state_and_events(tiny, reference, choices, service):
    _needs(choices, service)
    ref_outcome, ref_state, ref_events = reference
    outcome, state, events = run_state(tiny, choices, {"commit_batch": 100, "snapshot_every": 300})
    assert outcome.answer["replay_matches"] and outcome.answer["reconciles"]
    assert agree(outcome.answer, ref_outcome.answer)
    if choices["money"] == "float":
        drift = outcome.extras["drift"]
        assert 0 < drift["max_account_cents"] < 1e-3  # it drifts, by far less than a hundredth of a cent here
    assert events == ref_events


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_reset_empties_the_log_and_repeats_agree(tiny, reference, store, service):
    _needs({"store": store}, service)
    from lab.scenario import Scenario

    with Scenario(SYSTEM, tiny, SYSTEM.complete({"store": store})) as scenario:
        first = scenario()
        scenario.reset()
        assert list(scenario.state.store.events()) == []
        second = scenario()
    assert agree(first.answer, second.answer) and agree(first.answer, reference[0].answer)


def test_the_tier_workload_has_its_known_rejections_and_flags(tiny, reference):
    answer = reference[0].answer
    expected = tiny.expected
    for reason, count in expected["invalid"].items():
        assert answer["rejected_by_reason"][reason] == count
    assert answer["duplicates"] == expected["duplicates"]
    assert sum(answer["flagged_by_rule"].values()) >= sum(expected["patterns"].values())


@pytest.mark.parametrize("money", ["decimal", "int"])
@pytest.mark.parametrize("apply", ["row", "batch"])
def test_conservation_after_every_batch(tiny, money, apply):
    batches = []

    def conserved(ledger):
        assert ledger.balance_total() == ledger.expected_total()
        batches.append(1)

    run_state(tiny, {"money": money, "apply": apply}, {"commit_batch": 50}, check=conserved)
    assert len(batches) == len(tiny.rows) // 50 + 1


def test_run_with_a_users_csv_and_ndjson(tmp_path, capsys):
    from lab.finance.ledger import COLUMNS

    rows = [
        ["open-1", "1700000000", "open", "X1", "", "100.00", "USD", "checking", "C1"],
        ["open-2", "1700000000", "open", "X2", "", "50.00", "USD", "savings", "C1"],
        ["t1", "1700000100", "deposit", "X1", "", "25.50", "USD", "cash", ""],
        ["t2", "2023-11-14T22:15:00Z", "transfer", "X1", "X2", "10", "USD", "", ""],
        ["t3", "1700000300", "deposit", "X1", "", "1.00001", "USD", "", ""],
        ["t4", "1700000400", "withdrawal", "X9"],
    ]
    csv_path = tmp_path / "ops.csv"
    csv_path.write_text(",".join(COLUMNS) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    assert main(["run", "finance", "--input", str(csv_path), "--repeat", "1", "--warmup", "0", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    answer = record["answer"]
    assert answer["rejected_by_reason"] == {
        "malformed row: 4 fields, expected 9": 1,
        "more than 4 decimal places": 1,
    }
    assert answer["lifecycle"] == {"POSTED": 4, "REJECTED": 2} and record["n"] == 4
    nd = tmp_path / "ops.ndjson"
    lines = [json.dumps(dict(zip(COLUMNS, r, strict=True))) for r in rows[:5]] + ["{not json", "[1, 2]"]
    nd.write_text("\n".join(lines) + "\n")
    assert main(["run", "finance", "--input", str(nd), "--repeat", "1", "--warmup", "0", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)["answer"]
    assert answer["rejected_by_reason"] == {
        "malformed row: not JSON": 1,
        "malformed row: not a JSON object": 1,
        "more than 4 decimal places": 1,
    }


def test_a_missing_file_and_a_bad_header_are_clear_errors(tmp_path, capsys):
    assert main(["run", "finance", "--input", str(tmp_path / "none.csv")]) != 0
    bad = tmp_path / "bad.csv"
    bad.write_text("id,amount\n1,2\n")
    assert main(["run", "finance", "--input", str(bad)]) != 0
    assert "lacks txn_id" in capsys.readouterr().err


def test_postgres_unreachable_names_the_variable(tiny, monkeypatch, closed_port, capsys):
    monkeypatch.setenv("LAB_POSTGRES_DSN", f"postgresql://postgres@127.0.0.1:{closed_port}/test")
    from lab.finance.money import DECIMAL
    from lab.finance.stores import PostgresStore

    with pytest.raises(LabError, match="LAB_POSTGRES_DSN"):
        PostgresStore(DECIMAL)
    assert "LAB_POSTGRES_DSN" in SYSTEM.unavailable({"store": "postgres"})
    assert main(["list"]) == 0
    assert "LAB_POSTGRES_DSN" in capsys.readouterr().out
