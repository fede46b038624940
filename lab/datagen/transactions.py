"""Transaction CSV data: ``id,user_id,amount,category,timestamp``.

The same (rows, users, seed, bad_rate) always gives the same bytes. Rows are
produced as a stream of byte blocks, so a file of any size is written with
constant memory, and the ``huge`` tier can be streamed without touching disk.
"""

from __future__ import annotations

import io
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lab.datagen.fastcsv import _EPOCH_DAY, STREAM_BLOCK_ROWS, BlockStream, stream_blocks
from lab.paths import data_dir

__all__ = [
    "COLUMNS",
    "CATEGORIES",
    "BAD_KINDS",
    "Dataset",
    "data_dir",
    "transaction_blocks",
    "ensure_transactions",
    "open_stream",
]

COLUMNS = ("id", "user_id", "amount", "category", "timestamp")
CATEGORIES = (
    "groceries",
    "dining",
    "transport",
    "utilities",
    "entertainment",
    "health",
    "travel",
    "shopping",
)
#: The kinds of malformed row the generator can inject.
BAD_KINDS = ("missing_fields", "non_numeric", "extra_columns", "bad_bytes", "empty_amount")

_HEADER = ",".join(COLUMNS) + "\n"
_ROWS_PER_BLOCK = 20_000


@dataclass(frozen=True)
class Dataset:
    """A generated file and what is known about it: how many rows, how many bad."""

    path: Path
    rows: int
    bad_rows: int
    bad_kinds: dict[str, int]
    seed: int


def _day_string(day: int) -> str:
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def transaction_blocks(
    rows: int, users: int, seed: int = 0, bad_rate: float = 0.0, counts: Counter | None = None
) -> Iterator[bytes]:
    """Yield the CSV (header first) as byte blocks of about 20K rows each.

    ``counts``, when given, is filled with the number of injected rows of each kind.
    """
    rng = random.Random(seed)
    lognorm = rng.lognormvariate
    randint = rng.randint
    random_ = rng.random
    choice = rng.choice
    yield _HEADER.encode()
    day_cache: dict[int, str] = {}
    done = 0
    while done < rows:
        stop = min(rows, done + _ROWS_PER_BLOCK)
        out = []
        for i in range(done, stop):
            seconds = i * 7
            day = _EPOCH_DAY + seconds // 86_400
            date = day_cache.get(day)
            if date is None:
                date = day_cache[day] = _day_string(day)
            s = seconds % 86_400
            ts = f"{date}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
            amount = f"{lognorm(3.5, 1.0):.2f}"
            category = CATEGORIES[randint(0, 7)]
            user = randint(1, users)
            if bad_rate and random_() < bad_rate:
                kind = choice(BAD_KINDS)
                if counts is not None:
                    counts[kind] += 1
                out.append(_bad_row(kind, i, user, amount, category, ts))
            else:
                out.append(f"{i},{user},{amount},{category},{ts}\n")
        yield "".join(out).encode("utf-8", "surrogateescape")
        done = stop


def _bad_row(kind: str, i: int, user: int, amount: str, category: str, ts: str) -> str:
    if kind == "missing_fields":
        return f"{i},{user},{amount}\n"
    if kind == "non_numeric":
        return f"{i},{user},N/A,{category},{ts}\n"
    if kind == "extra_columns":
        return f"{i},{user},{amount},{category},{ts},unexpected\n"
    if kind == "bad_bytes":  # two bytes that are not UTF-8, inside the category
        return f"{i},{user},{amount},{category[:3]}\udcff\udcfe{category[3:]},{ts}\n"
    if kind == "empty_amount":
        return f"{i},{user},,{category},{ts}\n"
    raise ValueError(f"unknown bad-row kind {kind!r}")


def open_stream(rows: int, users: int, seed: int = 0) -> io.BufferedReader:
    """The CSV of ``rows`` transactions as a binary stream made on the fly (numpy), never on disk.

    Blocks of :data:`STREAM_BLOCK_ROWS` rows and a 64 KiB buffer keep the generator's own
    heap near 0.3 MB, so a reader's peak heap over a billion rows is mostly the reader's.
    """
    blocks = stream_blocks(rows, users, seed, _HEADER.encode(), CATEGORIES, STREAM_BLOCK_ROWS)
    return io.BufferedReader(BlockStream(blocks), 1 << 16)


def ensure_transactions(
    name: str,
    rows: int,
    users: int,
    seed: int = 0,
    bad_rate: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Write the file once under :func:`data_dir` and reuse it; return its :class:`Dataset`.

    ``progress(done_rows, total_rows)`` is called as blocks are written.
    """
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"transactions-{name}-seed{seed}" + (f"-bad{bad_rate:g}" if bad_rate else "")
    path = folder / f"{stem}.csv"
    meta_path = folder / f"{stem}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("rows") == rows and meta.get("seed") == seed:
            return Dataset(path, rows, meta["bad_rows"], meta["bad_kinds"], seed)
    counts: Counter = Counter()
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "wb") as f:
        done = 0
        for block in transaction_blocks(rows, users, seed, bad_rate, counts):
            f.write(block)
            if progress is not None and done < rows:
                done = min(rows, done + (_ROWS_PER_BLOCK if block[:2] != b"id" else 0))
                progress(done, rows)
    os.replace(tmp, path)
    bad = sum(counts.values())
    meta_path.write_text(json.dumps({"rows": rows, "seed": seed, "bad_rows": bad, "bad_kinds": dict(counts)}))
    return Dataset(path, rows, bad, dict(counts), seed)
