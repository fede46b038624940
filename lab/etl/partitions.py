"""The ``executor`` axis: partitions of an input file loaded in parallel.

The file is cut on line starts into byte ranges (one per worker, at least
:data:`MIN_PARTITION_BYTES` each); each range is extracted, transformed and loaded by a
worker of analytics' executors (:func:`lab.analytics.parallel.open_executor`: a process
pool, or a Dask cluster) with its own connection, its own transactions and its own
watermark (the source ``FILE#START-END``), so that a failed partition resumes alone. A CSV
file holding a quote character is read as one partition: a quoted field may hold a line
break, and a cut could fall inside it.
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lab.analytics.parallel import open_executor
from lab.errors import InputError
from lab.etl.destinations import open_destination
from lab.etl.extract import FIELD_LIMIT, Record, ndjson_lines
from lab.etl.pipeline import Result, run_pipeline
from lab.etl.schema import TRANSACTIONS, Schema, load_schema

__all__ = ["Partition", "LoadJob", "partitions", "load_partition", "run_partitions", "MIN_PARTITION_BYTES"]

MIN_PARTITION_BYTES = 1 << 20


@dataclass(frozen=True)
class Partition:
    """A byte range of the file and the line its first record starts on."""

    path: Path
    start: int
    end: int
    first_line: int

    @property
    def source(self) -> str:
        return f"{self.path.resolve()}#{self.start}-{self.end}"


def partitions(
    path: Path, parts: int, fmt: str = "csv", min_bytes: int = MIN_PARTITION_BYTES
) -> list[Partition]:
    """Up to ``parts`` ranges covering the records (after a CSV's header), each on a line start."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        header = f.readline() if fmt == "csv" else b""
        start = f.tell()
        if fmt == "csv" and _has_quote(f):
            parts = 1
        parts = max(1, min(parts, (size - start) // max(1, min_bytes)))
        cuts = [start]
        for k in range(1, parts):
            f.seek(start + (size - start) * k // parts - 1)
            f.readline()
            if cuts[-1] < f.tell() < size:
                cuts.append(f.tell())
        cuts.append(size)
        lines = [2 if header else 1]
        f.seek(start)
        for a, b in zip(cuts, cuts[1:-1], strict=False):
            lines.append(lines[-1] + f.read(b - a).count(b"\n"))
    return [Partition(path, a, b, n) for a, b, n in zip(cuts, cuts[1:], lines, strict=False) if b > a]


def _has_quote(f: io.BufferedReader) -> bool:
    where = f.tell()
    try:
        while block := f.read(1 << 20):
            if b'"' in block:
                return True
        return False
    finally:
        f.seek(where)


def _records(part: Partition, schema: Schema, fmt: str) -> Iterator[Record]:
    """The records of one range, numbered by the file's lines."""
    csv.field_size_limit(FIELD_LIMIT)
    raw = open(part.path, "rb")  # noqa: SIM115 - closed by the text wrapper
    raw.seek(part.start)
    span = io.BufferedReader(_Range(raw, part.end - part.start), 1 << 16)
    with io.TextIOWrapper(span, encoding="utf-8", errors="surrogateescape", newline="") as text:
        if fmt == "ndjson":
            yield from ndjson_lines(text, schema, part.first_line)
            return
        reader = csv.reader(text)
        last = part.first_line - 1
        for fields in reader:
            if fields:
                yield last + 1, fields
            last = part.first_line - 1 + reader.line_num


class _Range(io.RawIOBase):
    """The next ``left`` bytes of ``raw``, then the end of the stream."""

    def __init__(self, raw: io.BufferedReader, left: int) -> None:
        self.raw, self.left = raw, left

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self.left <= 0:
            return 0
        view = memoryview(buffer)[: min(len(buffer), self.left)]
        n = self.raw.readinto(view)
        self.left -= n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


@dataclass(frozen=True)
class LoadJob:
    """How every partition is loaded (the same for each; sent to the workers)."""

    schema_path: str | None
    fmt: str
    into: str
    namespace: str
    load: str
    mode: str
    batch_size: int
    restart: bool


def load_partition(part: Partition, job: LoadJob) -> Result:
    """Load one partition with a connection of its own (this runs in a worker)."""
    schema = load_schema(job.schema_path) if job.schema_path else TRANSACTIONS
    dest = open_destination(schema, job.into, job.namespace)
    if hasattr(dest, "timeout"):
        dest.timeout = 60.0  # partitions take turns at SQLite's one writer
    with dest:
        return run_pipeline(
            _records(part, schema, job.fmt),
            schema,
            dest,
            part.source,
            load=job.load,
            mode=job.mode,
            batch_size=job.batch_size,
            restart=job.restart,
        )


def run_partitions(executor: str, path: Path, job: LoadJob) -> Result:
    """Load every partition of ``path`` on ``executor`` (``processes`` or ``dask``); their results merged."""
    started = time.perf_counter()
    with open_executor(executor) as (pool, workers):
        parts = partitions(path, workers, job.fmt)
        futures = [pool.submit(load_partition, part, job) for part in parts]
        results = [f.result() for f in futures]
    if not results:
        raise InputError(f"{path} holds no records")
    counts: Counter = Counter()
    totals: Counter = Counter()
    reasons: Counter = Counter()
    for r in results:
        counts.update(r.counts)
        totals.update(r.totals)
        reasons.update(r.reasons)
    stage = {"total": time.perf_counter() - started, "partitions": float(len(results))}
    return Result(
        f"{path.resolve()}#{len(results)} partitions",
        results[0].load_id,
        dict(counts),
        dict(totals),
        sum(r.batches for r in results),
        sum(r.resumed_from for r in results),
        stage,
        reasons,
        all(r.already_loaded for r in results),
    )
