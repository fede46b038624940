"""The ``executor`` axis: a block reader over the whole file, or over byte ranges in parallel.

The file is split on line starts into byte ranges; each range is read by the
same reader and statistics method in a worker (any
:class:`concurrent.futures.Executor`: a process pool, or a Dask client's
executor), which returns a :class:`Partial`; the partials are merged in file
order, their quarantined records renumbered. A range that meets a quote cannot
be read alone (a quoted field may hold a line break): the caller then reads the
file serially. Quarantined records are written only once every range is read, so
that a file read serially after all is quarantined once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lab.analytics.csvinput import LineError, Table
from lab.analytics.methods import METHODS
from lab.analytics.quantiles import NO_QUANTILES, Quantiles, merge_into
from lab.analytics.readers import BlockReader, Quoted, lone_cr, make_reader
from lab.errors import UsageError
from lab.quarantine import Quarantine

__all__ = ["EXECUTORS", "Partial", "spans", "read_span", "run_parallel", "open_executor", "DASK_ENV"]

DASK_ENV = "LAB_DASK_SCHEDULER"
#: Ranges per worker: enough for the pool to balance uneven ranges.
RANGES_PER_WORKER = 4
MIN_RANGE_BYTES = 1 << 20


@dataclass
class Partial:
    """What one byte range gives: accumulators per key (statistics, and quantiles when asked
    for), tallies, and its quarantined records."""

    accumulators: dict[str, Any]
    ok: int = 0
    bad: int = 0
    lines: int = 0
    exact_blocks: int = 0
    fast_blocks: int = 0
    quarantined: list[tuple[int, str, list[str]]] = field(default_factory=list)
    size: int = 0
    quantiles: dict[str, Any] = field(default_factory=dict)


class _Collect:
    """A quarantine that keeps bad records in memory, to be renumbered by the caller."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str, list[str]]] = []

    def add(self, line: int, reason: str, fields: list[str]) -> None:
        self.items.append((line, reason, fields))


def spans(table: Table, parts: int) -> list[tuple[int, int]]:
    """Up to ``parts`` byte ranges covering the data lines, each starting on a line start."""
    with table.open() as f:
        head = b"".join(f.readline() for _ in range(table.header_lines))
        if lone_cr(head):
            raise Quoted(f"{table.path}: lines end with a lone CR")
        start = f.tell()
        end = f.seek(0, os.SEEK_END)
        parts = max(1, min(parts, (end - start) // MIN_RANGE_BYTES))
        cuts = [start]
        for k in range(1, parts):
            f.seek(start + (end - start) * k // parts - 1)
            f.readline()
            cut = f.tell()
            if cuts[-1] < cut < end:
                cuts.append(cut)
    cuts.append(end)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def read_span(
    table: Table,
    reader: str,
    stats: str,
    chunk_size: int,
    span: tuple[int, int],
    quantiles: Quantiles = NO_QUANTILES,
) -> Partial:
    """Read one byte range of ``table`` (this runs in a worker)."""
    sink = _Collect()
    source = make_reader(reader, table, quarantine=sink, chunk_size=chunk_size, span=span)
    tapped, groups = quantiles.tap(source)
    accumulators = METHODS[stats](tapped)
    assert isinstance(source, BlockReader)
    return Partial(
        accumulators,
        source.tally.ok,
        source.tally.bad,
        source.lines,
        source.exact_blocks,
        source.fast_blocks,
        sink.items,
        span[1] - span[0],
        groups,
    )


def run_parallel(
    executor: Executor,
    workers: int,
    table: Table,
    reader: str,
    stats: str,
    chunk_size: int,
    quarantine: Quarantine | None,
    progress: Callable[[int], None] | None = None,
    quantiles: Quantiles = NO_QUANTILES,
) -> Partial | None:
    """The merged partials of every byte range, or ``None`` when a range met a quote."""
    try:
        ranges = spans(table, workers * RANGES_PER_WORKER)
    except Quoted:
        return None
    futures = [executor.submit(read_span, table, reader, stats, chunk_size, r, quantiles) for r in ranges]
    total = Partial({}, lines=table.header_lines)
    done = ranges[0][0] if ranges else 0
    try:
        for future in futures:
            part = _result(future, total.lines)
            total.quarantined.extend((total.lines + n, why, fields) for n, why, fields in part.quarantined)
            _merge_into(total, part)
            done += part.size
            if progress is not None:
                progress(done)
    except Quoted:
        for future in futures:
            future.cancel()
        return None
    if quarantine is not None:
        for item in total.quarantined:
            quarantine.add(*item)
    return total


def _result(future: Future, lines: int) -> Partial:
    """The range's partial; an error about one of its lines renumbered from the file's start."""
    try:
        return future.result()
    except LineError as exc:
        raise exc.moved(lines) from None


def _merge_into(total: Partial, part: Partial) -> None:
    for key, acc in part.accumulators.items():
        total.accumulators[key] = total.accumulators[key] + acc if key in total.accumulators else acc
    merge_into(total.quantiles, part.quantiles)
    total.ok += part.ok
    total.bad += part.bad
    total.lines += part.lines
    total.exact_blocks += part.exact_blocks
    total.fast_blocks += part.fast_blocks


@contextlib.contextmanager
def _processes() -> Iterator[tuple[Executor, int]]:
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool, workers


@contextlib.contextmanager
def _dask() -> Iterator[tuple[Executor, int]]:
    """A Dask client's executor: on ``LAB_DASK_SCHEDULER``, else on a LocalCluster made for the run."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("executor=dask needs dask.distributed (pip install 'dask[distributed]')") from None
    address = os.environ.get(DASK_ENV, "").replace("dask://", "tcp://")
    with contextlib.ExitStack() as stack:
        if address:
            client = stack.enter_context(Client(address, timeout=10))
        else:
            cluster = stack.enter_context(
                LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
            )
            client = stack.enter_context(Client(cluster))
        workers = max(1, sum(client.nthreads().values()))
        yield client.get_executor(), workers


EXECUTORS: dict[str, Callable[[], contextlib.AbstractContextManager[tuple[Executor, int]]]] = {
    "processes": _processes,
    "dask": _dask,
}


def open_executor(name: str) -> contextlib.AbstractContextManager[tuple[Executor, int]]:
    """The executor called ``name`` and how many workers it has, as a context manager."""
    return EXECUTORS[name]()
