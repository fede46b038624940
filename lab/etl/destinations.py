"""Load: a SQLite file or a PostgreSQL schema, written by upsert on the natural key.

Every destination holds three tables: the loaded rows (the schema's table, with the
``load_id`` that last changed each row), ``etl_quarantine`` (every rejected record: source,
position, reason, raw content, load id) and ``etl_watermark`` (per source: the records
consumed up to the last committed batch, and the run's running counts). A row is
rewritten only when its content differs, so loading the same input again leaves the
destination unchanged. The caller decides when to commit: rows, rejections and the
watermark of one batch go in one transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lab import services
from lab.errors import InputError, LabError
from lab.etl.schema import Schema

__all__ = ["Destination", "Mark", "LoadError", "SqliteDestination", "PostgresDestination", "open_destination"]

MARK_COUNTS = ("extracted", "loaded", "quarantined", "duplicates")


class LoadError(LabError):
    """The destination failed mid-load (locked, connection lost): the batch was rolled back."""


@dataclass
class Mark:
    """A source's watermark: records consumed, batches committed, and the counts so far."""

    position: int = 0
    batches: int = 0
    load_id: int = 0
    extracted: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    finished: bool = False


class Destination:
    """What every destination does; subclasses speak their database's SQL."""

    kind = "?"
    placeholder = "?"

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.table = schema.table
        cols = (*schema.columns, "load_id")
        self.cols = cols
        keys = ", ".join(schema.key_columns)
        values = ", ".join([self.placeholder] * len(cols))
        others = [c for c in schema.columns if c not in schema.key_columns]
        changed = self._changed(others)
        sets = ", ".join(f"{c} = excluded.{c}" for c in (*others, "load_id"))
        self.upsert_sql = (
            f"INSERT INTO {self.qualified(self.table)} ({', '.join(cols)}) VALUES ({values}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE {changed}"
            if others
            else f"INSERT INTO {self.qualified(self.table)} ({', '.join(cols)}) VALUES ({values}) "
            f"ON CONFLICT ({keys}) DO NOTHING"
        )
        p = self.placeholder
        self.quarantine_sql = (
            f"INSERT INTO {self.qualified('etl_quarantine')} (source, position, reason, raw, load_id) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (source, position) DO NOTHING"
        )
        self.conn: Any = None

    # -- SQL dialect -------------------------------------------------------------------------
    def qualified(self, name: str) -> str:
        return name

    def _changed(self, others: Sequence[str]) -> str:
        t = self.table
        return " OR ".join(f"{t}.{c} IS NOT excluded.{c}" for c in others)

    def sql_type(self, generic: str) -> str:
        return generic

    def _ddl(self) -> list[str]:
        s = self.schema
        cols = ", ".join(f"{c} {self.sql_type(t)}" for c, t in zip(s.columns, s.column_types, strict=True))
        return [
            f"CREATE TABLE IF NOT EXISTS {self.qualified(self.table)} ({cols}, load_id BIGINT NOT NULL, "
            f"PRIMARY KEY ({', '.join(s.key_columns)}))",
            f"CREATE TABLE IF NOT EXISTS {self.qualified('etl_quarantine')} (source TEXT NOT NULL, "
            "position BIGINT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL, load_id BIGINT NOT NULL, "
            "PRIMARY KEY (source, position))",
            f"CREATE TABLE IF NOT EXISTS {self.qualified('etl_watermark')} (source TEXT PRIMARY KEY, "
            "position BIGINT NOT NULL, batches BIGINT NOT NULL, load_id BIGINT NOT NULL, "
            "extracted BIGINT NOT NULL, loaded BIGINT NOT NULL, quarantined BIGINT NOT NULL, "
            "duplicates BIGINT NOT NULL, finished INTEGER NOT NULL)",
        ]

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self) -> Destination:
        raise NotImplementedError

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def __enter__(self) -> Destination:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create(self) -> None:
        cur = self.conn.cursor()
        for stmt in self._ddl():
            cur.execute(stmt)
        self.conn.commit()

    def clear(self) -> None:
        """Empty every table (between repeats of a measured run)."""
        cur = self.conn.cursor()
        for t in (self.table, "etl_quarantine", "etl_watermark"):
            cur.execute(f"DELETE FROM {self.qualified(t)}")
        self.conn.commit()

    # -- writing -----------------------------------------------------------------------------
    def upsert_many(self, rows: Iterable[tuple]) -> int:
        """Upsert clean rows (their load id last); return how many were written."""
        cur = self.conn.cursor()
        cur.executemany(self.upsert_sql, rows)
        return max(cur.rowcount, 0)

    def upsert_one(self, row: tuple) -> int:
        cur = self.conn.cursor()
        cur.execute(self.upsert_sql, row)
        return max(cur.rowcount, 0)

    def upsert_from(self, stage: str) -> int:
        """Upsert every row of the table ``stage`` (the destination's columns, load id last)."""
        conflict = self.upsert_sql.split(" ON CONFLICT ", 1)[1]
        cols = ", ".join(self.cols)
        cur = self.conn.cursor()
        cur.execute(
            f"INSERT INTO {self.qualified(self.table)} ({cols}) SELECT {cols} FROM {stage} WHERE true "
            f"ON CONFLICT {conflict}"
        )
        return max(cur.rowcount, 0)

    def copy(self, rows: Iterable[tuple]) -> int:
        raise LabError(f"load=copy is PostgreSQL's COPY; {self.kind} has none")

    def quarantine(self, source: str, items: Sequence[tuple[int, str, str]], load_id: int) -> None:
        if items:
            self.conn.cursor().executemany(
                self.quarantine_sql, [(source, pos, why, raw, load_id) for pos, why, raw in items]
            )

    def set_mark(self, source: str, mark: Mark) -> None:
        p = self.placeholder
        fields = ("position", "batches", "load_id", *MARK_COUNTS, "finished")
        values = [getattr(mark, f) for f in fields]
        values[-1] = int(mark.finished)
        sets = ", ".join(f"{f} = excluded.{f}" for f in fields)
        self.conn.cursor().execute(
            f"INSERT INTO {self.qualified('etl_watermark')} (source, {', '.join(fields)}) "
            f"VALUES ({', '.join([p] * (len(fields) + 1))}) ON CONFLICT (source) DO UPDATE SET {sets}",
            (source, *values),
        )

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        try:
            self.conn.rollback()
        except Exception:  # the connection may be gone; nothing was committed
            pass

    # -- reading -----------------------------------------------------------------------------
    def mark(self, source: str) -> Mark | None:
        fields = ("position", "batches", "load_id", *MARK_COUNTS, "finished")
        cur = self.conn.cursor()
        cur.execute(
            f"SELECT {', '.join(fields)} FROM {self.qualified('etl_watermark')} "
            f"WHERE source = {self.placeholder}",
            (source,),
        )
        row = cur.fetchone()
        self.conn.commit()
        if row is None:
            return None
        *values, finished = (int(v) for v in row)
        return Mark(*values, finished=bool(finished))

    def next_load_id(self) -> int:
        cur = self.conn.cursor()
        # every load that committed a batch wrote its id into its source's watermark
        cur.execute(f"SELECT max(load_id) FROM {self.qualified('etl_watermark')}")
        (top,) = cur.fetchone()
        self.conn.commit()
        return int(top or 0) + 1

    def summary(self) -> dict[str, Any]:
        """The loaded rows in aggregate (a cheap fingerprint of the content): the row count, and per
        column the sum (numbers) or total length (text), with the count of values where a value
        may be missing; the quarantine's size."""
        s = self.schema
        optional = {f.column for f in s.fields if not f.required} | {d.column for d in s.derived}
        parts = ["count(*)"]
        for c, t in zip(s.columns, s.column_types, strict=True):
            parts.append(f"sum({c})" if t == "BIGINT" else f"sum(length({c}))")
            if c in optional:
                parts.append(f"count({c})")
        cur = self.conn.cursor()
        cur.execute(f"SELECT {', '.join(parts)} FROM {self.qualified(self.table)}")
        values = iter(cur.fetchone())
        rows = int(next(values))
        columns = {
            c: [int(next(values) or 0), *([int(next(values))] if c in optional else [])] for c in s.columns
        }
        cur.execute(f"SELECT count(*) FROM {self.qualified('etl_quarantine')}")
        (bad,) = cur.fetchone()
        self.conn.commit()
        return {"rows": rows, "columns": columns, "quarantined": int(bad)}

    def digest(self) -> str:
        """A hash of every loaded row (without load ids), in key order: the content itself."""
        h = hashlib.sha256()
        order = ", ".join(self.schema.key_columns)
        cur = self.conn.cursor()
        cur.execute(
            f"SELECT {', '.join(self.schema.columns)} FROM {self.qualified(self.table)} ORDER BY {order}"
        )
        while True:
            chunk = cur.fetchmany(10_000)
            if not chunk:
                break
            h.update(repr([tuple(_plain(v) for v in r) for r in chunk]).encode())
        self.conn.commit()
        return h.hexdigest()[:16]

    def quarantined(self) -> list[tuple[str, int, str, str]]:
        cur = self.conn.cursor()
        cur.execute(
            f"SELECT source, position, reason, raw FROM {self.qualified('etl_quarantine')} "
            "ORDER BY source, position"
        )
        out = [(s, int(p), r, w) for s, p, r, w in cur.fetchall()]
        self.conn.commit()
        return out


def _plain(v: Any) -> Any:
    return int(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, float) else v


class SqliteDestination(Destination):
    """A SQLite file: WAL, ``synchronous=NORMAL`` (a commit survives the process being killed)."""

    kind = "sqlite"

    def sql_type(self, generic: str) -> str:
        """``INTEGER``, so that a one-column integer key is the rowid itself."""
        return "INTEGER" if generic == "BIGINT" else generic

    def __init__(self, schema: Schema, path: Path, timeout: float = 5.0) -> None:
        super().__init__(schema)
        self.path = Path(path)
        self.timeout = timeout

    def open(self) -> SqliteDestination:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level="DEFERRED")
            self._wal()
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.create()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise LoadError(f"cannot open the SQLite database {self.path}: {exc}") from None
        return self

    def clear(self) -> None:
        super().clear()
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _wal(self) -> None:
        """WAL mode. Switching a new file to it while another connection opens the same file
        fails at once with "database is locked", without waiting for the busy timeout (seen
        with partitions opening one file together), so it is retried until the timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)


class PostgresDestination(Destination):
    """A schema of a PostgreSQL database; ``copy`` writes a batch with COPY into a staging table,
    then upserts from it."""

    kind = "postgres"
    placeholder = "%s"

    def __init__(self, schema: Schema, dsn: str, namespace: str = "lab_etl") -> None:
        self.namespace = namespace
        super().__init__(schema)
        self.dsn = dsn

    def qualified(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    def _changed(self, others: Sequence[str]) -> str:
        t = self.qualified(self.table)
        mine = ", ".join(f"{t}.{c}" for c in others)
        theirs = ", ".join(f"excluded.{c}" for c in others)
        return f"({mine}, NULL) IS DISTINCT FROM ({theirs}, NULL)"

    def open(self) -> PostgresDestination:
        import psycopg

        try:
            self.conn = psycopg.connect(self.dsn, connect_timeout=5)
            self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.namespace}")
            self.conn.commit()
            self.create()
            cols = ", ".join(
                f"{c} {t}" for c, t in zip(self.cols, (*self.schema.column_types, "BIGINT"), strict=True)
            )
            self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS etl_stage ({cols}) ON COMMIT DELETE ROWS")
            self.conn.commit()
        except psycopg.Error as exc:
            self.close()
            raise LoadError(f"cannot open PostgreSQL at {self.dsn}: {str(exc).strip()}") from None
        return self

    def copy(self, rows: Iterable[tuple]) -> int:
        cur = self.conn.cursor()
        with cur.copy(f"COPY etl_stage ({', '.join(self.cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        written = self.upsert_from("etl_stage")
        cur.execute("TRUNCATE etl_stage")
        return written

    def drop(self) -> None:
        """Remove the whole schema (tests, teardown of a measured run's own schema)."""
        self.conn.execute(f"DROP SCHEMA IF EXISTS {self.namespace} CASCADE")
        self.conn.commit()

    def backend_pid(self) -> int:
        return int(self.conn.info.backend_pid)


def open_destination(schema: Schema, into: str, namespace: str = "lab_etl") -> Destination:
    """The destination a URL names: ``sqlite:///path.db`` (or a plain path) or a PostgreSQL DSN
    (``postgresql://...``; ``postgres`` alone is :func:`lab.services.url`'s)."""
    if into == "postgres":
        into = services.url("postgres")
    scheme = urlsplit(into).scheme
    if scheme in ("postgres", "postgresql"):
        return PostgresDestination(schema, into, namespace)
    if scheme == "sqlite":
        path = into.removeprefix("sqlite://")
        path = path[1:] if path.startswith("/") else path  # sqlite:///rel.db, sqlite:////abs.db
        if not path:
            raise InputError(f"no database file in {into!r} (write sqlite:///path/to/file.db)")
        return SqliteDestination(schema, Path(path))
    if scheme and len(scheme) > 1:
        raise InputError(f"unknown destination {into!r}: use sqlite:///path.db or postgresql://...")
    return SqliteDestination(schema, Path(into))
