"""Fuzzing the analytics readers with hostile CSV files, checked against an independent reading.

Each file comes from a seeded generator: a delimiter of ``,`` ``;`` tab ``|``, an optional
BOM, LF, CRLF or lone CR line ends, padded, signed, exotic and non-finite numbers, quoted
fields holding delimiters, quotes and line breaks, ragged rows, blank and whitespace-only
lines, bytes that are not UTF-8, NUL bytes, a BOM inside the file, long fields, and a quote
left open to the end. Every reader reads it (``bytes`` in processes too, on every
``processes_every``-th file), with a random ``chunk_size`` and stats method, and each run must
give, without a traceback:

- ``rows_in``, ``rows_ok`` and ``rows_quarantined`` equal to an independent reading with the
  csv module and the number rule written out as a regular expression;
- the same count, min, max and groups as that reading, and its mean within 1e-9 of the
  largest magnitude (readers sum in different orders);
- a quarantine file with one row per quarantined record, each at the line it starts on;
- an answer that JSON holds (no infinity, no NaN).

The test suite runs 1,000 files; ``python -m tests.fuzz_csv --files 100000`` runs more.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lab.analytics import from_file, parallel, run

__all__ = ["make_file", "expect", "check_file", "quarantined", "fuzz", "Report", "main"]

DELIMITERS = (",", ";", "\t", "|")
LINE_ENDS = ("\n", "\n", "\n", "\r\n", "\r\n", "\r")
NUMBER = re.compile(r"[ \t]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t]*")
#: Values no reader may count: exotic digits, odd padding, words, overflow.
NOT_NUMBERS = (
    "1_000",
    "\u0661\u0662",
    "\uff11",
    "\xa05",
    "\u20035",
    "\x1c5",
    "5\x1f",
    "\x0b5",
    "\ufeff5",
    "0x10",
    "inf",
    "-Infinity",
    "NaN",
    "1e999",
    "",
    "  ",
    "abc",
    "5 5",
    "--5",
    "1e",
    ".",
)
KEYS = ("a", "b", "", "k\x00", "k", "\x00", "é", "a b", " a", "a,b", 'q"q', "x\ny", "東京", "\ufeffk")
#: Every so many files, ``bytes`` also reads the file in a pool of worker processes.
PROCESSES_EVERY = 10
ROW_STATS = ("welford", "two-pass", "naive", "stdlib")
BLOCK_STATS = ("chan", "two-pass", "naive")
READERS = ("list", "generator", "chunked", "arrow", "bytes")


def _number(rng: random.Random) -> str:
    """A number by the rule, in one of its many spellings."""
    kind = rng.random()
    if kind < 0.4:
        text = str(rng.randint(-10_000, 10_000))
    elif kind < 0.7:
        text = f"{rng.uniform(-1000, 1000):.{rng.randint(0, 6)}f}"
    elif kind < 0.8:
        text = f"{rng.uniform(-1, 1):.3e}".replace("e", rng.choice("eE"))
    elif kind < 0.85:
        text = f"{rng.choice('+-')}.{rng.randint(0, 999)}"
    elif kind < 0.9:
        text = f"{rng.randint(0, 99)}."
    elif kind < 0.95:
        text = repr(rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300))
    else:
        text = str(rng.randint(-(10**20), 10**20))
    if rng.random() < 0.1:
        text = rng.choice((" ", "\t", "  ")) + text + rng.choice(("", " ", "\t"))
    return text


def _field(rng: random.Random, delimiter: str, value: str) -> str:
    """``value`` as it is written in the file: quoted when it must be, or sometimes anyway."""
    special = any(c in value for c in (delimiter, '"', "\n", "\r"))
    if special or rng.random() < 0.05:
        return '"' + value.replace('"', '""') + '"'
    return value


def _record(rng: random.Random, delimiter: str, width: int, vi: int, ki: int | None) -> str:
    """One data line (a record, or something hostile where a record could be)."""
    roll = rng.random()
    if roll < 0.03:
        return ""  # a blank line
    if roll < 0.05:
        return rng.choice((" ", "\t", "  \t "))
    value = _number(rng) if rng.random() < 0.8 else rng.choice(NOT_NUMBERS)
    fields = [rng.choice(("p", "", "pad", "x" * rng.randint(0, 300))) for _ in range(width)]
    fields[vi] = value
    if ki is not None:
        fields[ki] = rng.choice(KEYS)
    if rng.random() < 0.05:
        fields.append("extra") if rng.random() < 0.5 else fields.pop()
    return delimiter.join(_field(rng, delimiter, f) for f in fields)


def make_file(seed: int) -> tuple[bytes, str, bool, int]:
    """A hostile CSV file: ``(bytes, delimiter, grouped, chunk_size)``, the same for one seed."""
    rng = random.Random(seed)
    delimiter = rng.choice(DELIMITERS)
    width = rng.randint(1, 4)
    vi = rng.randrange(width)
    ki = rng.choice([i for i in range(width) if i != vi] or [None])
    names = [f"p{i}" for i in range(width)]
    names[vi] = "v"
    if ki is not None:
        names[ki] = "k"
    end = rng.choice(LINE_ENDS)
    header = delimiter.join(_field(rng, delimiter, n) if rng.random() < 0.9 else f'"{n}"' for n in names)
    lines = [_record(rng, delimiter, width, vi, ki) for _ in range(rng.randint(0, 40))]
    text = end.join([header, *lines]) + (end if rng.random() < 0.8 else "")
    if rng.random() < 0.03:  # a record whose quote is left open to the end, on a line of its own
        text += ("" if text.endswith(end) else end) + '"' + _number(rng) + end + _number(rng) + end
    data = text.encode("utf-8")
    data = _damage(rng, data, len(header.encode("utf-8")) + len(end))
    if rng.random() < 0.2:
        data = b"\xef\xbb\xbf" + data
    return data, delimiter, ki is not None, rng.choice((1, 2, 3, 5, 8, 13, 64, 1000))


def _damage(rng: random.Random, data: bytes, body: int) -> bytes:
    """Bytes that are not UTF-8, NULs, or a BOM put somewhere after the header."""
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        if len(data) <= body:
            break
        at = rng.randrange(body, len(data) + 1)
        junk = rng.choice((b"\xff", b"\xc3", b"\x00", b"\xef\xbb\xbf", b"\xe2\x82"))
        data = data[:at] + junk + data[at:]
    return data


@dataclass
class Expected:
    """What an independent reading finds: counts, the bad records' lines, the statistics."""

    rows_in: int = 0
    bad_lines: list[int] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rows_ok(self) -> int:
        return self.rows_in - len(self.bad_lines)


def expect(data: bytes, delimiter: str, grouped: bool) -> Expected:
    """Read ``data`` with the csv module alone, and the number rule as a regular expression."""
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    csv.field_size_limit(1 << 26)
    header = next(row for row in reader if row)
    names = [h.strip() for h in header]
    vi, ki = names.index("v"), names.index("k") if grouped else None
    out = Expected()
    last = reader.line_num
    for row in reader:
        start, last = last + 1, reader.line_num
        if not row:
            continue
        out.rows_in += 1
        value = row[vi] if len(row) == len(names) else ""
        broken = any(0xDC80 <= ord(c) <= 0xDCFF for f in row for c in f)
        if broken or len(row) != len(names) or not NUMBER.fullmatch(value) or math.isinf(float(value)):
            out.bad_lines.append(start)
            continue
        out.values.setdefault(row[ki] if grouped else "", []).append(float(value))
    return out


def _same_stats(got: dict, values: list[float], where: str) -> None:
    scale = max(abs(min(values)), abs(max(values)))
    assert got["count"] == len(values), where
    assert (got["min"], got["max"]) == (min(values), max(values)), where
    mean = math.fsum(values) / len(values)
    if got["mean"] is not None or "mean" not in got.get("overflow", ()):
        assert abs(got["mean"] - mean) <= 1e-9 * scale, (where, got["mean"], mean)


def quarantined(outcome) -> list[tuple[int, str, str]]:
    """The rows of an outcome's quarantine file: ``(line, reason, raw)``."""
    path = outcome.details.get("quarantine_file")
    if path is None:
        return []
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line", "reason", "raw"]
    return [(int(line), reason, raw) for line, reason, raw in rows[1:]]


def check_file(seed: int, folder: Path, processes: bool) -> int:
    """Generate file ``seed`` and check every reader on it; return the runs made."""
    data, delimiter, grouped, chunk = make_file(seed)
    path = folder / f"fuzz-{seed}.csv"
    path.write_bytes(data)
    expected = expect(data, delimiter, grouped)
    workload = from_file(path, "v", "k" if grouped else None, delimiter)
    rng = random.Random(-seed - 1)
    runs = [
        (r, rng.choice(ROW_STATS if r in ("list", "generator") else BLOCK_STATS), "serial") for r in READERS
    ]
    if processes:
        runs.append(("bytes", rng.choice(BLOCK_STATS), "processes"))
    for reader, stats, executor in runs:
        where = f"seed {seed}: {reader}-{stats}-{executor}, chunk_size {chunk}"
        options = {"executor": executor} if executor != "serial" else {}
        outcome = run(
            workload, reader=reader, stats=stats, chunk_size=chunk, quarantine_dir=folder, **options
        )
        json.dumps(outcome.answer, allow_nan=False)
        counts = {"rows_in": expected.rows_in, "rows_ok": expected.rows_ok}
        assert outcome.counts == counts | {"rows_quarantined": len(expected.bad_lines)}, where
        assert [line for line, _, _ in quarantined(outcome)] == expected.bad_lines, where
        every = [x for xs in expected.values.values() for x in xs]
        if every:
            _same_stats(outcome.answer["overall"], every, where)
        else:
            assert outcome.answer["overall"]["count"] == 0, where
        groups = outcome.answer["groups"]
        assert sorted(groups) == (sorted(expected.values) if grouped else []), where
        for key, values in expected.values.items() if grouped else ():
            _same_stats(groups[key], values, f"{where}, group {key!r}")
    for made in folder.glob(f"{path.name}.*"):  # its quarantine files
        made.unlink()
    path.unlink()
    return len(runs)


def fuzz(
    files: int, first: int = 0, processes_every: int = PROCESSES_EVERY, keep_going: bool = False
) -> Report:
    """Check ``files`` generated files from seed ``first`` on.

    The first failure raises, unless ``keep_going``: then each is noted in the report.
    """
    report = Report()
    small = parallel.MIN_RANGE_BYTES
    parallel.MIN_RANGE_BYTES = 16  # even a small file splits into several byte ranges
    try:
        with tempfile.TemporaryDirectory(prefix="lab-fuzz-") as tmp:
            for seed in range(first, first + files):
                try:
                    report.runs += check_file(seed, Path(tmp), seed % processes_every == 0)
                except Exception as exc:
                    if not keep_going:
                        raise
                    report.failures.append(f"seed {seed}: {type(exc).__name__}: {exc}"[:500])
                report.files += 1
    finally:
        parallel.MIN_RANGE_BYTES = small
    return report


@dataclass
class Report:
    """Files checked, runs made, and what failed (with each file's seed)."""

    files: int = 0
    runs: int = 0
    failures: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.fuzz_csv --files N [--first SEED]``: check N files, say how it went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--first", type=int, default=0, help="the seed of the first file")
    parser.add_argument("--processes-every", type=int, default=PROCESSES_EVERY)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = fuzz(args.files, args.first, args.processes_every, keep_going=True)
    elapsed = time.perf_counter() - started
    for failure in report.failures[:50]:
        print(failure)
    verdict = f"{len(report.failures)} failed" if report.failures else "all agree"
    print(f"{report.files} files from seed {args.first}, {report.runs} runs: {verdict} ({elapsed:.0f} s)")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
