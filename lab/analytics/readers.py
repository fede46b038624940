"""The ``reader`` axis: how rows get from the file to the statistics.

Row readers (``list``, ``generator``) yield ``(key, value)`` pairs; block readers
(``chunked``, ``arrow``) yield :class:`Block` arrays. Every reader gives the same
valid records and quarantines the same bad ones: block readers parse a clean
block fast and send any block they cannot parse exactly (bad rows, bytes that
are not UTF-8) through the exact csv path; from the first quoted field on, the
rest of the file takes the exact path.
"""

from __future__ import annotations

import codecs
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from lab.analytics import fastparse
from lab.analytics.csvinput import (
    DECODE_ERRORS,
    FIELD_LIMIT,
    Table,
    Tally,
    as_text,
    data_lines,
    exact_rows,
)
from lab.quarantine import Quarantine

__all__ = ["Block", "Reader", "BlockReader", "Quoted", "READERS", "CHUNK_LINES", "lone_cr", "make_reader"]

#: Lines per block for the block readers, unless ``chunk_size`` says otherwise.
CHUNK_LINES = 16_384
#: The most lines a block holds, and the most bytes a block of the bytes reader starts with,
#: whatever ``chunk_size`` asks for: larger blocks are no faster, and may not fit in memory.
MAX_CHUNK_LINES = 1 << 20
MAX_BLOCK_BYTES = 1 << 26

Progress = Callable[[int], None]


@dataclass
class Block:
    """A block of valid records: group keys, each record's key code, and its value."""

    keys: list[str]
    codes: np.ndarray
    values: np.ndarray


class _Counting(io.RawIOBase):
    """A raw binary stream that reports the bytes read so far, every MiB or so."""

    def __init__(self, raw: BinaryIO, report: Progress) -> None:
        self.raw, self.report, self.done, self.last = raw, report, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = self.raw.readinto(buffer)
        self.done += n or 0
        if self.done - self.last >= 1 << 20 or not n:
            self.last = self.done
            self.report(self.done)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Prefixed(io.RawIOBase):
    """``prefix`` bytes, then the rest of ``rest``."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self.prefix, self.rest = memoryview(prefix), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if len(self.prefix):
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        return self.rest.readinto(buffer)


class Reader:
    """One way of reading a table; ``read()`` makes one pass over it.

    The first pass quarantines bad records and fills :attr:`tally`; later passes
    (two-pass statistics) yield the same valid records and record nothing.
    """

    kind = "rows"

    def __init__(
        self,
        table: Table,
        quarantine: Quarantine | None = None,
        chunk_size: int = CHUNK_LINES,
        progress: Progress | None = None,
    ) -> None:
        self.table = table
        self.quarantine = quarantine
        self.chunk_size = min(max(1, chunk_size), MAX_CHUNK_LINES)
        self.progress = progress
        self.tally = Tally()
        self.exact_blocks = 0
        self.fast_blocks = 0
        self.stop: Callable[[], bool] | None = None
        self.stopped = False
        self._passes = 0

    def _pass(self) -> tuple[Quarantine | None, Tally]:
        first = self._passes == 0
        self._passes += 1
        return (self.quarantine, self.tally) if first else (None, Tally())

    def _wrap(self) -> Callable[[BinaryIO], BinaryIO] | None:
        report = self.progress if self._passes <= 1 else None
        if report is None:
            return None
        return lambda raw: io.BufferedReader(_Counting(raw, report))

    def read(self) -> Iterator:
        raise NotImplementedError


class GeneratorReader(Reader):
    """csv rows streamed one by one: constant memory."""

    def read(self) -> Iterator[tuple[str, float]]:
        quarantine, tally = self._pass()
        seen = DECODE_ERRORS[0]
        with data_lines(self.table.path, self.table, self._wrap()) as f:
            yield from exact_rows(f, self.table, quarantine, self.table.header_lines + 1, tally, seen)


class ListReader(GeneratorReader):
    """Every valid row loaded into a list first, then iterated: memory grows with the file."""

    _rows: list[tuple[str, float]] | None = None

    def read(self) -> Iterator[tuple[str, float]]:
        if self._rows is None:
            self._rows = list(super().read())
        return iter(self._rows)


def rows_to_blocks(pairs: Iterable[tuple[str, float]], size: int) -> Iterator[Block]:
    """Group ``(key, value)`` pairs into blocks of at most ``size`` records."""
    pairs = iter(pairs)
    while True:
        batch = list(itertools.islice(pairs, size))
        if not batch:
            return
        index: dict[str, int] = {}
        codes = np.fromiter(
            (index.setdefault(k, len(index)) for k, _ in batch), dtype=np.intp, count=len(batch)
        )
        values = np.fromiter((v for _, v in batch), dtype=np.float64, count=len(batch))
        yield Block(list(index), codes, values)


class Quoted(Exception):
    """A block reader limited to a byte span met a quote: the span cannot be read alone."""


class BlockReader(Reader):
    """Blocks of about ``chunk_size`` lines, parsed by :meth:`parse` when clean, exactly otherwise.

    ``span=(start, stop)`` limits the reader to those bytes of the file (both on
    line starts after the header, line numbers then count from the span's start).
    """

    kind = "blocks"

    def __init__(self, table: Table, *, span: tuple[int, int] | None = None, **options) -> None:  # type: ignore[no-untyped-def]
        super().__init__(table, **options)
        self.span = span
        self.lines = 0

    def parse(self, block: bytes) -> Block | None:
        """The block's records, or ``None`` when this fast path cannot vouch for them."""
        raise NotImplementedError

    def _open(self) -> BinaryIO:
        """The input as a buffered binary stream, positioned on the first data line."""
        table = self.table
        raw = table.open()
        wrap = self._wrap()
        fb = io.BufferedReader(wrap(raw)) if wrap else raw
        if not isinstance(fb, io.BufferedReader):
            fb = io.BufferedReader(fb)  # type: ignore[arg-type]
        self._head = b""
        if self.span is not None:
            fb.seek(self.span[0])
        else:
            self._head = b"".join(fb.readline() for _ in range(table.header_lines))
        return fb  # type: ignore[return-value]

    def _left(self) -> int | None:
        return None if self.span is None else self.span[1] - self.span[0]

    def _blocks(self, fb: BinaryIO) -> Iterator[bytes]:
        """Blocks of exactly ``chunk_size`` lines (the last one shorter)."""
        left = self._left()
        while left is None or left > 0:
            lines = list(itertools.islice(fb, self.chunk_size))
            if left is not None:
                lines, left = _within(lines, left)
            if not lines:
                return
            yield b"".join(lines)

    def read(self) -> Iterator[Block]:
        quarantine, tally = self._pass()
        table = self.table
        with self._open() as fb:
            line = 1 if self.span is not None else table.header_lines + 1
            if lone_cr(self._head):  # lines end with a lone CR: split only by the csv module
                self.exact_blocks += 1
                rest = _Prefixed(self._head, fb)
                yield from self._exact(rest, line, quarantine, tally, skip=table.header_lines)
                return
            for block in self._blocks(fb):
                if self.stop is not None and self.stop():
                    self.stopped = True
                    return
                if b'"' in block or lone_cr(block):  # record boundaries need the csv module
                    if self.span is not None:
                        raise Quoted(f"{table.path}: quoted fields or lone CRs in bytes {self.span}")
                    self.exact_blocks += 1
                    yield from self._exact(_Prefixed(block, fb), line, quarantine, tally)
                    return
                parsed = None if _long_line(block) else self.parse(block)
                if parsed is None:
                    self.exact_blocks += 1
                    yield from self._exact(io.BytesIO(block), line, quarantine, tally)
                    line += block.count(b"\n") + (not block.endswith(b"\n"))
                else:
                    self.fast_blocks += 1
                    tally.ok += len(parsed.values)
                    line += len(parsed.values)
                    yield parsed
            self.lines = line - 1

    def _exact(
        self,
        raw: BinaryIO | io.RawIOBase,
        line: int,
        quarantine: Quarantine | None,
        tally: Tally,
        skip: int = 0,
    ) -> Iterator[Block]:
        """The exact csv path over ``raw`` (after ``skip`` header lines), its valid records
        grouped into blocks."""
        seen = DECODE_ERRORS[0]
        text = as_text(io.BufferedReader(raw), bom=skip > 0)  # type: ignore[arg-type]
        for _ in range(skip):
            text.readline()
        pairs = exact_rows(text, self.table, quarantine, line, tally, seen)
        yield from rows_to_blocks(pairs, self.chunk_size)

    def _clean(self, block: bytes) -> int | None:
        """The number of lines when every line is a record with exactly the header's number of
        fields, and the block is valid UTF-8 with no control character but tab and line ends
        and no white space beyond ASCII (numpy's parser would take them), else ``None``; a
        block that starts with a BOM is not clean either (pyarrow would drop it)."""
        if block.startswith(codecs.BOM_UTF8):
            return None
        if not block.isascii():
            try:
                text = block.decode("utf-8")
            except UnicodeDecodeError:
                return None
            if any(c.isspace() for c in set(text) if not c.isascii()):
                return None
        if self.table.width == 1 and _blank_line(block):
            return None  # numpy skips it, the csv module too: the exact path counts lines right
        arr = np.frombuffer(block, dtype=np.uint8)
        if np.count_nonzero(arr < 32) != sum(block.count(c) for c in (b"\t", b"\n", b"\r")):
            return None
        lines = block.count(b"\n") + (not block.endswith(b"\n"))
        ends = np.flatnonzero(arr == 10)
        delims = np.cumsum(arr == ord(self.table.delimiter), dtype=np.int64)
        at_ends = delims[ends] if len(ends) == lines else np.append(delims[ends], delims[-1])
        per_line = np.diff(at_ends, prepend=0)
        return lines if bool((per_line == self.table.width - 1).all()) else None


def _blank_line(block: bytes) -> bool:
    """True when a line of ``block`` is empty."""
    return block.startswith((b"\n", b"\r\n")) or b"\n\n" in block or b"\n\r\n" in block


def _long_line(block: bytes) -> bool:
    """True when a line of ``block`` may hold a field over :data:`FIELD_LIMIT` characters."""
    if len(block) <= FIELD_LIMIT:
        return False
    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    return int(np.diff(ends, prepend=-1, append=len(block)).max()) > FIELD_LIMIT


def lone_cr(data: bytes) -> bool:
    """True when a carriage return in ``data`` ends a line by itself (not as part of CRLF)."""
    return b"\r" in data and data.count(b"\r") != data.count(b"\r\n")


def _within(lines: list[bytes], left: int) -> tuple[list[bytes], int]:
    """The first of ``lines`` that fit in the ``left`` bytes of a span, and the bytes then left."""
    for i, line in enumerate(lines):
        if left <= 0:
            return lines[:i], left
        left -= len(line)
    return lines, left


class BytesReader(BlockReader):
    """Raw byte blocks split into lines and fields by numpy, values parsed eight bytes at a time.

    Blocks are cut by size at a line end: about ``chunk_size`` lines each, not exactly.
    """

    def _blocks(self, fb: BinaryIO) -> Iterator[bytes]:
        sample = fb.peek(1 << 16)  # type: ignore[attr-defined]
        line = max(1, len(sample) // max(1, sample.count(b"\n")))
        size = min(self.chunk_size * line, MAX_BLOCK_BYTES)
        fastparse.keep_heap(4 * size)  # a block's arrays take a few times its size
        left = self._left()
        while left is None or left > 0:
            block = fb.read(size if left is None else min(size, left))
            if not block:
                return
            if not block.endswith(b"\n") and (left is None or left > len(block)):
                block += fb.readline()  # a span ends on a line start: this stays inside it
            if left is not None:
                left -= len(block)
            yield block

    def parse(self, block: bytes) -> Block | None:
        t = self.table
        parsed = fastparse.parse_block(block, t.delimiter, t.width, t.value_index, t.key_index)
        return None if parsed is None else Block(*parsed)


class ChunkedReader(BlockReader):
    """numpy arrays per chunk of lines (``np.loadtxt``), statistics vectorised per chunk."""

    def parse(self, block: bytes) -> Block | None:
        lines = self._clean(block)
        if lines is None:
            return None
        table = self.table
        text = block.decode("utf-8")
        try:
            values = np.loadtxt(
                io.StringIO(text),
                delimiter=table.delimiter,
                usecols=table.value_index,
                dtype=np.float64,
                comments=None,
                ndmin=1,
                quotechar=None,
            )
            if table.key_index is None:
                keys, codes = [""], np.zeros(len(values), dtype=np.intp)
            else:
                raw_keys = np.loadtxt(
                    io.StringIO(text),
                    delimiter=table.delimiter,
                    usecols=table.key_index,
                    dtype=str,
                    comments=None,
                    ndmin=1,
                    quotechar=None,
                )
                uniques, codes = np.unique(raw_keys, return_inverse=True)
                keys = uniques.tolist()
        except ValueError:
            return None
        if len(values) != lines or not np.isfinite(values).all():
            return None
        return Block(keys, codes.astype(np.intp, copy=False), values)


class ArrowReader(BlockReader):
    """pyarrow's C++ CSV parser per block, streamed."""

    def parse(self, block: bytes) -> Block | None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        lines = self._clean(block)
        if lines is None:
            return None
        table = self.table
        names = [f"c{i}" for i in range(table.width)]
        value_col = names[table.value_index]
        wanted = [value_col]
        types = {value_col: pa.float64()}
        if table.key_index is not None:
            wanted.append(names[table.key_index])
            types[names[table.key_index]] = pa.string()
        try:
            t = pacsv.read_csv(
                io.BytesIO(block),
                read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
                parse_options=pacsv.ParseOptions(
                    delimiter=table.delimiter, quote_char=False, ignore_empty_lines=False
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=wanted,
                    column_types=types,
                    null_values=[],
                    strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        values = t.column(value_col).to_numpy()
        if len(values) != lines or not np.isfinite(values).all():
            return None
        if table.key_index is None:
            return Block([""], np.zeros(len(values), dtype=np.intp), values)
        encoded = pc.dictionary_encode(t.column(wanted[1])).combine_chunks()
        return Block(
            encoded.dictionary.to_pylist(),
            encoded.indices.to_numpy().astype(np.intp),
            values,
        )


READERS: dict[str, type[Reader]] = {
    "list": ListReader,
    "generator": GeneratorReader,
    "chunked": ChunkedReader,
    "arrow": ArrowReader,
    "bytes": BytesReader,
}


def make_reader(name: str, table: Table, **options) -> Reader:  # type: ignore[no-untyped-def]
    """The reader strategy called ``name``."""
    return READERS[name](table, **options)
