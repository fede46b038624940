"""The ``reader`` axis: how rows get from the file to the statistics.

Row readers (``list``, ``generator``) yield ``(key, value)`` pairs; block readers
(``chunked``, ``arrow``) yield :class:`Block` arrays. Every reader gives the same
valid records and quarantines the same bad ones: block readers parse a clean
block fast and send any block they cannot parse exactly (bad rows, bytes that
are not UTF-8) through the exact csv path; from the first quoted field on, the
rest of the file takes the exact path.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from lab.analytics.csvinput import (
    DECODE_ERRORS,
    ENCODING,
    ERRORS,
    Table,
    Tally,
    data_lines,
    exact_rows,
)
from lab.quarantine import Quarantine

__all__ = ["Block", "Reader", "READERS", "CHUNK_LINES", "make_reader"]

#: Lines per block for the block readers, unless ``chunk_size`` says otherwise.
CHUNK_LINES = 16_384

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
        self.chunk_size = max(1, chunk_size)
        self.progress = progress
        self.tally = Tally()
        self.exact_blocks = 0
        self.fast_blocks = 0
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


class BlockReader(Reader):
    """Blocks of ``chunk_size`` lines, parsed by :meth:`parse` when clean, exactly otherwise."""

    kind = "blocks"

    def parse(self, block: bytes, lines: int) -> Block | None:
        """The block's records, or ``None`` when this fast path cannot vouch for them."""
        raise NotImplementedError

    def read(self) -> Iterator[Block]:
        quarantine, tally = self._pass()
        table = self.table
        raw = open(table.path, "rb")  # noqa: SIM115 - closed below
        wrap = self._wrap()
        fb = io.BufferedReader(wrap(raw)) if wrap else raw  # type: ignore[arg-type]
        with fb:
            for _ in range(table.header_lines):
                fb.readline()
            line = table.header_lines + 1
            while True:
                lines = list(itertools.islice(fb, self.chunk_size))
                if not lines:
                    return
                block = b"".join(lines)
                if b'"' in block:  # quoted fields: record boundaries need the csv module
                    self.exact_blocks += 1
                    seen = DECODE_ERRORS[0]
                    text = io.TextIOWrapper(
                        io.BufferedReader(_Prefixed(block, fb)),
                        encoding=ENCODING,
                        errors=ERRORS,
                        newline="",
                    )
                    pairs = exact_rows(text, table, quarantine, line, tally, seen)
                    yield from rows_to_blocks(pairs, self.chunk_size)
                    return
                parsed = self.parse(block, len(lines))
                if parsed is None:
                    self.exact_blocks += 1
                    seen = DECODE_ERRORS[0]
                    text = io.StringIO(block.decode("utf-8", ERRORS), newline="")
                    pairs = exact_rows(text, table, quarantine, line, tally, seen)
                    yield from rows_to_blocks(pairs, self.chunk_size)
                else:
                    self.fast_blocks += 1
                    tally.ok += len(parsed.values)
                    yield parsed
                line += len(lines)

    def _clean(self, block: bytes, lines: int) -> bool:
        """True when every line is a record with exactly the header's number of fields
        and the block is valid UTF-8."""
        if not block.isascii():
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                return False
        arr = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)
        if len(ends) != lines and not (len(ends) == lines - 1 and arr[-1] != 10):
            return False
        delims = np.cumsum(arr == ord(self.table.delimiter), dtype=np.int64)
        at_ends = delims[ends] if len(ends) == lines else np.append(delims[ends], delims[-1])
        per_line = np.diff(at_ends, prepend=0)
        return bool((per_line == self.table.width - 1).all())


class ChunkedReader(BlockReader):
    """numpy arrays per chunk of lines (``np.loadtxt``), statistics vectorised per chunk."""

    def parse(self, block: bytes, lines: int) -> Block | None:
        if not self._clean(block, lines):
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

    def parse(self, block: bytes, lines: int) -> Block | None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        if not self._clean(block, lines):
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
}


def make_reader(name: str, table: Table, **options) -> Reader:  # type: ignore[no-untyped-def]
    """The reader strategy called ``name``."""
    return READERS[name](table, **options)
