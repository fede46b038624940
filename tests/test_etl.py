"""The ETL system: every strategy loads the same rows; counts add up; loads are re-runnable and resume."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab import tiers
from lab.cli import main
from lab.cli.run import ALERT_EXIT, alerted
from lab.errors import InputError
from lab.etl import SYSTEM
from lab.etl.destinations import Destination, PostgresDestination, SqliteDestination, open_destination
from lab.etl.extract import open_records
from lab.etl.pipeline import InjectedFailure, run_pipeline
from lab.etl.schema import TRANSACTIONS, Reject, load_schema
from lab.etl.workload import prepare
from lab.outcome import Outcome
from lab.scenario import run_once

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "etl"


@pytest.fixture(scope="module")
def tiny():
    return prepare(tiers.get("tiny"))


def pg_destination(service, schema=TRANSACTIONS) -> PostgresDestination:
    dsn = service("postgres")
    return PostgresDestination(schema, dsn, f"lab_etl_test_{uuid.uuid4().hex[:8]}")


def load(path: Path, dest: Destination, **kwargs):
    return run_pipeline(open_records(path, dest.schema), dest.schema, dest, str(path), **kwargs)


def lab_combinations(destination: str) -> list[dict[str, str]]:
    return [
        c
        for c in SYSTEM.combinations()
        if c.get("engine", "lab") == "lab"
        and c["destination"] == destination
        and c.get("executor", "serial") == "serial"
        and c.get("source") in ("csv", "ndjson")
    ]


def test_every_sqlite_strategy_loads_the_same_rows(tiny, tmp_path):
    digests, fingerprints = {}, set()
    for n, choices in enumerate(lab_combinations("sqlite")):
        outcome = run_once(SYSTEM, tiny, choices)
        fingerprints.add(outcome.fingerprint)
        c = outcome.counts
        assert c["extracted"] == c["loaded"] + c["quarantined"] + c["duplicates"] == 1_000
        assert outcome.details["invariant_holds"]
        with SqliteDestination(TRANSACTIONS, tmp_path / f"{n}.db") as dest:
            path = tiny.ndjson() if choices["source"] == "ndjson" else tiny.path
            load(path, dest, load=choices["load"], mode=choices["mode"], batch_size=97)
            digests[str(choices)] = dest.digest()
    assert len(fingerprints) == 1
    assert len(set(digests.values())) == 1, digests


def test_postgres_strategies_load_what_sqlite_loads(tiny, tmp_path, service):
    with SqliteDestination(TRANSACTIONS, tmp_path / "ref.db") as ref:
        load(tiny.path, ref)
        expected = ref.digest()
    for loader in ("batch", "copy", "row-tx", "row"):
        with pg_destination(service) as dest:
            try:
                result = load(tiny.path, dest, load=loader, batch_size=128)
                assert result.invariant_holds
                assert dest.digest() == expected, loader
            finally:
                dest.drop()
    outcome = run_once(SYSTEM, tiny, SYSTEM.complete({"destination": "postgres", "load": "copy"}))
    assert outcome.answer == run_once(SYSTEM, tiny, SYSTEM.reference()).answer


@pytest.mark.parametrize("engine", ["pandas", "dlt"])
def test_peers_load_the_same_rows_into_the_same_destination(tiny, tmp_path, engine):
    reason = SYSTEM.axis("engine").get(engine).unavailable()
    if reason:
        pytest.skip(reason)
    from lab.etl.peers import PEERS

    with SqliteDestination(TRANSACTIONS, tmp_path / "ref.db") as ref:
        expected = load(tiny.path, ref, batch_size=100).counts, ref.digest()
    with SqliteDestination(TRANSACTIONS, tmp_path / "peer.db") as dest:
        result = PEERS[engine](tiny.path, TRANSACTIONS, dest, str(tiny.path), 100)
        assert (result.counts, dest.digest()) == expected
    outcome = run_once(SYSTEM, tiny, SYSTEM.complete({"engine": engine}))
    assert outcome.fingerprint == run_once(SYSTEM, tiny, SYSTEM.reference()).fingerprint


def test_counts_name_every_record(tiny, tmp_path):
    with SqliteDestination(TRANSACTIONS, tmp_path / "d.db") as dest:
        result = load(tiny.path, dest, batch_size=100)
        c = result.counts
        assert c["quarantined"] > 0 and c["duplicates"] > 0
        summary = dest.summary()
        assert summary["rows"] == c["loaded"]
        assert summary["quarantined"] == c["quarantined"]
        rows = dest.conn.execute("SELECT category, segment, day, timestamp FROM transactions").fetchall()
    assert all(
        cat == cat.strip().lower() and seg in ("essential", "discretionary") for cat, seg, _, _ in rows
    )
    assert all(day == ts[:10] for _, _, day, ts in rows)


def test_rerunning_leaves_the_destination_unchanged(tiny, tmp_path):
    with SqliteDestination(TRANSACTIONS, tmp_path / "d.db") as dest:
        first = load(tiny.path, dest, batch_size=100)
        before = (
            dest.digest(),
            dest.conn.execute("SELECT sum(load_id), count(*) FROM transactions").fetchone(),
        )
        again = load(tiny.path, dest, batch_size=100)
        assert again.already_loaded and again.counts["extracted"] == 0
        forced = load(tiny.path, dest, batch_size=100, restart=True)
        assert forced.load_id > first.load_id
        assert forced.counts["loaded"] == 0  # every row equal to the stored one: none rewritten
        after = dest.digest(), dest.conn.execute("SELECT sum(load_id), count(*) FROM transactions").fetchone()
    assert before == after


@pytest.mark.parametrize("k", [1, 3, 7])
def test_a_failure_after_k_batches_leaves_exactly_k_and_a_rerun_completes(tiny, tmp_path, k):
    with SqliteDestination(TRANSACTIONS, tmp_path / "ref.db") as ref:
        load(tiny.path, ref, batch_size=64)
        expected = ref.digest()
    with SqliteDestination(TRANSACTIONS, tmp_path / "d.db") as dest:
        with pytest.raises(InjectedFailure):
            load(tiny.path, dest, batch_size=64, fail_after=k)
        mark = dest.mark(str(tiny.path))
        assert mark.batches == k and mark.position == 64 * k
        held = dest.conn.execute("SELECT count(*) FROM transactions").fetchone()[0]
        bad = dest.conn.execute("SELECT count(*) FROM etl_quarantine").fetchone()[0]
        assert held + bad + mark.duplicates == mark.position == mark.extracted
        assert held == mark.loaded and bad == mark.quarantined
        rest = load(tiny.path, dest, batch_size=64)
        assert rest.resumed_from == 64 * k
        assert rest.totals["extracted"] == 1_000 and rest.invariant_holds
        assert dest.digest() == expected


def test_the_schema_cleans_and_gives_reasons():
    clean = TRANSACTIONS.compile()
    assert clean(["1", "2", "3.50", "  Dining ", "2024-01-01T10:00:00"]) == (
        1,
        2,
        350,
        "dining",
        "2024-01-01T10:00:00",
        "discretionary",
        "2024-01-01",
    )
    assert clean(["1", "2", "$1,003.5", "TRAVEL", "2024-01-01 10:00:00+01:00"])[2:5] == (
        100350,
        "travel",
        "2024-01-01T09:00:00",
    )
    cases = {
        ("1", "2", "N/A", "dining", "2024-01-01T10:00:00"): "amount: not an amount: 'N/A'",
        ("1", "2", "-3.00", "dining", "2024-01-01T10:00:00"): "amount: below 0: '-3.00'",
        ("1", "2", "3.001", "dining", "2024-01-01T10:00:00"): "amount: more than 2 decimal places",
        ("1", "0", "3.00", "dining", "2024-01-01T10:00:00"): "user_id: below 1",
        ("1", "2", "3.00", "gambling", "2024-01-01T10:00:00"): "category: not one of the allowed values",
        ("1", "2", "3.00", "dining", "2024-13-01T10:00:00"): "timestamp: not a date-time",
        ("", "2", "3.00", "dining", "2024-01-01T10:00:00"): "id: required",
        ("1", "2", "3.00", "din\udcffing", "2024-01-01T10:00:00"): "category: bytes that are not UTF-8",
        ("1", "2", "3.00"): "expected 5 fields, got 3",
    }
    for raw, why in cases.items():
        with pytest.raises(Reject) as info:
            clean(list(raw))
        assert str(info.value).startswith(why), (raw, str(info.value))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


HEADER = b"id,user_id,amount,category,timestamp"


def test_csv_oddities_load_or_are_quarantined_with_their_line(tmp_path):
    data = (
        b"\xef\xbb\xbf" + HEADER + b"\r\n"
        b'1,2,"3.50",dining,2024-01-01T10:00:00\r\n'
        b'2,2,"1,003.50",travel,2024-01-01T10:00:00\r\n'  # a quoted delimiter
        b'3,2,4.00,"health\nx",2024-01-01T10:00:00\r\n'  # a quoted line break: not a category
        b"4,2,4.00,health\r\n"  # ragged: too few fields
        b"5,2,4.00,health,2024-01-01T10:00:00,extra\r\n"  # ragged: too many
        b"6,2,4.00,heal\xffth,2024-01-01T10:00:00\r\n"  # not UTF-8
        b"\r\n"
        b"7,2,4.00,health,2024-01-01T1"  # truncated last line
    )
    path = write(tmp_path / "odd.csv", data)
    with SqliteDestination(TRANSACTIONS, tmp_path / "d.db") as dest:
        result = load(path, dest)
        bad = {pos: why for _, pos, why, _ in dest.quarantined()}
        ids = [r[0] for r in dest.conn.execute("SELECT id FROM transactions ORDER BY id")]
    assert ids == [1, 2]
    assert result.counts == {"extracted": 7, "loaded": 2, "quarantined": 5, "duplicates": 0}
    assert bad[4].startswith("category: not one of the allowed values")
    assert bad[6] == "expected 5 fields, got 4"
    assert bad[7] == "expected 5 fields, got 6"
    assert bad[8] == "category: bytes that are not UTF-8"
    assert bad[10].startswith("timestamp: not a date-time")


def test_ndjson_bad_lines_are_quarantined(tmp_path):
    lines = [
        json.dumps(
            {
                "id": 1,
                "user_id": 2,
                "amount": "3.50",
                "category": "dining",
                "timestamp": "2024-01-01T10:00:00",
            }
        ),
        '{"id": 2, "user_id": 2, "amount": ',  # a bad JSON line
        "[1, 2, 3]",
        json.dumps(
            {"id": 3, "user_id": 2, "amount": 4.25, "category": "Health", "timestamp": "2024-01-01T10:00:00"}
        ),
        json.dumps({"id": 4, "user_id": 2, "category": "health", "timestamp": "2024-01-01T10:00:00"}),
    ]
    path = write(tmp_path / "x.ndjson", ("\n".join(lines) + "\n").encode())
    with SqliteDestination(TRANSACTIONS, tmp_path / "d.db") as dest:
        result = load(path, dest)
        bad = {pos: why for _, pos, why, _ in dest.quarantined()}
        amounts = [r[0] for r in dest.conn.execute("SELECT amount_cents FROM transactions ORDER BY id")]
    assert amounts == [350, 425]
    assert result.counts["quarantined"] == 3
    assert bad[2].startswith("not JSON") and bad[3] == "not a JSON object" and bad[5] == "amount: required"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"id,user_id,amount,category\n1,2,3,x\n", "missing timestamp"),
        (b"id,user_id,amount,category,timestamp,extra\n", "unexpected extra"),
        (b"user_id,id,amount,category,timestamp\n", "another order"),
        (b"", "is empty"),
    ],
)
def test_a_header_not_matching_the_schema_is_refused_with_the_reason(tmp_path, data, message):
    path = write(tmp_path / "h.csv", data)
    with SqliteDestination(TRANSACTIONS, tmp_path / "d.db") as dest, pytest.raises(InputError) as info:
        load(path, dest)
    assert message in str(info.value)


def test_a_locked_sqlite_database_is_a_clear_error_and_the_load_resumes(tiny, tmp_path):
    db = tmp_path / "d.db"
    with SqliteDestination(TRANSACTIONS, tmp_path / "ref.db") as ref:
        load(tiny.path, ref)
        expected = ref.digest()
    dest = SqliteDestination(TRANSACTIONS, db, timeout=0.05).open()
    blocker = sqlite3.connect(db)

    def lock_after_two(mark):
        if mark.batches == 2:
            blocker.execute("BEGIN IMMEDIATE")

    try:
        with pytest.raises(Exception) as info:
            load(tiny.path, dest, batch_size=100, on_batch=lock_after_two)
        assert "locked" in str(info.value) and "run again to resume" in str(info.value)
        assert type(info.value).__name__ == "LoadError"
        blocker.rollback()
        assert dest.mark(str(tiny.path)).batches == 2
        assert load(tiny.path, dest, batch_size=100).resumed_from == 200
        assert dest.digest() == expected
    finally:
        blocker.close()
        dest.close()


def test_a_dropped_postgres_connection_is_a_clear_error_and_the_load_resumes(tiny, tmp_path, service):
    import psycopg

    with SqliteDestination(TRANSACTIONS, tmp_path / "ref.db") as ref:
        load(tiny.path, ref)
        expected = ref.digest()
    dest = pg_destination(service).open()
    killer = psycopg.connect(dest.dsn, autocommit=True)

    def drop_after_three(mark):
        if mark.batches == 3:
            killer.execute("SELECT pg_terminate_backend(%s)", (dest.backend_pid(),))

    try:
        with pytest.raises(Exception) as info:
            load(tiny.path, dest, batch_size=100, load="copy", on_batch=drop_after_three)
        assert type(info.value).__name__ == "LoadError" and "run again to resume" in str(info.value)
        dest.close()
        dest.open()
        assert dest.mark(str(tiny.path)).batches == 3
        assert load(tiny.path, dest, batch_size=100, load="copy").resumed_from == 300
        assert dest.digest() == expected
    finally:
        killer.close()
        if dest.conn is not None:
            dest.drop()
        dest.close()


def test_an_alert_is_logged_and_lab_run_exits_non_zero(tiny, caplog, capsys):
    with caplog.at_level(logging.WARNING, logger="lab.etl"):
        outcome = run_once(SYSTEM, tiny, SYSTEM.reference(), {"alert_quarantine_bp": 10})
    (alert,) = outcome.details["alerts"]
    assert alert["alert"] == "quarantine_rate" and alert["rate"] > 0.001
    event = json.loads(caplog.records[-1].getMessage())
    assert event["event"] == "etl.alert"
    code = main(
        ["run", "etl", "--tier", "tiny", "--repeat", "1", "--warmup", "0", "--set", "alert_quarantine_bp=10"]
    )
    assert code == ALERT_EXIT
    assert main(["run", "etl", "--tier", "tiny", "--repeat", "1", "--warmup", "0"]) == 0


def test_lab_run_exits_with_the_alert_code_for_any_system_whose_outcome_alerts():
    quiet = Outcome({}, "f", 1)
    loud = Outcome({}, "f", 1, details={"alerts": [{"alert": "anything"}]})
    assert alerted(quiet) == 0 and alerted(loud) == ALERT_EXIT


def test_load_row_is_refused_on_big_tiers():
    big = prepare(tiers.get("tiny"))
    big = type(big)(big.name, big.path, 1_000_000)
    with pytest.raises(Exception, match="load=row commits every row"):
        run_once(SYSTEM, big, SYSTEM.complete({"load": "row"}))


def test_a_users_file_is_loaded_for_real_and_rerunning_changes_nothing(tmp_path, capsys):
    db = tmp_path / "orders.db"
    args = [
        "run",
        "etl",
        "--input",
        str(EXAMPLES / "orders.csv"),
        "--schema",
        str(EXAMPLES / "orders.schema.json"),
    ]
    assert main([*args, "--into", f"sqlite:///{db}"]) == ALERT_EXIT  # half its records are bad
    shown = capsys.readouterr().out
    assert "extracted 10 = loaded 4 + quarantined 5 + duplicates 1 (holds)" in shown
    schema = load_schema(EXAMPLES / "orders.schema.json")
    with open_destination(schema, f"sqlite:///{db}") as dest:
        first = dest.digest(), dest.quarantined()
    assert first[1], "the example holds bad rows, quarantined with their reasons"
    assert main([*args, "--into", f"sqlite:///{db}"]) == 0
    assert "loaded already" in capsys.readouterr().out
    with open_destination(schema, f"sqlite:///{db}") as dest:
        assert (dest.digest(), dest.quarantined()) == first


def test_bad_options_and_schemas_are_one_line_errors(tmp_path, capsys):
    assert main(["run", "etl", "--input", "nope.csv"]) == 2
    assert "--schema" in capsys.readouterr().err
    bad = write(tmp_path / "s.json", b'{"fields": [{"name": "x", "type": "complex"}]}')
    assert main(["run", "etl", "--input", str(EXAMPLES / "orders.csv"), "--schema", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "type 'complex'" in err and "Traceback" not in err


def test_partitions_loaded_apart_give_the_same_rows(tiny, tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    from lab.etl.partitions import LoadJob, load_partition, partitions

    with SqliteDestination(TRANSACTIONS, tmp_path / "ref.db") as ref:
        whole = load(tiny.path, ref, batch_size=100)
        expected = ref.digest(), sorted(q[1:] for q in ref.quarantined())
    parts = partitions(tiny.path, 4, min_bytes=1)
    assert len(parts) == 4 and parts[0].first_line == 2
    db = tmp_path / "parts.db"
    job = LoadJob(None, "csv", f"sqlite:///{db}", "lab_etl", "batch", "stream", 100, False)
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(load_partition, parts, [job] * 4))
    assert sum(r.counts["extracted"] for r in results) == whole.counts["extracted"]
    with SqliteDestination(TRANSACTIONS, db) as dest:
        assert (dest.digest(), sorted(q[1:] for q in dest.quarantined())) == expected
        assert len({m[0] for m in dest.conn.execute("SELECT source FROM etl_watermark")}) == 4


def test_the_executor_axis_loads_what_serial_loads(tiny):
    outcome = run_once(SYSTEM, tiny, SYSTEM.complete({"executor": "processes"}))
    assert outcome.fingerprint == run_once(SYSTEM, tiny, SYSTEM.reference()).fingerprint
    assert outcome.details["invariant_holds"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["1", "0", "-1", " 7", "1_0", "+3", "", "x", "12.34", "1.5", "-2.00", "$3.00", "1..00"]
            ),
            st.sampled_from(["dining", " Dining", "DINING", "gambling", "", "din\udcffing"]),
            st.sampled_from(
                ["2024-01-01T10:00:00", "2024-01-01 10:00:00", "2024-13-01T10:00:00", "2024-01-01T10:00:00Z"]
            ),
            st.text(max_size=12),
        ),
        min_size=4,
        max_size=6,
    )
)
def test_the_fast_path_agrees_with_the_careful_one(raw):
    fast = TRANSACTIONS.compile()
    careful = TRANSACTIONS._careful([{} for _ in TRANSACTIONS.fields], ())

    def outcome(fn):
        try:
            return fn(list(raw))
        except Reject as exc:
            return str(exc)

    assert outcome(fast) == outcome(careful)


def test_streaming_keeps_the_heap_to_a_batch_and_materializing_does_not(tmp_path):
    from lab.measure.memory import peak_heap

    small = prepare(tiers.get("small"))
    peaks = {}
    for mode in ("stream", "materialize"):
        with SqliteDestination(TRANSACTIONS, tmp_path / f"{mode}.db") as dest:
            peaks[mode], _ = peak_heap(lambda d=dest, m=mode: load(small.path, d, mode=m, batch_size=500))
    assert peaks["stream"] < 3 * 2**20 < peaks["materialize"], peaks


def test_a_sweep_skips_a_combination_the_system_refuses_at_a_tier(monkeypatch, lab_results_dir):
    import lab.etl as etl

    monkeypatch.setattr(etl, "ROW_LIMIT", 100)
    args = [
        "sweep",
        "etl",
        "--tiers",
        "tiny",
        "--axis",
        "load",
        "--repeat",
        "1",
        "--warmup",
        "0",
        "--no-memory",
    ]
    assert main(args) == 0
    text = (lab_results_dir / "sweep-etl.md").read_text()
    assert "load=row" in text and "runs on tiers of at most 100 rows" in text


def _open_fresh(path: str) -> str | None:
    try:
        with SqliteDestination(TRANSACTIONS, Path(path), timeout=30):
            return None
    except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
        return str(exc)


def test_partitions_opening_one_new_sqlite_file_together_all_open_it(tmp_path):
    """Switching a new file to WAL while another process opens it failed at once ("database is
    locked", the busy timeout not applied): partitions open one file together."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(4) as pool:
        paths = [str(tmp_path / f"{trial}.db") for trial in range(120) for _ in range(4)]
        failures = [f for f in pool.map(_open_fresh, paths) if f]
    assert failures == []
