"""The ``bytes`` reader: numpy-parsed byte blocks give exactly the reference's answer.

Tier data clean and with bad rows, and users' files with quotes, CRLF line ends,
no final newline, odd numbers and non-UTF-8 bytes: the fast path takes only the
blocks it can vouch for, the others go the exact way and are counted.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import write_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.analytics import from_file, prepare, run
from lab.analytics.fastparse import parse_block
from lab.tiers import TIERS


def same(workload, tmp_path, **options):
    """Run the reference and the bytes reader; check answers, counts and quarantine; return bytes'."""
    reference = run(workload, quarantine_dir=tmp_path / "ref")
    fast = run(workload, reader="bytes", stats="chan", quarantine_dir=tmp_path / "fast", **options)
    assert fast.fingerprint == reference.fingerprint
    assert fast.counts == reference.counts
    assert fast.details.get("reasons") == reference.details.get("reasons")
    if reference.counts["rows_quarantined"]:
        ref_file = reference.details["quarantine_file"]
        fast_file = fast.details["quarantine_file"]
        assert open(ref_file, "rb").read() == open(fast_file, "rb").read()
    return fast


#: Every tier with every chunk size, but medium in 7-line blocks (too many tiny blocks to be quick).
TIER_CHUNKS = [
    (tier, chunk)
    for tier in ("tiny", "small", "medium")
    for chunk in (7, 1000, None)
    if not (tier == "medium" and chunk == 7)
]


@pytest.mark.parametrize(("tier", "chunk_size"), TIER_CHUNKS)
@pytest.mark.parametrize("bad_rate", [0.0, 0.02])
def test_tiers_match_the_reference(tier, bad_rate, chunk_size, tmp_path):
    workload = prepare(TIERS[tier], bad_rate=bad_rate)
    options = {} if chunk_size is None else {"chunk_size": chunk_size}
    fast = same(workload, tmp_path, **options)
    if bad_rate == 0:
        assert fast.details["exact_blocks"] == 0
    if bad_rate == 0 or chunk_size == 7:  # with bad rows, only small blocks come out clean
        assert fast.details["fast_blocks"] > 0


HEADER = "id,amount,category,note\r\n"


def rows(n: int, end: str = "\n") -> str:
    return "".join(f"{i},{i * 1.25 - 40:.2f},{'abc'[i % 3]}x,n{i}{end}" for i in range(n))


@pytest.mark.parametrize(
    "name, text, exact",
    [
        ("crlf", HEADER + rows(500, "\r\n"), 0),
        ("no-final-newline", HEADER + rows(500).rstrip("\n"), 0),
        ("quoted-late", HEADER + rows(300) + '301,1.5,"a,x",q\n' + rows(200), 1),
        ("quoted-newline", HEADER + rows(300) + '301,2.5,ax,"two\nlines"\n' + rows(200), 1),
        ("lone-cr", HEADER + rows(300) + "301,3.5,ax,a\rb\n" + rows(200), 1),
        ("spaces", HEADER + rows(300) + "301, 3.5 ,ax,b\n" + rows(200), 1),
        ("exponent", HEADER + rows(300) + "301,1e3,ax,b\n" + rows(200), 1),
        ("integers", HEADER + "".join(f"{i},{i},k,n\n" for i in range(500)), 0),
        ("mixed-formats", HEADER + "".join(f"{i},{i / 8},k,n\n" for i in range(500)), 0),
        ("long-numbers", HEADER + "".join(f"{i},{i / 7!r},k{i % 5},n\n" for i in range(500)), 1),
        ("nan-inf-blank", HEADER + rows(300) + "1,nan,a,b\n\n2,inf,a,b\n3,,a,b\n" + rows(200), 1),
        ("unicode-keys", HEADER + "".join(f"{i},{i}.5,caf\u00e9{i % 3},n\n" for i in range(500)), 0),
        ("underscore", HEADER + rows(300) + "301,1_000,ax,b\n" + rows(200), 1),
        ("short-forms", HEADER + "1,-0.25,a,b\n2,0.0,a,b\n3,-.5,b,c\n4,5.,b,c\n", 0),
    ],
)
def test_users_files_match_the_reference(name, text, exact, tmp_path):
    path = write_csv(tmp_path / f"{name}.csv", text)
    fast = same(from_file(path, "amount", "category"), tmp_path, chunk_size=100)
    assert (fast.details["exact_blocks"] > 0) == bool(exact), fast.details
    assert fast.details["fast_blocks"] > 0 or name == "long-numbers"  # 17 digits: never fast


def test_bytes_that_are_not_utf8_take_the_exact_path(tmp_path):
    data = (HEADER + rows(300)).encode() + b"301,4.5,a\xff,b\n" + rows(200).encode()
    workload = from_file(write_csv(tmp_path / "bad.csv", data), "amount", "category")
    fast = same(workload, tmp_path, chunk_size=64)
    assert fast.details["exact_blocks"] == 1
    assert fast.counts["rows_quarantined"] == 1


def test_without_group_and_other_delimiter(tmp_path):
    text = "a;b\n" + "".join(f"{i};{i * 0.5:.1f}\n" for i in range(1000))
    path = write_csv(tmp_path / "semi.csv", text)
    same(from_file(path, "b", None, ";"), tmp_path, chunk_size=128)


decimals = st.from_regex(r"-?[0-9]{1,9}(\.[0-9]{0,6})?|-?\.[0-9]{1,6}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(decimals, min_size=1, max_size=40))
def test_parsed_decimals_equal_python_floats(values):
    block = "".join(f"k{i % 3},{v}\n" for i, v in enumerate(values)).encode()
    parsed = parse_block(block, ",", 2, 1, 0)
    assert parsed is not None
    keys, codes, numbers = parsed
    expected = np.array([float(v) for v in values])
    assert np.array_equal(numbers, expected)
    assert np.array_equal(np.signbit(numbers), np.signbit(expected))
    assert [keys[c] for c in codes] == [f"k{i % 3}" for i in range(len(values))]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=30))
def test_unsure_blocks_are_refused_or_exact(fields):
    block = "".join(f"{f},1.5\n" for f in fields).encode("utf-8", "surrogatepass")
    try:
        parsed = parse_block(block, ",", 2, 1, 0)
    except UnicodeDecodeError:
        return
    if parsed is not None:
        keys, codes, _ = parsed
        assert [keys[c] for c in codes] == fields


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("ab\u00e9", max_size=20), min_size=1, max_size=30), st.booleans())
def test_keys_are_compared_in_full(keys, final_newline):
    """Keys that differ only late, or are long, or end the block: never mistaken for another."""
    text = "".join(f"{k};{i}\n" for i, k in enumerate(keys))
    parsed = parse_block(text.encode() if final_newline else text.encode()[:-1], ";", 2, 1, 0)
    assert parsed is not None
    found, codes, numbers = parsed
    assert [found[c] for c in codes] == keys
    assert len(set(found)) == len(found)
    assert np.array_equal(numbers, np.arange(len(keys), dtype=float))


def test_a_delimiter_beyond_ascii_takes_the_exact_path(tmp_path):
    text = "a\u00a7b\n" + "".join(f"{i}\u00a7{i * 0.5:.1f}\n" for i in range(300))
    path = write_csv(tmp_path / "section.csv", text)
    fast = same(from_file(path, "b", None, "\u00a7"), tmp_path, chunk_size=100)
    assert fast.details["fast_blocks"] == 0
