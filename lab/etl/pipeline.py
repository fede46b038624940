"""The pipeline: records -> clean rows in batches -> the destination, a transaction per batch.

Stages are generators end to end (``mode=stream``: memory bounded by one batch) or lists
per stage (``mode=materialize``: every record, then every transformed record, held at
once). A batch covers ``batch_size`` input records: its rows (de-duplicated by natural key
inside the batch, the last one kept), its rejections and the source's watermark are
committed together, so after any failure the destination holds whole batches only and a
new run resumes after the last one. Across batches the upsert de-duplicates: a row equal to
the one stored is not written and counts as a duplicate.

Counts hold ``extracted == loaded + quarantined + duplicates`` (``loaded``: rows written);
the run checks it and reports it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lab.errors import LabError
from lab.etl.destinations import Destination, LoadError, Mark
from lab.etl.extract import Bad, Record, raw_text
from lab.etl.schema import Reject, Schema

__all__ = [
    "LOADS",
    "MODES",
    "Batch",
    "Result",
    "InjectedFailure",
    "run_pipeline",
    "transform",
    "batches",
    "log",
]

LOADS = ("row", "row-tx", "batch", "copy")
MODES = ("stream", "materialize")
log = logging.getLogger("lab.etl")


class InjectedFailure(LabError):
    """A failure a test (or ``--fail-after``) asked for, after a number of committed batches."""


@dataclass
class Batch:
    """What one transaction writes: the records it covers, its rows by key, its rejections."""

    records: int
    rows: dict[Any, tuple]
    bad: list[tuple[int, str, str]]
    duplicates: int
    last_position: int = 0


@dataclass
class Result:
    """What a pipeline run did: this run's counts, the source's totals, times per stage."""

    source: str
    load_id: int
    counts: dict[str, int]
    totals: dict[str, int]
    batches: int
    resumed_from: int
    stage_s: dict[str, float]
    reasons: Counter = field(default_factory=Counter)
    already_loaded: bool = False

    @property
    def invariant_holds(self) -> bool:
        c = self.counts
        return c["extracted"] == c["loaded"] + c["quarantined"] + c["duplicates"]


def transform(records: Iterable[Record], clean: Callable[[list[str]], tuple]) -> Iterator[Record]:
    """Each record with its fields replaced by the clean row (a tuple), or by a :class:`Bad`
    holding the reason and the raw content."""
    for pos, fields in records:
        if type(fields) is list:
            try:
                yield pos, clean(fields)
            except Reject as exc:
                yield pos, Bad(str(exc), raw_text(fields))
        else:
            yield pos, fields


def batches(
    records: Iterable[Record], schema: Schema, size: int, clean: Callable[[list[str]], tuple] | None = None
) -> Iterator[Batch]:
    """Group records into batches of ``size`` input records; raw fields (lists) are cleaned on the
    way with ``clean``, clean rows (tuples, from :func:`transform`) are taken as they are."""
    names = schema.names
    where = [names.index(k) for k in schema.key]
    single = where[0] if len(where) == 1 else None
    rows: dict[Any, tuple] = {}
    bad: list[tuple[int, str, str]] = []
    n = dups = 0
    pos = 0
    for pos, fields in records:
        n += 1
        kind = type(fields)
        if kind is list and clean is not None:
            try:
                row = clean(fields)
            except Reject as exc:
                bad.append((pos, str(exc), raw_text(fields)))
                row = None
        elif kind is tuple:
            row = fields
        else:
            bad.append(
                (pos, fields.reason, fields.raw) if isinstance(fields, Bad) else (pos, "not a record", "")
            )
            row = None
        if row is not None:
            key = row[single] if single is not None else tuple(row[i] for i in where)
            if key in rows:
                dups += 1
            rows[key] = row
        if n == size:
            yield Batch(n, rows, bad, dups, pos)
            rows, bad, n, dups = {}, [], 0, 0
    if n:
        yield Batch(n, rows, bad, dups, pos)


def _write(dest: Destination, batch: Batch, load: str) -> int:
    """Write a batch's rows the ``load`` way (no commit here, except ``row``'s per row)."""
    if load == "batch":
        return dest.upsert_many(batch.rows.values())
    if load == "copy":
        return dest.copy(batch.rows.values())
    written = 0
    for row in batch.rows.values():
        written += dest.upsert_one(row)
        if load == "row":
            dest.commit()
    return written


def run_pipeline(
    records: Iterable[Record],
    schema: Schema,
    dest: Destination,
    source: str,
    *,
    load: str = "batch",
    mode: str = "stream",
    batch_size: int = 5_000,
    restart: bool = False,
    fail_after: int = 0,
    on_batch: Callable[[Mark], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Result:
    """Load ``records`` of ``source`` into ``dest``, resuming after the source's watermark.

    ``restart`` ignores a watermark (a new load id; unchanged rows stay as they are).
    ``fail_after`` raises :class:`InjectedFailure` after that many committed batches.
    A database failure rolls the current batch back and raises :class:`LoadError`.
    """
    if load not in LOADS or mode not in MODES:
        raise LabError(f"load is one of {', '.join(LOADS)} and mode one of {', '.join(MODES)}")
    if batch_size < 1:
        raise LabError("batch_size must be at least 1")
    started = time.perf_counter()
    mark = None if restart else dest.mark(source)
    if mark is not None and mark.finished:
        totals = {k: getattr(mark, k) for k in ("extracted", "loaded", "quarantined", "duplicates")}
        zero = dict.fromkeys(totals, 0)
        return Result(
            source, mark.load_id, zero, totals, 0, mark.position, {"total": 0.0}, already_loaded=True
        )
    if mark is None:
        mark = Mark(load_id=dest.next_load_id())
    resumed_from = mark.position
    counts = dict.fromkeys(("extracted", "loaded", "quarantined", "duplicates"), 0)
    reasons: Counter = Counter()
    stage = {"extract": 0.0, "transform": 0.0, "load": 0.0}
    clean = schema.compile((mark.load_id,))
    rest = itertools.islice(records, mark.position, None) if mark.position else iter(records)
    if mode == "materialize":
        t0 = time.perf_counter()
        rest = list(rest)
        t1 = time.perf_counter()
        items: Iterable[Record] = list(transform(rest, clean))
        stage["extract"], stage["transform"] = t1 - t0, time.perf_counter() - t1
        stream_clean = None
    else:
        items, stream_clean = rest, clean
    done = 0
    for batch in batches(items, schema, batch_size, stream_clean):
        if stop is not None and stop():
            break
        t0 = time.perf_counter()
        try:
            written = _write(dest, batch, load)
            dest.quarantine(source, batch.bad, mark.load_id)
            after = _advanced(mark, batch, written)
            dest.set_mark(source, after)
            dest.commit()
        except Exception as exc:
            dest.rollback()
            if isinstance(exc, LabError) or not _database_error(exc):
                raise
            raise _load_error(exc, dest, mark) from None
        finally:
            stage["load"] += time.perf_counter() - t0
        mark = after
        counts["extracted"] += batch.records
        counts["loaded"] += written
        counts["quarantined"] += len(batch.bad)
        counts["duplicates"] += batch.records - len(batch.bad) - written
        reasons.update(kind(why) for _, why, _ in batch.bad)
        done += 1
        if on_batch is not None:
            on_batch(mark)
        if fail_after and done >= fail_after:
            raise InjectedFailure(
                f"failure injected after {done} committed batches (position {mark.position})"
            )
    else:
        mark.finished = True
        dest.set_mark(source, mark)
        dest.commit()
    total = time.perf_counter() - started
    if mode == "stream":
        stage["extract_transform"] = total - stage.pop("load") - stage.pop("extract") - stage.pop("transform")
        stage["load"] = total - stage["extract_transform"]
    stage["total"] = total
    totals = {k: getattr(mark, k) for k in counts}
    return Result(source, mark.load_id, counts, totals, done, resumed_from, stage, reasons)


def kind(reason: str) -> str:
    """A reason without the value it quotes, for tallies: ``amount: not an amount``."""
    return reason.rsplit(": ", 1)[0] if reason.endswith("'") else reason


def _advanced(mark: Mark, batch: Batch, written: int) -> Mark:
    """The watermark after ``batch`` is committed."""
    return dataclasses.replace(
        mark,
        position=mark.position + batch.records,
        batches=mark.batches + 1,
        extracted=mark.extracted + batch.records,
        loaded=mark.loaded + written,
        quarantined=mark.quarantined + len(batch.bad),
        duplicates=mark.duplicates + batch.records - len(batch.bad) - written,
    )


def _database_error(exc: BaseException) -> bool:
    """A failure of the database or its connection (as opposed to a bug)."""
    return isinstance(exc, sqlite3.Error | OSError) or type(exc).__module__.startswith("psycopg")


def _load_error(exc: BaseException, dest: Destination, mark: Mark) -> LoadError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = getattr(dest, "path", None) or getattr(dest, "dsn", "")
    return LoadError(
        f"loading into {dest.kind} {where} failed ({text}); the batch was rolled back, "
        f"{mark.batches} batches ({mark.position:,} records) are committed: run again to resume"
    )


def alerts(result: Result, threshold_bp: int) -> list[dict[str, Any]]:
    """The alerts a run raises: a quarantine rate above ``threshold_bp`` basis points. Each is
    also logged as one structured (JSON) event on the ``lab.etl`` logger."""
    extracted = result.counts["extracted"]
    if not extracted:
        return []
    rate = result.counts["quarantined"] / extracted
    if rate * 10_000 <= threshold_bp:
        return []
    alert = {
        "event": "etl.alert",
        "alert": "quarantine_rate",
        "source": result.source,
        "load_id": result.load_id,
        "rate": round(rate, 6),
        "threshold": threshold_bp / 10_000,
        "quarantined": result.counts["quarantined"],
        "extracted": extracted,
        "top_reasons": dict(result.reasons.most_common(3)),
    }
    log.warning(json.dumps(alert, sort_keys=True))
    return [alert]
