"""The quarantine invariant on generated data with injected bad rows, for every reader.

rows_in == rows_ok + rows_quarantined; rows_in and rows_quarantined equal what the
generator says it wrote; the quarantine file lists each bad row with the line it is
on, the reason, and its raw text, bad bytes included, byte for byte.
"""

from __future__ import annotations

import csv

import pytest
from helpers import LAB_COMBINATIONS, blocks, label

from lab.analytics import prepare, run
from lab.quarantine import Quarantine
from lab.tiers import TIERS

#: The reason each injected kind of bad row must be quarantined with (the tally's key).
KIND_REASONS = {
    "bad_bytes": "bytes that are not UTF-8",
    "missing_fields": "expected 5 fields, got 3",
    "extra_columns": "expected 5 fields, got 6",
    "non_numeric": "amount is not a number",
    "empty_amount": "missing amount",
}


def expected_reason(line: bytes) -> str | None:
    """Why a generated line is bad, decided independently of lab's readers."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes that are not UTF-8"
    fields = text.split(",")
    if len(fields) != 5:
        return f"expected 5 fields, got {len(fields)}"
    amount = fields[2]
    if not amount.strip():
        return "missing amount"
    try:
        float(amount)
    except ValueError:
        return f"amount is not a number: {amount!r}"
    return None


def read_quarantine(path):
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line", "reason", "raw"]
    return [(int(line), reason, raw) for line, reason, raw in rows[1:]]


@pytest.fixture(scope="module", params=["tiny", "small"])
def bad_data(request):
    """A tier with 2% bad rows, its lines, and the bad ones found independently."""
    workload = prepare(TIERS[request.param], bad_rate=0.02)
    lines = workload.source.path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # the generator ends every line
    lines = lines[:-1]
    assert lines[0] == b"id,user_id,amount,category,timestamp"
    bad = {n: why for n, line in enumerate(lines[1:], start=2) if (why := expected_reason(line))}
    return workload, lines, bad


CASES = [pytest.param(c, None, id=label(c)) for c in LAB_COMBINATIONS] + [
    pytest.param(c, size, id=label(c, size)) for c in LAB_COMBINATIONS if blocks(c) for size in (7, 100)
]


@pytest.mark.parametrize(("choices", "chunk_size"), CASES)
def test_quarantine_invariant(bad_data, choices, chunk_size, tmp_path):
    workload, lines, bad = bad_data
    options = {} if chunk_size is None else {"chunk_size": chunk_size}
    outcome = run(workload, quarantine_dir=tmp_path, **choices, **options)

    counts = outcome.counts
    assert counts["rows_in"] == counts["rows_ok"] + counts["rows_quarantined"]
    assert counts["rows_in"] == workload.rows == len(lines) - 1
    assert counts["rows_quarantined"] == workload.bad_rows == len(bad) > 0
    assert outcome.n == workload.rows

    path = outcome.details["quarantine_file"]
    assert str(tmp_path) in path
    listed = read_quarantine(path)
    assert [n for n, _, _ in listed] == sorted(bad)
    for n, reason, raw in listed:
        assert reason == bad[n], (n, lines[n - 1])
        assert raw.encode("utf-8", "surrogateescape") == lines[n - 1], n

    data = open(path, "rb").read()
    broken = [lines[n - 1] for n, why in bad.items() if why == KIND_REASONS["bad_bytes"]]
    assert broken, "the generator injected no bad bytes"
    for line in broken:
        assert line in data  # the undecodable bytes survive, unchanged

    kinds = {k: v for k, v in _dataset_kinds(workload).items() if v}
    assert outcome.details["reasons"] == {KIND_REASONS[k]: v for k, v in kinds.items()}


def _dataset_kinds(workload):
    import json

    meta = workload.source.path.with_suffix(".json")
    return json.loads(meta.read_text())["bad_kinds"]


def test_clean_data_writes_no_quarantine_file(tmp_path):
    outcome = run(prepare(TIERS["tiny"]), quarantine_dir=tmp_path)
    assert outcome.counts["rows_quarantined"] == 0
    assert "quarantine_file" not in outcome.details
    assert not any(tmp_path.iterdir())


def test_default_quarantine_folder_is_under_results(lab_results_dir):
    outcome = run(prepare(TIERS["tiny"], bad_rate=0.02))
    path = outcome.details["quarantine_file"]
    assert path.startswith(str(lab_results_dir / "quarantine"))


def test_quarantine_sink(tmp_path):
    q = Quarantine(tmp_path / "q" / "bad.csv", delimiter=";")
    assert not (tmp_path / "q").exists()  # nothing written until the first bad record
    with q:
        q.add(3, "amount is not a number: 'x'", ["a", "x", "c;d"])
        q.add(9, "amount is not a number: 'y'", ["b", "y"])
        q.add(12, "expected 3 fields, got 2", ["b", "\udcff"])
    assert q.count == 3
    assert q.reasons == {"amount is not a number": 2, "expected 3 fields, got 2": 1}
    assert read_quarantine(q.path) == [
        (3, "amount is not a number: 'x'", 'a;x;"c;d"'),
        (9, "amount is not a number: 'y'", "b;y"),
        (12, "expected 3 fields, got 2", "b;\udcff"),
    ]
    assert b"b;\xff" in q.path.read_bytes()
    counting = Quarantine(None)
    counting.add(1, "missing amount", [])
    assert counting.count == 1


def test_raw_text_of_a_multi_line_record_parses_back_to_its_fields(tmp_path):
    """A quarantined record whose fields hold line breaks is written back quoted, so the
    raw text reads back as the same one record."""
    fields = ["two\nlines", "oops", "a\r\nb", "x;y"]
    with Quarantine(tmp_path / "bad.csv", delimiter=";") as q:
        q.add(3, "amount is not a number: 'oops'", fields)
    [(line, _, raw)] = read_quarantine(q.path)
    assert line == 3
    assert list(csv.reader([raw], delimiter=";")) == [fields]


def test_a_clean_run_removes_the_quarantine_file_an_earlier_run_left(tmp_path):
    from lab.quarantine import Quarantine

    path = tmp_path / "q.csv"
    with Quarantine(path) as q:
        q.add(2, "missing amount", ["1", ""])
    assert path.exists()
    with Quarantine(path):
        pass
    assert not path.exists()
