"""Hostile but fair CSV files: every reader, serial or in processes, gives one answer.

Each case is a file that once split the readers (a huge field, padded or exotic
numbers, NUL bytes in keys, a BOM inside the file, quarantined rows written
twice, an unterminated quote, colliding quarantine files, overflow, a huge
``chunk_size``) or an input that deserves a clear error instead of a traceback.
"""

from __future__ import annotations

import csv
import json

import pytest
from fuzz_csv import quarantined
from helpers import LAB_COMBINATIONS, label, run_all, write_csv

from lab.analytics import csvinput, from_file, parallel, readers, run
from lab.errors import InputError
from lab.outcome import agree

CHUNK_SIZES = (1, 2, None)


@pytest.fixture(autouse=True)
def tiny_ranges(monkeypatch):
    """Byte ranges of a few bytes, so that even a small file splits many ways in processes."""
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 8)


def every_reader(tmp_path, data, column="v", group_by=None, delimiter=None, sizes=CHUNK_SIZES):
    """Run a file through every reader and stats method, and ``bytes`` in processes; check they
    agree (answer, counts, quarantine file) and return the reference outcome."""
    workload = from_file(write_csv(tmp_path / "input.csv", data), column, group_by, delimiter)
    outcomes = run_all(workload, tmp_path / "q", sizes)
    for size in sizes:
        options = {} if size is None else {"chunk_size": size}
        folder = tmp_path / "q" / f"processes-{size}"
        outcomes[f"bytes-processes/{size}"] = run(
            workload, reader="bytes", stats="chan", executor="processes", quarantine_dir=folder, **options
        )
    reference = run(workload, quarantine_dir=tmp_path / "reference")
    for name, outcome in outcomes.items():
        assert agree(outcome.answer, reference.answer), name
        assert outcome.counts == reference.counts, name
        assert quarantined(outcome) == quarantined(reference), name
        json.dumps(outcome.answer, allow_nan=False)
    return reference


def counts(ok: int, bad: int) -> dict[str, int]:
    return {"rows_in": ok + bad, "rows_ok": ok, "rows_quarantined": bad}


# --- 1: a field over 131,072 characters ---------------------------------------------------------


def test_a_field_of_200_000_characters_is_read_by_every_reader(tmp_path):
    outcome = every_reader(tmp_path, b"a,b\n1," + b"x" * 200_000 + b"\n2,y\n", column="a", group_by="b")
    assert outcome.counts == counts(2, 0)
    assert outcome.answer["overall"]["mean"] == 1.5


def test_a_header_name_of_200_000_characters_is_read(tmp_path):
    outcome = every_reader(tmp_path, b"amount," + b"h" * 200_000 + b"\n1,2\n", column="amount")
    assert outcome.counts == counts(1, 0)


@pytest.mark.parametrize(
    ("reader", "executor"), [(r, "serial") for r in readers.READERS] + [("bytes", "processes")]
)
def test_a_field_over_the_limit_is_an_input_error_naming_its_line(tmp_path, monkeypatch, reader, executor):
    """Past :data:`FIELD_LIMIT` (made small here), every reader stops with the line of the record,
    counted from the start of the file in processes too."""
    monkeypatch.setattr(csvinput, "FIELD_LIMIT", 1000)
    monkeypatch.setattr(readers, "FIELD_LIMIT", 1000)
    rows = "".join(f"{i},k{i % 3}\n" for i in range(500))
    path = write_csv(tmp_path / "big.csv", "v,k\n" + rows + "1," + "z" * 2000 + "\n" + rows)
    stats = "chan" if readers.READERS[reader].kind == "blocks" else "welford"
    with pytest.raises(InputError, match=r"big.csv: line 502: field larger than field limit \(1000\)"):
        options = {"executor": executor} if executor != "serial" else {}
        run(from_file(path, "v", "k"), reader=reader, stats=stats, chunk_size=7, **options)


# --- 2, and which numbers count -------------------------------------------------------------------

#: Values and whether they count as numbers: ASCII decimals with spaces or tabs around them.
NUMBERS = [
    ("5", True),
    ("-5", True),
    ("+5", True),
    (".5", True),
    ("5.", True),
    ("1e5", True),
    ("-1.5E-3", True),
    (" 5 ", True),
    ("\t5\t", True),
    ("1_000", False),
    ("\u0661\u0662", False),  # Arabic-Indic digits
    ("\uff11\uff12", False),  # full-width digits
    ("\u20035", False),  # an em space before it
    ("\xa05", False),  # a no-break space
    ("\x1c5", False),
    ("5\x1f", False),
    ("\x0b5", False),
    ("\ufeff5", False),
    ("0x10", False),
    ("1,5", False),
    ("5 5", False),
]


@pytest.mark.parametrize(("text", "counts_as_number"), NUMBERS, ids=[repr(t) for t, _ in NUMBERS])
def test_which_numbers_count(tmp_path, text, counts_as_number):
    data = f'v;k\n1;a\n"{text}";b\n3;a\n'.encode()
    outcome = every_reader(tmp_path, data, group_by="k", delimiter=";", sizes=(1, None))
    assert outcome.counts == (counts(3, 0) if counts_as_number else counts(2, 1))
    if not counts_as_number:
        [(line, reason, _)] = quarantined(outcome)
        assert line == 3 and reason.startswith("v is not a number")


@pytest.mark.parametrize("text", ["\x1c5", "5\x1f", "\u20035", "\xa05"])
def test_padding_that_float_or_numpy_takes_is_refused_unquoted_too(tmp_path, text):
    outcome = every_reader(tmp_path, f"v\n1\n{text}\n2\n".encode(), sizes=(1, None))
    assert outcome.counts == counts(2, 1)


def test_non_finite_words_are_numbers_but_quarantined_as_not_finite(tmp_path):
    outcome = every_reader(tmp_path, b"v\n1\nINF\n-infinity\nnan\n1e999\n2\n")
    assert outcome.counts == counts(2, 4)
    assert {reason.split(":")[0] for _, reason, _ in quarantined(outcome)} == {"v is not finite"}


# --- 3: group keys that differ by NUL bytes ------------------------------------------------------


def test_group_keys_differing_by_trailing_nuls_stay_apart(tmp_path):
    outcome = every_reader(tmp_path, b"v,k\n1,k\x00\n2,k\n3,\x00\n4,\n", group_by="k")
    assert sorted(outcome.answer["groups"]) == ["", "\x00", "k", "k\x00"]


# --- 4: U+FEFF at the start of a block ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "ok"),
    [(b"v\n1\n\xef\xbb\xbf5\n", 1), (b"v\n111\n\xef\xbb\xbf5\n2222\n", 2)],
    ids=["after-one-line", "inside-the-file"],
)
def test_a_bom_inside_the_file_is_not_dropped(tmp_path, data, ok):
    outcome = every_reader(tmp_path, data)
    assert outcome.counts == counts(ok, 1)
    assert [line for line, _, _ in quarantined(outcome)] == [3]


def test_a_bom_at_the_start_of_the_file_is_dropped(tmp_path):
    assert every_reader(tmp_path, b"\xef\xbb\xbfv\n1\n2\n").counts == counts(2, 0)


# --- 5: processes write each quarantined record once ---------------------------------------------


def test_processes_quarantine_each_record_once_when_a_later_range_meets_a_quote(tmp_path):
    lines = [f"{'bad' if i % 100 == 0 else i},{'p' * 90}" for i in range(5000)]
    lines[4500] = 'bad,"q"'
    path = write_csv(tmp_path / "q.csv", "v,pad\n" + "\n".join(lines) + "\n")
    workload = from_file(path, "v", None)
    outcome = run(workload, reader="bytes", stats="chan", executor="processes", quarantine_dir=tmp_path)
    assert outcome.counts == counts(4950, 50)
    listed = quarantined(outcome)
    assert [line for line, _, _ in listed] == [i + 2 for i in range(0, 5000, 100)]
    assert outcome.details["reasons"] == {"v is not a number": 50}


# --- 6: an unterminated quote ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line"),
    [(b'v\n"1\n2\n', 2), (b'v\n"1\n2', 2), (b'v\n1\n"2\r\n3\r\n', 3), (b'v\n1\n2\n"', 4)],
    ids=["lf", "no-final-line-end", "crlf", "a-lone-quote"],
)
def test_a_quote_left_open_to_the_end_is_quarantined_at_its_line(tmp_path, data, line):
    outcome = every_reader(tmp_path, data)
    assert [n for n, _, _ in quarantined(outcome)] == [line]


# --- 7: one quarantine file per input --------------------------------------------------------------


def test_inputs_with_one_name_have_their_own_quarantine_files(tmp_path):
    inputs = [tmp_path / "x" / "data.csv", tmp_path / "y" / "data.csv", tmp_path / "y" / "data.tsv"]
    for i, path in enumerate(inputs):
        path.parent.mkdir(exist_ok=True)
        write_csv(path, f"v\n1\nbad{i}\n")
    files = [run(from_file(p, "v"), quarantine_dir=tmp_path / "q").details["quarantine_file"] for p in inputs]
    assert len(set(files)) == 3
    for i, (path, file) in enumerate(zip(inputs, files, strict=True)):
        assert path.name in file
        with open(file, newline="") as f:
            assert list(csv.reader(f))[1:] == [["3", f"v is not a number: 'bad{i}'", f"bad{i}"]]


# --- 8: overflow ---------------------------------------------------------------------------------


@pytest.mark.parametrize("quantiles", ["none", "exact", "ddsketch"])
@pytest.mark.parametrize("choices", LAB_COMBINATIONS, ids=label)
def test_overflowing_statistics_are_null_with_a_reason(tmp_path, choices, quantiles):
    path = write_csv(tmp_path / "o.csv", b"v\n-1e308\n1.7976931348623157e308\n")
    outcome = run(from_file(path, "v"), quarantine_dir=tmp_path, **{**choices, "quantiles": quantiles})
    overall = outcome.answer["overall"]
    assert (overall["count"], overall["min"], overall["max"]) == (2, -1e308, 1.7976931348623157e308)
    assert overall["variance"] is None and "variance" in overall["overflow"]
    if overall["mean"] is None:  # Welford's update overflows; the sum and Chan's merge do not
        assert "mean" in overall["overflow"]
    else:
        assert overall["mean"] == pytest.approx(3.9882e307, rel=1e-4)
    json.dumps({"answer": outcome.answer, "extras": outcome.extras}, allow_nan=False)


def test_a_finite_answer_has_no_overflow_key(tmp_path):
    outcome = every_reader(tmp_path, b"v\n1\n2\n")
    assert "overflow" not in outcome.answer["overall"]


# --- 9: a huge chunk_size --------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["chunked", "arrow", "bytes"])
def test_a_huge_chunk_size_is_capped(tmp_path, reader):
    path = write_csv(tmp_path / "c.csv", "v,k\n" + "".join(f"{i},k{i % 2}\n" for i in range(100)))
    outcome = run(from_file(path, "v", "k"), reader=reader, stats="chan", chunk_size=100_000_000_000)
    assert outcome.counts == counts(100, 0)
    assert outcome.answer["overall"]["mean"] == 49.5


# --- whitespace-only lines, blank lines, raw text -------------------------------------------------


def test_whitespace_only_lines_are_records_and_blank_lines_are_not(tmp_path):
    data = b"v,k\n1,a\n\n   \n2,b\n\t\n\r\n3,a\n \r\n"
    outcome = every_reader(tmp_path, data, group_by="k")
    assert outcome.counts == counts(3, 3)
    assert [(n, why) for n, why, _ in quarantined(outcome)] == [
        (4, "expected 2 fields, got 1"),
        (6, "expected 2 fields, got 1"),
        (9, "expected 2 fields, got 1"),
    ]


def test_the_raw_column_is_the_parsed_record_written_back(tmp_path):
    """As the README says: the fields as parsed, with the input's delimiter, quoted only where
    the csv module must quote; bytes that are not UTF-8 kept as they were."""
    data = b'v\tk\n1\tx\n-1e999\t"b"\n"2\tx"\tq\nz\t\xff\n'
    outcome = every_reader(tmp_path, data, group_by="k", delimiter="\t")
    assert [(n, raw) for n, _, raw in quarantined(outcome)] == [
        (3, "-1e999\tb"),
        (4, '"2\tx"\tq'),
        (5, "z\t\udcff"),
    ]


# --- clear errors ------------------------------------------------------------------------------------


def test_a_wrong_sniff_is_corrected_by_the_column_asked_for(tmp_path):
    """Commas inside the fields make the sniffer guess ``,``; the header holds the column with ``|``."""
    data = "amount|note|f3\n1|a,b,c|x\n2|d,e,f|y\n3|g,h,i|z\n"
    outcome = every_reader(tmp_path, data, column="amount", group_by="f3")
    assert outcome.answer["overall"]["mean"] == 2.0


@pytest.mark.parametrize(("delimiter", "how"), [(None, "sniffed"), (";", "given")])
def test_a_missing_column_names_the_delimiter_assumed(tmp_path, delimiter, how):
    path = write_csv(tmp_path / "d.csv", "amount,note\n1,a\n2,b\n")
    with pytest.raises(InputError) as info:
        run(from_file(path, "total", delimiter=delimiter))
    expected = "," if delimiter is None else delimiter
    assert f"when read with the delimiter {expected!r} ({how})" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03amount\n",
        b"PK\x03\x04\x14\x00\x06\x00amount,b\n1,2\n",
        "amount\n1\n".encode("utf-16"),
    ],
    ids=["png", "gzip", "zip", "utf-16"],
)
def test_a_binary_file_is_a_clear_error_without_its_bytes(tmp_path, data):
    path = write_csv(tmp_path / "b.csv", data)
    with pytest.raises(InputError) as info:
        run(from_file(path, "amount"))
    message = str(info.value)
    assert "does not look like CSV text" in message
    assert message.isprintable() and "IHDR" not in message and "PK" not in message


def test_a_header_in_another_8_bit_encoding_is_read(tmp_path):
    """Latin-1 is not UTF-8, but it is text: the header is read, rows with such bytes quarantined."""
    outcome = every_reader(tmp_path, "Größe,amount\nx,1\nü,2\n".encode("latin-1"), column="amount")
    assert outcome.counts == counts(1, 1)
    assert {why for _, why, _ in quarantined(outcome)} == {"bytes that are not UTF-8"}


def test_long_and_odd_header_names_are_shortened_in_the_message(tmp_path):
    path = write_csv(tmp_path / "h.csv", "a" * 500 + ",b\x7fc\n1,2\n")
    with pytest.raises(InputError) as info:
        run(from_file(path, "amount"))
    message = str(info.value)
    assert len(message) < 300 and message.isprintable()


# --- rows_in against an independent count ---------------------------------------------------------


def test_rows_in_is_the_number_of_records_the_csv_module_reads(tmp_path):
    data = 'v,k\n1,a\n\n"2\n",b\nx,a\n" 3 ",\n4,a,extra\n\r\n5,"a""b"\n   \n'
    reference = every_reader(tmp_path, data, group_by="k")
    with open(tmp_path / "input.csv", newline="") as f:
        records = [row for row in csv.reader(f) if row][1:]
    assert reference.counts["rows_in"] == len(records) == 7
    assert reference.counts["rows_ok"] + reference.counts["rows_quarantined"] == len(records)
