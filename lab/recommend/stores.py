"""The lower cache tiers: real Redis (L2) and a SQLite table of precomputed neighbours (L3).

An entry travels as the bytes of ``2k`` int32 values (k ids, then k exact scores).
Redis failures never fail a lookup: the tier counts the error, answers "miss", and
leaves Redis alone for :data:`RETRY_S` before trying again (redis-py reconnects then).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["RedisTier", "SqliteTier", "pack", "build_table"]

#: Seconds Redis is left alone after an error.
RETRY_S = 0.2


def pack(entry: Sequence[int]) -> bytes:
    """An entry as int32 bytes."""
    return np.asarray(entry, dtype=np.int32).tobytes()


def _unpack(blob: bytes) -> Sequence[int]:
    return memoryview(blob).cast("i")


class RedisTier:
    """Neighbour lists in Redis under a namespace of their own (deleted by :meth:`close`)."""

    def __init__(self, url: str, prefix: str = "lab:recommend") -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=0.2, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        self.prefix = f"{prefix}:{uuid.uuid4().hex[:12]}:"
        self.hits = self.misses = self.errors = 0
        self.written: set[int] = set()
        self.warm: set[int] = set()
        self._down_until = 0.0

    def _ok(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self) -> None:
        self.errors += 1
        self._down_until = time.monotonic() + RETRY_S

    def get(self, product: int) -> Sequence[int] | None:
        if self._ok():
            try:
                blob = self.client.get(self.prefix + str(product))
            except Exception:  # any connection or protocol failure is a miss, counted
                self._failed()
            else:
                if blob is not None:
                    self.hits += 1
                    return _unpack(blob)
        self.misses += 1
        return None

    def put(self, product: int, entry: Sequence[int]) -> None:
        if not self._ok():
            return
        try:
            self.client.set(self.prefix + str(product), pack(entry))
            self.written.add(product)
        except Exception:
            self._failed()

    def preload(self, entries: Iterable[tuple[int, bytes]], batch: int = 5000) -> None:
        """Write ``(product, bytes)`` pairs in pipelined batches (setup, untimed)."""
        pipe = self.client.pipeline(transaction=False)
        for i, (product, blob) in enumerate(entries, 1):
            pipe.set(self.prefix + str(product), blob)
            self.warm.add(product)
            if i % batch == 0:
                pipe.execute()
        pipe.execute()

    def forget_writes(self) -> None:
        """Delete what lookups wrote since the preload, and zero the counters."""
        extra = [self.prefix + str(p) for p in self.written - self.warm]
        for start in range(0, len(extra), 5000):
            self.client.delete(*extra[start : start + 5000])
        self.written.clear()
        self.hits = self.misses = self.errors = 0
        self._down_until = 0.0

    def entries(self) -> int:
        return len(self.warm | self.written)

    def close(self) -> None:
        """Delete the namespace and close the connection pool."""
        try:
            keys = list(self.client.scan_iter(match=self.prefix + "*", count=5000))
            for start in range(0, len(keys), 5000):
                self.client.delete(*keys[start : start + 5000])
        finally:
            self.client.close()


def build_table(path: Path, ids: np.ndarray, scores: np.ndarray) -> Path:
    """A SQLite file with every product's precomputed neighbours (made once, then reused)."""
    if path.exists():
        return path
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    rows = np.concatenate([ids, scores], axis=1).astype(np.int32)
    with sqlite3.connect(partial) as db:
        db.execute("CREATE TABLE neighbours (product INTEGER PRIMARY KEY, entry BLOB NOT NULL)")
        db.executemany("INSERT INTO neighbours VALUES (?, ?)", ((i, r.tobytes()) for i, r in enumerate(rows)))
    db.close()
    partial.rename(path)
    return path


class SqliteTier:
    """Read-only lookups of the precomputed table; an entry holds ``table_k`` neighbours, cut to k."""

    def __init__(self, path: Path, table_k: int, k: int) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.sql = "SELECT entry FROM neighbours WHERE product = ?"
        self.table_k, self.k = table_k, k
        self.rows = self.db.execute("SELECT count(*) FROM neighbours").fetchone()[0]
        self.hits = self.misses = 0

    def get(self, product: int) -> Sequence[int] | None:
        row = self.db.execute(self.sql, (product,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        values = _unpack(row[0])
        return (
            values
            if self.k == self.table_k
            else (*values[: self.k], *values[self.table_k : self.table_k + self.k])
        )

    def put(self, product: int, entry: Sequence[int]) -> None:
        """The table is precomputed: nothing is written back."""

    def entries(self) -> int:
        return self.rows

    def close(self) -> None:
        self.db.close()
