"""Where the event log lives: in memory, in SQLite (a file, WAL, batched commits), or in
PostgreSQL (batched, each batch written with COPY).

Every store keeps the same things: the events in order (``seq`` from 1), which batch
each came in (a batch is committed whole or not at all), the snapshots, and the
accounts' records (what a lookup reads). :meth:`Store.events` gives back exactly the
events that went in.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lab import services
from lab.errors import LabError
from lab.finance.accounts import AccountInfo
from lab.finance.events import Event
from lab.finance.money import Money

__all__ = ["Store", "MemoryStore", "SqliteStore", "PostgresStore", "STORES", "make_store"]

_COLUMNS = "seq, batch, kind, txn, ts, account, to_account, amount, info"
_READ = "SELECT kind, txn, ts, account, to_account, amount, info FROM events WHERE seq > {} ORDER BY seq"


class Store:
    """The interface every event log offers."""

    name = ""

    def __init__(self, money: Money) -> None:
        self.money = money
        self.seq = 0
        self.batch = 0

    def put_accounts(self, infos: Iterable[AccountInfo]) -> None:
        """Keep the accounts' records (setup, before any run)."""
        raise NotImplementedError

    def account(self, account: str) -> AccountInfo | None:
        """Read one account's record from the store."""
        raise NotImplementedError

    def accounts(self, ids: Iterable[str]) -> dict[str, AccountInfo]:
        """Read the records of ``ids`` at once (those that exist)."""
        raise NotImplementedError

    def append(self, events: list[Event]) -> None:
        """Add ``events`` as one batch: all of them durably, or none."""
        raise NotImplementedError

    def put_snapshot(self, blob: bytes) -> None:
        """Keep a snapshot of the state after the last event appended."""
        raise NotImplementedError

    def snapshot(self) -> tuple[int, bytes] | None:
        """The latest snapshot: ``(seq of its last event, state)``, or ``None``."""
        raise NotImplementedError

    def events(self, after: int = 0) -> Iterator[Event]:
        """The events after ``seq`` ``after``, in order."""
        raise NotImplementedError

    def batches(self) -> list[tuple[int, int, int]]:
        """``(batch, last seq, events in it)`` for every committed batch, in order."""
        raise NotImplementedError

    def clear(self) -> None:
        """Empty the log and the snapshots (the accounts' records stay)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections and files."""

    def _row(self, e: Event) -> tuple:
        self.seq += 1
        return (self.seq, self.batch, e[0], e[1], e[2], e[3], e[4], self.money.dump(e[5]), e[6])

    def _event(self, row: tuple) -> Event:
        return (row[0], row[1], row[2], row[3], row[4], self.money.load(row[5]), row[6])


class MemoryStore(Store):
    """A list in this process: no durability, the floor of what a log costs."""

    name = "memory"

    def __init__(self, money: Money) -> None:
        super().__init__(money)
        self.log: list[Event] = []
        self.marks: list[tuple[int, int, int]] = []
        self.snaps: list[tuple[int, bytes]] = []
        self.rows: dict[str, tuple[str, str, str, str]] = {}

    def put_accounts(self, infos: Iterable[AccountInfo]) -> None:
        self.rows.update((i.id, tuple(i)) for i in infos)

    def account(self, account: str) -> AccountInfo | None:
        row = self.rows.get(account)
        return None if row is None else AccountInfo(*row)

    def accounts(self, ids: Iterable[str]) -> dict[str, AccountInfo]:
        rows = self.rows
        return {i: AccountInfo(*rows[i]) for i in ids if i in rows}

    def append(self, events: list[Event]) -> None:
        self.batch += 1
        self.log.extend(events)
        self.seq = len(self.log)
        self.marks.append((self.batch, self.seq, len(events)))

    def put_snapshot(self, blob: bytes) -> None:
        self.snaps.append((self.seq, blob))

    def snapshot(self) -> tuple[int, bytes] | None:
        return self.snaps[-1] if self.snaps else None

    def events(self, after: int = 0) -> Iterator[Event]:
        return iter(self.log[after:])

    def batches(self) -> list[tuple[int, int, int]]:
        return list(self.marks)

    def clear(self) -> None:
        self.log, self.marks, self.snaps = [], [], []
        self.seq = self.batch = 0


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, type TEXT, customer TEXT, currency TEXT)",
    "CREATE TABLE IF NOT EXISTS events (seq BIGINT PRIMARY KEY, batch BIGINT NOT NULL, kind TEXT NOT NULL, "
    "txn TEXT NOT NULL, ts BIGINT NOT NULL, account TEXT, to_account TEXT, amount TEXT, info TEXT)",
    "CREATE TABLE IF NOT EXISTS batches (batch BIGINT PRIMARY KEY, last_seq BIGINT, events BIGINT)",
    "CREATE TABLE IF NOT EXISTS snapshots (seq BIGINT PRIMARY KEY, state {blob})",
)


class SqliteStore(Store):
    """A SQLite file in WAL mode (``synchronous=NORMAL``: a committed batch survives the
    process being killed); each batch is one transaction."""

    name = "sqlite"

    def __init__(self, money: Money, path: str | Path | None = None) -> None:
        super().__init__(money)
        self.folder = None if path else Path(tempfile.mkdtemp(prefix="lab-finance-"))
        self.path = Path(path) if path else self.folder / "ledger.db"  # type: ignore[operator]
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self.db.execute(statement.format(blob="BLOB"))
        self._resume()

    def _resume(self) -> None:
        self.seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        self.batch = self.db.execute("SELECT coalesce(max(batch), 0) FROM batches").fetchone()[0]

    def put_accounts(self, infos: Iterable[AccountInfo]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO accounts VALUES (?, ?, ?, ?)", infos)

    def account(self, account: str) -> AccountInfo | None:
        row = self.db.execute(
            "SELECT id, type, customer, currency FROM accounts WHERE id = ?", (account,)
        ).fetchone()
        return None if row is None else AccountInfo(*row)

    def accounts(self, ids: Iterable[str]) -> dict[str, AccountInfo]:
        ids = list(ids)
        marks = ", ".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id, type, customer, currency FROM accounts WHERE id IN ({marks})", ids
        )
        return {r[0]: AccountInfo(*r) for r in rows}

    def append(self, events: list[Event]) -> None:
        self.batch += 1
        first = self.seq
        rows = [self._row(e) for e in events]
        try:
            self.db.execute("BEGIN")
            self.db.executemany(f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("INSERT INTO batches VALUES (?, ?, ?)", (self.batch, self.seq, len(rows)))
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.seq, self.batch = first, self.batch - 1
            raise

    def put_snapshot(self, blob: bytes) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?)", (self.seq, blob))

    def snapshot(self) -> tuple[int, bytes] | None:
        row = self.db.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def events(self, after: int = 0) -> Iterator[Event]:
        rows = self.db.execute(_READ.format("?"), (after,))
        return map(self._event, rows)

    def batches(self) -> list[tuple[int, int, int]]:
        return self.db.execute("SELECT batch, last_seq, events FROM batches ORDER BY batch").fetchall()

    def clear(self) -> None:
        with self.db:
            self.db.execute("BEGIN")
            for table in ("events", "batches", "snapshots"):
                self.db.execute(f"DELETE FROM {table}")
        self.seq = self.batch = 0

    def close(self) -> None:
        self.db.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def connect_postgres() -> Any:
    """A connection to ``LAB_POSTGRES_DSN``, or a :class:`LabError` that names it."""
    import psycopg

    dsn = services.url("postgres")
    try:
        return psycopg.connect(dsn, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LabError(f"PostgreSQL at {dsn} is unreachable (set LAB_POSTGRES_DSN): {first}") from None


class PostgresStore(Store):
    """Tables in a schema of their own on the PostgreSQL server; each batch one transaction,
    its events written with COPY.

    One writer at a time: opening the log takes a session advisory lock on its schema. A
    writer that died (killed, say) may have sent its last COMMIT before dying; its server
    session finishes that commit and only then ends and frees the lock, so the next writer
    reads the log's end after it, never before.
    """

    name = "postgres"
    #: How long opening a log waits for the previous writer's session to end.
    LOCK_WAIT_S = 30.0

    def __init__(self, money: Money, schema: str | None = None) -> None:
        super().__init__(money)
        self.owned = schema is None
        self.schema = schema or f"lab_finance_{os.getpid()}_{secrets.token_hex(4)}"
        self.db = connect_postgres()
        self._lock_writer()
        with self.db.transaction():
            self.db.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            self.db.execute(f"SET search_path TO {self.schema}")
            for statement in _SCHEMA:
                self.db.execute(statement.format(blob="BYTEA"))
        self.seq = self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        self.batch = self.db.execute("SELECT coalesce(max(batch), 0) FROM batches").fetchone()[0]

    def _lock_writer(self) -> None:
        deadline = time.monotonic() + self.LOCK_WAIT_S
        lock = "SELECT pg_try_advisory_lock(hashtext(%s))"
        while not self.db.execute(lock, (self.schema,)).fetchone()[0]:
            if time.monotonic() > deadline:
                self.db.close()
                raise LabError(
                    f"another session has been writing the log in schema {self.schema} "
                    f"for over {self.LOCK_WAIT_S:.0f} s"
                )
            time.sleep(0.05)

    def put_accounts(self, infos: Iterable[AccountInfo]) -> None:
        with self.db.transaction(), self.db.cursor() as cur:
            cur.execute("DELETE FROM accounts")
            with cur.copy("COPY accounts (id, type, customer, currency) FROM STDIN") as copy:
                for info in infos:
                    copy.write_row(info)

    def account(self, account: str) -> AccountInfo | None:
        row = self.db.execute(
            "SELECT id, type, customer, currency FROM accounts WHERE id = %s", (account,), prepare=True
        ).fetchone()
        return None if row is None else AccountInfo(*row)

    def accounts(self, ids: Iterable[str]) -> dict[str, AccountInfo]:
        rows = self.db.execute(
            "SELECT id, type, customer, currency FROM accounts WHERE id = ANY(%s)", (list(ids),)
        ).fetchall()
        return {r[0]: AccountInfo(*r) for r in rows}

    def append(self, events: list[Event]) -> None:
        self.batch += 1
        first = self.seq
        rows = [self._row(e) for e in events]
        try:
            with self.db.transaction(), self.db.cursor() as cur:
                with cur.copy(f"COPY events ({_COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute("INSERT INTO batches VALUES (%s, %s, %s)", (self.batch, self.seq, len(rows)))
        except BaseException:
            self.seq, self.batch = first, self.batch - 1
            raise

    def put_snapshot(self, blob: bytes) -> None:
        with self.db.transaction():
            self.db.execute("INSERT INTO snapshots VALUES (%s, %s)", (self.seq, blob))

    def snapshot(self) -> tuple[int, bytes] | None:
        row = self.db.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    def events(self, after: int = 0) -> Iterator[Event]:
        with self.db.cursor() as cur:
            cur.execute(_READ.format("%s"), (after,))
            rows = cur.fetchall()
        return map(self._event, rows)

    def batches(self) -> list[tuple[int, int, int]]:
        rows = self.db.execute("SELECT batch, last_seq, events FROM batches ORDER BY batch").fetchall()
        return [tuple(r) for r in rows]

    def clear(self) -> None:
        with self.db.transaction():
            self.db.execute("TRUNCATE events, batches, snapshots")
        self.seq = self.batch = 0

    def close(self) -> None:
        try:
            if self.owned and not self.db.closed:
                self.db.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        finally:
            self.db.close()


#: The store axis: name -> class.
STORES: dict[str, type[Store]] = {s.name: s for s in (MemoryStore, SqliteStore, PostgresStore)}


def make_store(name: str, money: Money) -> Store:
    """A new, empty store of kind ``name`` (its schema and connection made here)."""
    return STORES[name](money)
