"""Users' own CSV files, with every legal oddity, through ``from_file`` and ``run()``.

Each file is small and written by hand, so its answer is computed by hand too.
Every reader with every stats method it pairs with (block readers with blocks
of one and two lines, so every record boundary is a block boundary) must give
that answer, the same counts, and the same quarantine file.
"""

from __future__ import annotations

import csv
import io

import pytest
from helpers import PEER_ENGINES, run_all, write_csv

from lab.analytics import from_file, run
from lab.errors import InputError
from lab.outcome import agree

CHUNK_SIZES = (1, 2, None)


def S(count, mean=None, variance=None, lo=None, hi=None):
    """A summary by hand: the stddev follows from the variance."""
    stddev = None if variance is None else variance**0.5
    return {"count": count, "mean": mean, "variance": variance, "stddev": stddev, "min": lo, "max": hi}


#: a,1,x  b,2,y  c,3,x: the answer most files below are written to give.
BASE = {
    "overall": S(3, 2.0, 1.0, 1.0, 3.0),
    "groups": {"x": S(2, 2.0, 2.0, 1.0, 3.0), "y": S(1, 2.0, None, 2.0, 2.0)},
}
BASE_ROWS = "a,1,x\nb,2,y\nc,3,x\n"
HEADER = "name,amount,city\n"


def case(name, data, expected=BASE, bad=(), column="amount", group_by="city", delimiter=None, peers=False):
    """One file: its bytes, the expected answer, and the expected quarantine ``(line, reason)`` list."""
    return pytest.param(data, expected, list(bad), column, group_by, delimiter, peers, id=name)


CASES = [
    case("plain", HEADER + BASE_ROWS, peers=True),
    case("utf8-bom", b"\xef\xbb\xbf" + (HEADER + BASE_ROWS).encode(), peers=True),
    case("crlf", (HEADER + BASE_ROWS).replace("\n", "\r\n"), peers=True),
    case("no-final-newline", HEADER + BASE_ROWS.rstrip("\n"), peers=True),
    case("crlf-no-final-newline", (HEADER + BASE_ROWS).replace("\n", "\r\n").rstrip("\r\n"), peers=True),
    case(
        "quoted-fields",
        HEADER
        + '"a,b",1,x\n'  # the delimiter inside quotes
        + '"say ""hi""",2,y\n'  # doubled quotes
        + '"multi\nline",3,x\n'  # a newline inside quotes: lines 4 and 5
        + "d,oops,x\n"  # line 6
        + 'e,4,"y"\n',
        {
            "overall": S(4, 2.5, 5 / 3, 1.0, 4.0),
            "groups": {"x": S(2, 2.0, 2.0, 1.0, 3.0), "y": S(2, 3.0, 2.0, 2.0, 4.0)},
        },
        bad=[(6, "amount is not a number: 'oops'")],
    ),
    case(
        "quoted-fields-crlf",
        'name,amount,city\r\n"two\r\nlines",1,x\r\nc,bad,y\r\n"3\r\n",oops,x\r\nd,2,y\r\ne,3,x\r\n',
        BASE,
        bad=[(4, "amount is not a number: 'bad'"), (5, "amount is not a number: 'oops'")],
    ),
    case(
        "quoted-values-and-header",
        '"name","amount","city"\n"a","1","x"\nb,"2",y\n"c",3,"x"\n',
        peers=True,
    ),
    case(
        "quoted-header-names", '"name","total amount","city"\n' + BASE_ROWS, column="total amount", peers=True
    ),
    case("header-names-padded", " name , amount , city \n" + BASE_ROWS),
    case(
        "ragged-rows",
        HEADER + "a,1,x\nb,2\nc,3,x,extra\nd,2,y\ne,3,x\n,\n",
        bad=[
            (3, "expected 3 fields, got 2"),
            (4, "expected 3 fields, got 4"),
            (7, "expected 3 fields, got 2"),
        ],
    ),
    case(
        "blank-lines",
        HEADER + "\na,1,x\n\nb,2,y\n\n\nd,zz,y\nc,3,x\n\n",
        bad=[(8, "amount is not a number: 'zz'")],
    ),
    case("blank-lines-crlf", "name,amount,city\r\n\r\na,1,x\r\n\r\nb,2,y\r\nc,3,x\r\n\r\n"),
    case(
        "blank-lines-before-header",
        "\n\n" + HEADER + "a,1,x\nb,no,y\nb,2,y\nc,3,x\n",
        bad=[(5, "amount is not a number: 'no'")],
    ),
    case(
        "semicolon-sniffed",
        "name;amount;city\na;1.5;x\nb;2.5;y\nc;3.5;x\n",
        {
            "overall": S(3, 2.5, 1.0, 1.5, 3.5),
            "groups": {"x": S(2, 2.5, 2.0, 1.5, 3.5), "y": S(1, 2.5, None, 2.5, 2.5)},
        },
        peers=True,
    ),
    case(
        "semicolon-with-commas-in-text",
        "name;amount;city\nSmith, J;1;x\nDoe, A;2;y\nRoe, B;3;x\n",
        peers=True,
    ),
    case("tab-sniffed", (HEADER + BASE_ROWS).replace(",", "\t"), peers=True),
    case("pipe-sniffed", (HEADER + BASE_ROWS).replace(",", "|"), peers=True),
    case("colon-given", (HEADER + BASE_ROWS).replace(",", ":"), delimiter=":", peers=True),
    case("tab-given", (HEADER + BASE_ROWS).replace(",", "\t"), delimiter="\t", peers=True),
    case(
        "non-finite-values",
        HEADER + "a,1,x\nb,nan,y\nc,inf,x\nd,-Infinity,y\ne,NaN,x\nf,3,x\ng,2,y\n",
        bad=[
            (3, "amount is not finite: 'nan'"),
            (4, "amount is not finite: 'inf'"),
            (5, "amount is not finite: '-Infinity'"),
            (6, "amount is not finite: 'NaN'"),
        ],
    ),
    case(
        "missing-and-non-numeric",
        HEADER + "a,1,x\nb,,y\nc,  ,x\nd,N/A,y\nb,2,y\nc,3,x\n",
        bad=[(3, "missing amount"), (4, "missing amount"), (5, "amount is not a number: 'N/A'")],
    ),
    case("whitespace-around-numbers", HEADER + "a, 1 ,x\nb,  2,y\nc,3  ,x\n", peers=True),
    case("signs-exponents-decimals", HEADER + "a,+1,x\nb,2e0,y\nc,3.,x\n", peers=True),
    case(
        "non-ascii-groups",
        "name,amount,city\na,1,Zürich\nb,2,東京\nc,3,Zürich\nd,4,São Paulo\n",
        {
            "overall": S(4, 2.5, 5 / 3, 1.0, 4.0),
            "groups": {
                "Zürich": S(2, 2.0, 2.0, 1.0, 3.0),
                "東京": S(1, 2.0, None, 2.0, 2.0),
                "São Paulo": S(1, 4.0, None, 4.0, 4.0),
            },
        },
        peers=True,
    ),
    case(
        "empty-group-values",  # an empty field, quoted or not, is the empty group
        HEADER + 'a,1,\nb,2,y\nc,3,""\nd,4,x\n',
        {
            "overall": S(4, 2.5, 5 / 3, 1.0, 4.0),
            "groups": {
                "": S(2, 2.0, 2.0, 1.0, 3.0),
                "y": S(1, 2.0, None, 2.0, 2.0),
                "x": S(1, 4.0, None, 4.0, 4.0),
            },
        },
        peers=True,
    ),
    case(
        "no-group-by",
        HEADER + BASE_ROWS,
        {"overall": BASE["overall"], "groups": {}},
        group_by=None,
        peers=True,
    ),
    case(
        "single-column",
        "amount\n1\n2\n3\n",
        {"overall": BASE["overall"], "groups": {}},
        group_by=None,
        peers=True,
    ),
    case("header-only", HEADER, {"overall": S(0), "groups": {}}, peers=True),
    case("header-only-semicolons", "name;amount;city\n", {"overall": S(0), "groups": {}}, peers=True),
    case("header-only-no-newline", HEADER.rstrip("\n"), {"overall": S(0), "groups": {}}, peers=True),
    case(
        "every-row-bad",
        HEADER + "a,x,x\nb,y,y\n",
        {"overall": S(0), "groups": {}},
        bad=[(2, "amount is not a number: 'x'"), (3, "amount is not a number: 'y'")],
    ),
    case(
        "bytes-not-utf8",
        HEADER.encode() + b"a,1,x\nb,2,\xff\xfey\nb,2,y\nc,3,x\n",
        bad=[(3, "bytes that are not UTF-8")],
    ),
    case("cr-line-ends", (HEADER + BASE_ROWS).replace("\n", "\r")),
    case(
        "cr-line-ends-bad-row",
        "name,amount,city\ra,1,x\rb,oops,y\rb,2,y\rc,3,x",
        bad=[(3, "amount is not a number: 'oops'")],
    ),
    case(
        "lone-cr-in-lf-file",  # the csv module ends a line at a lone CR too
        HEADER + "a,1,x\nb,2,y\rq,zz,x\nc,3,x\nd,bad,y\n",
        bad=[(4, "amount is not a number: 'zz'"), (6, "amount is not a number: 'bad'")],
    ),
    case(
        "spreadsheet-export",  # BOM, quoted header, CRLF, blank line, no final line end
        b'\xef\xbb\xbf"name","amount","city"\r\na,1,x\r\n\r\nb,2,y\r\n"c",3,x',
    ),
]


def quarantined(outcome):
    path = outcome.details.get("quarantine_file")
    if path is None:
        return []
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return [(int(line), reason, raw) for line, reason, raw in list(csv.reader(f))[1:]]


@pytest.mark.parametrize(("data", "expected", "bad", "column", "group_by", "delimiter", "peers"), CASES)
def test_user_file(tmp_path, data, expected, bad, column, group_by, delimiter, peers):
    path = write_csv(tmp_path / "input.csv", data)
    workload = from_file(path, column, group_by, delimiter)
    outcomes = run_all(workload, tmp_path / "quarantine", CHUNK_SIZES)
    reference = run(workload, quarantine_dir=tmp_path / "reference")

    answer = {"overall": reference.answer["overall"], "groups": reference.answer["groups"]}
    assert agree(answer, expected, rel=1e-12), answer
    assert (reference.answer["column"], reference.answer["group_by"]) == (column, group_by)
    valid = expected["overall"]["count"]
    assert reference.counts == {"rows_in": valid + len(bad), "rows_ok": valid, "rows_quarantined": len(bad)}
    assert [(n, why) for n, why, _ in quarantined(reference)] == bad

    for name, outcome in outcomes.items():
        assert agree(outcome.answer, reference.answer), name
        assert outcome.fingerprint == reference.fingerprint, name
        assert outcome.counts == reference.counts, name
        assert quarantined(outcome) == quarantined(reference), name

    if peers:
        for engine in PEER_ENGINES:
            peer = run(workload, engine=engine)
            assert agree(peer.answer, reference.answer), engine
            assert peer.fingerprint == reference.fingerprint, engine


def test_line_numbers_point_at_the_bad_record(tmp_path):
    """The quarantine's line is where the record starts in the file, after multi-line records."""
    lines = [
        "name,amount,city",
        '"first',
        'record",1,x',
        "bad,one,x",
        '"multi',
        "line",
        'bad",two,y',
        "ok,2,y",
        '"x",three,"z',
        'z"',
    ]
    path = write_csv(tmp_path / "lines.csv", "\n".join(lines) + "\n")
    for name, outcome in run_all(from_file(path, "amount", "city"), tmp_path, CHUNK_SIZES).items():
        got = [(n, raw) for n, _, raw in quarantined(outcome)]
        assert got == [(4, "bad,one,x"), (5, '"multi\nline\nbad",two,y'), (9, 'x,three,"z\nz"')], name
        for n, raw in got:  # the record read from that line on is the one quarantined
            from_line = io.StringIO("\n".join(lines[n - 1 :]) + "\n", newline="")
            assert next(csv.reader(from_line)) == next(csv.reader(io.StringIO(raw, newline=""))), name


def test_bad_bytes_survive_in_the_quarantine_file(tmp_path):
    raw_line = b"b,2,\xff\xfey"
    path = write_csv(tmp_path / "bytes.csv", HEADER.encode() + b"a,1,x\n" + raw_line + b"\nc,3,x\n")
    for name, outcome in run_all(from_file(path, "amount", "city"), tmp_path, CHUNK_SIZES).items():
        data = open(outcome.details["quarantine_file"], "rb").read()
        assert raw_line in data, name


# --- inputs that cannot be read ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ["lab", *PEER_ENGINES])
def test_missing_file(tmp_path, engine):
    with pytest.raises(InputError, match="no such file"):
        run(from_file(tmp_path / "nope.csv", "amount"), engine=engine)


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        run(from_file(tmp_path, "amount"))


@pytest.mark.parametrize(
    "data",
    [b"", b"\xef\xbb\xbf", b"\n\n", b"\r\n \t\r\n"],
    ids=["zero-bytes", "bom-only", "blank-lines", "whitespace"],
)
@pytest.mark.parametrize("engine", ["lab", *PEER_ENGINES])
def test_empty_file(tmp_path, data, engine):
    path = write_csv(tmp_path / "empty.csv", data)
    with pytest.raises(InputError, match="empty"):
        run(from_file(path, "amount"), engine=engine)


@pytest.mark.parametrize("engine", ["lab", *PEER_ENGINES])
def test_header_without_the_column(tmp_path, engine):
    path = write_csv(tmp_path / "cols.csv", "name,total,city\na,1,x\n")
    with pytest.raises(InputError) as info:
        run(from_file(path, "amount", "city"), engine=engine)
    message = str(info.value)
    assert "'amount'" in message and "name, total, city" in message
    with pytest.raises(InputError, match="no column 'region'.*name, total, city"):
        run(from_file(path, "total", "region"), engine=engine)


def test_delimiter_not_sniffed_names_the_columns_it_saw(tmp_path):
    """A colon-separated file read without --delimiter: the message shows the one column found."""
    path = write_csv(tmp_path / "colon.csv", (HEADER + BASE_ROWS).replace(",", ":"))
    with pytest.raises(InputError, match="name:amount:city"):
        run(from_file(path, "amount", "city"))


def test_delimiter_must_be_one_character(tmp_path):
    path = write_csv(tmp_path / "d.csv", HEADER + BASE_ROWS)
    with pytest.raises(InputError, match="one character"):
        run(from_file(path, "amount", "city", delimiter="::"))


def test_line_of_a_quote_left_open_to_the_end(tmp_path):
    path = write_csv(tmp_path / "open.csv", HEADER + 'a,1,x\nb,"2,y\nc,3,x\n')
    outcome = run(from_file(path, "amount", "city"), quarantine_dir=tmp_path)
    assert [n for n, _, _ in quarantined(outcome)] == [3]
