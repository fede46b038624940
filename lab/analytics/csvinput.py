"""Reading a user's CSV exactly: header, delimiter, validation and quarantine.

The exact path is Python's :mod:`csv` module, which handles every legal oddity
(BOM, CRLF, quoted delimiters and newlines). A record is *valid* when it has as
many fields as the header, its value is a finite number by :func:`number`'s rule,
and all its bytes are UTF-8. Blank lines (no character at all) are not records; a
line of spaces or tabs is one. Everything else is quarantined with the line it
starts on and the reason.

A field may hold up to :data:`FIELD_LIMIT` characters (the csv module's limit is
raised to it, for the whole process); a longer one is an :class:`InputError`
naming its line, whichever reader meets it.
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
    "number",
    "plain",
    "FIELD_LIMIT",
    "LineError",
]

Opener = Callable[[], BinaryIO]

ENCODING = "utf-8-sig"
ERRORS = "lab-flag-undecodable"
#: The longest field the exact path reads, in characters (the csv module's default is 131,072).
FIELD_LIMIT = 1 << 26
#: Candidate delimiters, the sniffer's first.
DELIMITERS = ",;\t|"

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


def as_text(raw: BinaryIO, bom: bool = True) -> TextIO:
    """``raw`` as text for the csv module: undecodable bytes kept and counted.

    With ``bom``, ``raw`` starts the file and a UTF-8 BOM there is dropped; a block from
    inside the file keeps a U+FEFF it starts with, as the reading of the whole file does.
    """
    return io.TextIOWrapper(raw, encoding=ENCODING if bom else "utf-8", errors=ERRORS, newline="")


class LineError(InputError):
    """An :class:`InputError` about one line of a file; ``moved`` renumbers it."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}: line {line}: {message}")
        self.path, self.line, self.message = path, line, message

    def __reduce__(self) -> tuple:
        return LineError, (self.path, self.line, self.message)

    def moved(self, lines: int) -> LineError:
        """The same error ``lines`` lines further down (a byte range's line 1 is not the file's)."""
        return LineError(self.path, self.line + lines, self.message)


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
    _text_or_fail(path, head)
    if spec.delimiter is not None and len(spec.delimiter) != 1:
        raise InputError(f"the delimiter must be one character, not {spec.delimiter!r}")
    wanted = [spec.column] if spec.group_by is None else [spec.column, spec.group_by]
    delimiter, header, header_lines = _header(spec, head, wanted)
    how = "given" if spec.delimiter else "sniffed"
    value_index, *key = (_column(path, header, name, delimiter, how) for name in wanted)
    return Table(
        path,
        spec.column,
        spec.group_by,
        delimiter,
        tuple(header),
        value_index,
        key[0] if key else None,
        header_lines,
        has_bom,
        spec.opener,
    )


def _text_or_fail(path: Path, head: bytes) -> None:
    """Raise :class:`InputError` when ``head`` looks binary: control bytes in its first line, or
    a first line that is not UTF-8 in a head holding NUL bytes (a header in another 8-bit
    encoding is read, its odd bytes kept)."""
    line = head.removeprefix(codecs.BOM_UTF8).lstrip(b"\r\n")
    first = line.split(b"\n", 1)[0].split(b"\r", 1)[0]
    control = any(b < 32 and b != 9 for b in first)
    try:
        first.decode("utf-8", "strict" if len(first) < len(line) else "ignore")
        foreign = False
    except UnicodeDecodeError:
        foreign = True
    if control or (foreign and b"\x00" in head):
        raise InputError(
            f"{path} does not look like CSV text: its first line holds control bytes or bytes "
            "that are not UTF-8 (a binary or differently encoded file?)"
        )


def _header(spec: CsvInput, head: bytes, wanted: list[str]) -> tuple[str, list[str], int]:
    """The delimiter, the header's names and the lines it takes.

    A given delimiter is used as it is; otherwise the sniffed one, unless another candidate
    is the only way the header holds every ``wanted`` name.
    """
    if spec.delimiter is not None:
        return (spec.delimiter, *_read_header(spec, spec.delimiter))
    sniffed = _sniff(head.decode(ENCODING, "replace"))
    first = (sniffed, *_read_header(spec, sniffed))
    if set(wanted) <= set(first[1]):
        return first
    for candidate in DELIMITERS.replace(sniffed, ""):
        found = (candidate, *_read_header(spec, candidate))
        if set(wanted) <= set(found[1]):
            return found
    return first


def _read_header(spec: CsvInput, delimiter: str) -> tuple[list[str], int]:
    """The names of the first non-blank record read with ``delimiter``, and its last line."""
    csv.field_size_limit(FIELD_LIMIT)
    with open_text(Path(spec.path), opener=spec.opener) as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next((row for row in reader if row), None)
        header_lines = reader.line_num
    if not header:
        raise InputError(f"{spec.path} is empty: a CSV file needs a header line")
    return [h.strip() for h in header], header_lines


def _column(path: Path, header: list[str], name: str, delimiter: str, how: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        names = ", ".join(_shown(h) for h in header[:20])
        more = f" and {len(header) - 20} more" if len(header) > 20 else ""
        raise InputError(
            f"{path} has no column {name!r} (its columns: {names}{more}) "
            f"when read with the delimiter {delimiter!r} ({how})"
        ) from None


def _shown(name: str, width: int = 40) -> str:
    """A header name fit for a one-line message: escaped when not printable, cut when long."""
    text = name if name.isprintable() else repr(name)[1:-1]
    return text if len(text) <= width else text[: width - 1] + "…"


def _sniff(sample: str) -> str:
    lines = sample.splitlines()[:50]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def plain(text: str) -> bool:
    """True when ``text``, which ``float`` accepts, is a number by lab's rule: ASCII alone, no
    ``_``, padded by nothing but spaces and tabs (``float`` also takes ``1_000``, other
    scripts' digits and any Unicode space)."""
    return text.isascii() and "_" not in text and (text.isprintable() or text.strip(" \t").isprintable())


def number(text: str) -> float | None:
    """The value of ``text``, or ``None`` when it is not a number.

    A number is ASCII: optional spaces and tabs, a sign, decimal digits with at most one
    point, an optional exponent, spaces and tabs (what duckdb, polars and pandas all read),
    or ``inf``, ``infinity`` and ``nan`` in any case, which are numbers but not finite.

    >>> number(" -1.5e3\t"), number("1_000"), number("\u0661"), number("nan")
    (-1500.0, None, None, nan)
    """
    try:
        x = float(text)
    except ValueError:
        return None
    return x if plain(text) else None


def reason(row: list[str], table: Table, dirty: bool) -> str | None:
    """Why ``row`` is invalid, or ``None`` when it is valid."""
    if dirty and any(not f.isascii() and _undecodable(f) for f in row):
        return "bytes that are not UTF-8"
    if len(row) != table.width:
        return f"expected {table.width} fields, got {len(row)}"
    text = row[table.value_index]
    if not text.strip():
        return f"missing {table.column}"
    x = number(text)
    if x is None:
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
    line = 0  # the last line of the record before, counted in f
    csv.field_size_limit(FIELD_LIMIT)
    try:
        for row in reader:
            start, line = line + 1, reader.line_num
            if len(row) == width and flags[0] == seen:
                text = row[vi]
                try:
                    x = float(text)
                except ValueError:
                    x = None
                # plain(text) when padded by nothing but spaces; reason() decides the rest
                if (
                    x is not None
                    and x - x == 0.0
                    and text.isascii()
                    and text.isprintable()
                    and "_" not in text
                ):
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
                quarantine.add(offset + start, why, row)
    except csv.Error as exc:
        raise LineError(table.path, offset + line + 1, str(exc)) from None
    finally:
        tally.ok += good


def data_lines(path: Path, table: Table, wrap: Callable[[BinaryIO], BinaryIO] | None = None) -> TextIO:
    """Open ``path`` as text positioned after its header."""
    f = open_text(path, wrap, table.opener)
    for _ in range(table.header_lines):
        f.readline()
    return f
