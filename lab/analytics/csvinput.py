"""Reading a user's CSV exactly: header, delimiter, validation and quarantine.

The exact path is Python's :mod:`csv` module, which handles every legal oddity
(BOM, CRLF, quoted delimiters and newlines). A record is *valid* when it has as
many fields as the header, its value parses as a finite float, and all its bytes
are UTF-8. Blank lines are not records. Everything else is quarantined with the
line it starts on and the reason.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from lab.errors import InputError
from lab.quarantine import Quarantine

__all__ = [
    "CsvInput",
    "Table",
    "Tally",
    "inspect",
    "open_text",
    "as_text",
    "data_lines",
    "exact_rows",
    "reason",
]

Opener = Callable[[], BinaryIO]

ENCODING = "utf-8-sig"
ERRORS = "lab-flag-undecodable"

#: How many undecodable byte runs have been met; readers compare it before and after.
DECODE_ERRORS = [0]


def _flag_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Like ``surrogateescape`` (the bytes survive), but counts each use."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    DECODE_ERRORS[0] += 1
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(ERRORS, _flag_undecodable)


@dataclass(frozen=True)
class CsvInput:
    """What to read: a CSV file, the numeric column, and the optional column to group by.

    ``opener``, when given, returns a fresh binary stream of the CSV each time it is
    called (a generator's bytes, never on disk); ``path`` is then only its name.
    """

    path: Path
    column: str = "amount"
    group_by: str | None = "category"
    delimiter: str | None = None
    opener: Opener | None = None


@dataclass
class Tally:
    """Records read from an input: valid ones and quarantined ones."""

    ok: int = 0
    bad: int = 0

    @property
    def rows_in(self) -> int:
        return self.ok + self.bad


@dataclass(frozen=True)
class Table:
    """A CSV file's layout, read from its header."""

    path: Path
    column: str
    group_by: str | None
    delimiter: str
    header: tuple[str, ...]
    value_index: int
    key_index: int | None
    header_lines: int
    has_bom: bool
    opener: Opener | None = None

    @property
    def width(self) -> int:
        return len(self.header)

    def open(self) -> BinaryIO:
        """A new binary stream of the whole input, header included."""
        return open_binary(self.path, self.opener)


def open_binary(path: Path, opener: Opener | None = None) -> BinaryIO:
    """``opener()`` when given, else ``path`` opened for reading bytes."""
    return opener() if opener is not None else open(path, "rb")  # noqa: SIM115 - caller closes


def open_text(
    path: Path, wrap: Callable[[BinaryIO], BinaryIO] | None = None, opener: Opener | None = None
) -> TextIO:
    """Open ``path`` for the csv module: BOM dropped, undecodable bytes kept and counted."""
    raw = open_binary(path, opener)
    return as_text(raw if wrap is None else wrap(raw))


def as_text(raw: BinaryIO) -> TextIO:
    """``raw`` as text for the csv module: BOM dropped, undecodable bytes kept and counted."""
    return io.TextIOWrapper(raw, encoding=ENCODING, errors=ERRORS, newline="")


def inspect(spec: CsvInput) -> Table:
    """Read the header of ``spec.path``; raise :class:`InputError` on anything unusable."""
    path = Path(spec.path)
    if spec.opener is None and not path.exists():
        raise InputError(f"no such file: {path}")
    if spec.opener is None and path.is_dir():
        raise InputError(f"{path} is a folder, not a CSV file")
    with open_binary(path, spec.opener) as fb:
        head = fb.read(65536)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InputError(f"{path} is empty: a CSV file needs a header line")
    has_bom = head.startswith(codecs.BOM_UTF8)
    delimiter = spec.delimiter or _sniff(head.decode(ENCODING, "replace"))
    if len(delimiter) != 1:
        raise InputError(f"the delimiter must be one character, not {delimiter!r}")
    with open_text(path, opener=spec.opener) as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next((row for row in reader if row), None)
        header_lines = reader.line_num
    if not header:
        raise InputError(f"{path} is empty: a CSV file needs a header line")
    header = [h.strip() for h in header]
    value_index = _column(path, header, spec.column)
    key_index = None if spec.group_by is None else _column(path, header, spec.group_by)
    return Table(
        path,
        spec.column,
        spec.group_by,
        delimiter,
        tuple(header),
        value_index,
        key_index,
        header_lines,
        has_bom,
        spec.opener,
    )


def _column(path: Path, header: list[str], name: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise InputError(f"{path} has no column {name!r} (its columns: {', '.join(header)})") from None


def _sniff(sample: str) -> str:
    lines = sample.splitlines()[:50]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _newlines(fields: list[str]) -> int:
    """How many line breaks a record holds inside its quoted fields."""
    return sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in fields)


def reason(row: list[str], table: Table, dirty: bool) -> str | None:
    """Why ``row`` is invalid, or ``None`` when it is valid."""
    if dirty and any(not f.isascii() and _undecodable(f) for f in row):
        return "bytes that are not UTF-8"
    if len(row) != table.width:
        return f"expected {table.width} fields, got {len(row)}"
    text = row[table.value_index]
    if not text.strip():
        return f"missing {table.column}"
    try:
        x = float(text)
    except ValueError:
        return f"{table.column} is not a number: {text[:40]!r}"
    if x - x != 0.0:
        return f"{table.column} is not finite: {text[:40]!r}"
    return None


def _undecodable(field: str) -> bool:
    try:
        field.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def exact_rows(
    f: Iterable[str],
    table: Table,
    quarantine: Quarantine | None,
    first_line: int,
    tally: Tally,
    seen: int,
) -> Iterator[tuple[str, float]]:
    """Yield ``(key, value)`` for each valid record of ``f``; quarantine the others.

    ``f`` holds data lines only (no header), starting at line ``first_line``;
    ``tally`` is increased by the valid and the bad records met. ``seen`` is
    :data:`DECODE_ERRORS` as it was before any of ``f`` was decoded.
    """
    reader = csv.reader(f, delimiter=table.delimiter)
    width, vi, ki = table.width, table.value_index, table.key_index
    grouped = ki is not None
    flags = DECODE_ERRORS
    offset = first_line - 1
    good = 0
    try:
        for row in reader:
            if len(row) == width and flags[0] == seen:
                try:
                    x = float(row[vi])
                except ValueError:
                    x = None
                if x is not None and x - x == 0.0:
                    good += 1
                    yield (row[ki] if grouped else ""), x
                    continue
            if not row:
                continue  # a blank line is not a record
            why = reason(row, table, flags[0] != seen)
            if why is None:
                good += 1
                yield (row[ki] if grouped else ""), float(row[vi])
                continue
            tally.bad += 1
            if quarantine is not None:
                quarantine.add(offset + reader.line_num - _newlines(row), why, row)
    except csv.Error as exc:
        raise InputError(f"{table.path}: line {offset + reader.line_num}: {exc}") from None
    finally:
        tally.ok += good


def data_lines(path: Path, table: Table, wrap: Callable[[BinaryIO], BinaryIO] | None = None) -> TextIO:
    """Open ``path`` as text positioned after its header."""
    f = open_text(path, wrap, table.opener)
    for _ in range(table.header_lines):
        f.readline()
    return f
