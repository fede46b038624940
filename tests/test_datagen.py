"""Generated transaction data: deterministic, cached, and honest about the bad rows it injected."""

from __future__ import annotations

from collections import Counter

import pytest

from lab.datagen import BAD_KINDS, COLUMNS, ensure_transactions, transaction_blocks


def test_same_inputs_give_the_same_bytes():
    first = b"".join(transaction_blocks(500, 20, seed=3, bad_rate=0.05))
    again = b"".join(transaction_blocks(500, 20, seed=3, bad_rate=0.05))
    other = b"".join(transaction_blocks(500, 20, seed=4, bad_rate=0.05))
    assert first == again
    assert first != other
    assert first.startswith((",".join(COLUMNS) + "\n").encode())
    assert first.count(b"\n") == 501


def test_blocks_stream_header_first_then_rows():
    blocks = list(transaction_blocks(45_000, 100))
    assert blocks[0] == (",".join(COLUMNS) + "\n").encode()
    assert len(blocks) == 4  # the header, then blocks of at most 20K rows
    assert sum(b.count(b"\n") for b in blocks[1:]) == 45_000


def test_counts_of_injected_rows():
    counts = Counter()
    data = b"".join(transaction_blocks(5_000, 100, seed=1, bad_rate=0.1, counts=counts))
    assert set(counts) <= set(BAD_KINDS) and len(counts) == len(BAD_KINDS)
    assert 350 < sum(counts.values()) < 650  # about 10%
    lines = data.split(b"\n")[1:-1]
    assert sum(line.count(b",") != 4 for line in lines) == counts["missing_fields"] + counts["extra_columns"]
    assert sum(b",N/A," in line for line in lines) == counts["non_numeric"]
    assert sum(b"\xff\xfe" in line for line in lines) == counts["bad_bytes"]


def test_clean_data_has_no_bad_rows():
    counts = Counter()
    data = b"".join(transaction_blocks(2_000, 50, counts=counts))
    assert not counts
    data.decode("utf-8")
    assert all(line.count(b",") == 4 for line in data.split(b"\n")[1:-1])


def test_ensure_transactions_writes_once_and_describes_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))
    seen = []
    data = ensure_transactions(
        "unit", 1_000, 50, seed=2, bad_rate=0.03, progress=lambda d, t: seen.append((d, t))
    )
    assert data.path == tmp_path / "transactions-unit-seed2-bad0.03.csv"
    assert data.path.read_bytes() == b"".join(transaction_blocks(1_000, 50, 2, 0.03))
    assert (data.rows, data.seed) == (1_000, 2)
    assert data.bad_rows == sum(data.bad_kinds.values()) > 0
    assert seen and seen[-1] == (1_000, 1_000)
    mtime = data.path.stat().st_mtime_ns
    again = ensure_transactions("unit", 1_000, 50, seed=2, bad_rate=0.03)
    assert again == data
    assert data.path.stat().st_mtime_ns == mtime  # reused, not rewritten
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_every_kind_of_bad_row_is_injected_somewhere(kind):
    counts = Counter()
    for _ in transaction_blocks(3_000, 10, seed=5, bad_rate=0.05, counts=counts):
        pass
    assert counts[kind] > 0
