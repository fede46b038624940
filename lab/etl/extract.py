"""Extract, streamed: records of a CSV or NDJSON file as ``(position, fields)`` pairs.

``position`` is the line a record starts on (the header is line 1); ``fields`` the raw
values in the schema's order, as text, or a :class:`Bad` when the record could not even
be split into fields (a line that is not JSON). Files are read as UTF-8 (a BOM dropped);
bytes that are not UTF-8 are kept as surrogates, and the schema rejects them with the
reason. The csv module reads every legal oddity: CRLF, quoted delimiters and line breaks.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lab.errors import InputError
from lab.etl.schema import Schema

__all__ = ["Bad", "Record", "csv_records", "ndjson_records", "raw_text", "FORMATS", "open_records"]

#: The longest field read, in characters.
FIELD_LIMIT = 1 << 24


@dataclass(frozen=True)
class Bad:
    """A record that could not be split into fields: why, and its raw text."""

    reason: str
    raw: str


Record = tuple[int, "list[str] | Bad"]


def _text(raw: BinaryIO) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def csv_records(path: Path, schema: Schema, delimiter: str = ",") -> Iterator[Record]:
    """The data records of a CSV file, after checking its header names the schema's fields.

    Blank lines are not records. Raises :class:`InputError` on a missing file or a header that
    does not match the schema.
    """
    csv.field_size_limit(FIELD_LIMIT)
    with _text(_open(path)) as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputError(f"{path}: the header cannot be read: {exc}") from None
        if header is None:
            raise InputError(f"{path} is empty: a CSV file needs a header line")
        schema.check_header(header)
        last = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a NUL byte, a field over the limit, an unterminated quote
                yield last + 1, Bad(f"not CSV: {exc}", "")
                last = reader.line_num
                continue
            if fields:
                yield last + 1, fields
            last = reader.line_num


def ndjson_records(path: Path, schema: Schema) -> Iterator[Record]:
    """One record per non-blank line of a JSON-lines file; each an object holding the schema's
    fields (values as text; a missing key is an empty value)."""
    with _text(_open(path)) as f:
        yield from ndjson_lines(f, schema)


def ndjson_lines(lines: Iterable[str], schema: Schema, first: int = 1) -> Iterator[Record]:
    """The records of JSON lines, numbered from ``first``."""
    names = schema.names
    for number, line in enumerate(lines, first):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_float=str, parse_int=str)
        except ValueError as exc:
            yield number, Bad(f"not JSON: {exc}", line.rstrip("\r\n"))
            continue
        if not isinstance(obj, dict):
            yield number, Bad("not a JSON object", line.rstrip("\r\n"))
            continue
        yield number, as_fields(obj, names)


def as_fields(obj: dict, names: Sequence[str]) -> list[str]:
    """The values of a JSON object in the schema's order, as text (``null`` and missing: empty)."""
    out = []
    for name in names:
        v = obj.get(name)
        out.append("" if v is None else v if isinstance(v, str) else json.dumps(v))
    return out


def raw_text(fields: list[str] | Bad, delimiter: str = ",") -> str:
    """A record's raw content for the quarantine table: its fields written back as CSV."""
    if isinstance(fields, Bad):
        text = fields.raw
    else:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="").writerow(fields)
        text = out.getvalue()
    # bytes that were not UTF-8 are kept visible as \xNN escapes
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _open(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the text wrapper
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


FORMATS = ("csv", "ndjson")


def open_records(path: Path, schema: Schema, fmt: str | None = None) -> Iterator[Record]:
    """The records of ``path`` in ``fmt`` (by default, from its suffix: ``.ndjson``/``.jsonl``)."""
    fmt = fmt or ("ndjson" if Path(path).suffix.lower() in (".ndjson", ".jsonl") else "csv")
    if fmt == "ndjson":
        return ndjson_records(path, schema)
    return csv_records(path, schema)
