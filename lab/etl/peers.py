"""The ``engine`` axis beyond lab's own: pandas and dlt on the same input and destination.

Both read the transactions CSV in chunks with pandas ``read_csv(chunksize=batch_size)``,
validate and clean each chunk with vectorised checks (the same rules as the schema, as a
user of these libraries would write them), de-duplicate it by ``id``, and load it:

- ``pandas``: ``DataFrame.to_sql`` into a staging table, then one upsert from it per chunk;
- ``dlt``: a dlt pipeline (``write_disposition="merge"`` on ``id``) into the same SQLite file
  through its ``sqlalchemy`` destination, each chunk handed over as an Arrow table (its fast
  path); dlt keeps the rows in its own dataset, and the upsert copies them into the table
  lab's own strategies fill, so that every engine's destination can be compared.

Rejected records go to the quarantine table with a generic reason (the peers check, they do
not explain); a record with more fields than the header is dropped by pandas (``on_bad_lines``),
not counted. They read the system's own workload (the transactions schema) only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lab.errors import UsageError
from lab.etl.destinations import Destination, Mark
from lab.etl.pipeline import Result
from lab.etl.schema import SEGMENTS, TRANSACTIONS, Schema

__all__ = ["PEERS", "pandas_engine", "dlt_engine"]

_AMOUNT = r"^\s*\$?([0-9]{1,15})(?:\.([0-9]{1,2}))?\s*$"
_TS = "%Y-%m-%dT%H:%M:%S"
REASON = "rejected by the {engine} peer's checks"


def _chunks(path: Path, size: int) -> Iterator[Any]:
    import pandas as pd

    yield from pd.read_csv(
        path,
        header=0,
        names=list(TRANSACTIONS.names),
        on_bad_lines="skip",  # a record with too many fields is dropped, not quarantined
        dtype=str,
        keep_default_na=False,
        chunksize=size,
        encoding="utf-8",
        encoding_errors="surrogateescape",
    )


def clean_frame(df: Any, load_id: int) -> tuple[Any, Any]:
    """The chunk's valid rows, cleaned, de-duplicated by id (the last kept), and its rejected rows."""
    import pandas as pd

    df = df.fillna("")
    ids = pd.to_numeric(df["id"], errors="coerce")
    users = pd.to_numeric(df["user_id"], errors="coerce")
    parts = df["amount"].str.extract(_AMOUNT)
    whole = pd.to_numeric(parts[0], errors="coerce")
    cents = pd.to_numeric(parts[1].fillna("0").str.ljust(2, "0"), errors="coerce")
    category = df["category"].str.strip().str.lower()
    stamp = df["timestamp"].str.strip()
    parsed = pd.to_datetime(stamp, format=_TS, errors="coerce")
    valid = (
        ids.notna()
        & (ids >= 0)
        & users.notna()
        & (users >= 1)
        & whole.notna()
        & category.isin(list(SEGMENTS))
        & parsed.notna()
    )
    good = pd.DataFrame(
        {
            "id": ids[valid].astype("int64"),
            "user_id": users[valid].astype("int64"),
            "amount_cents": (whole[valid] * 100 + cents[valid]).astype("int64"),
            "category": category[valid],
            "timestamp": stamp[valid],
            "segment": category[valid].map(SEGMENTS),
            "day": stamp[valid].str.slice(0, 10),
            "load_id": load_id,
        }
    )
    return good.drop_duplicates("id", keep="last"), df[~valid]


def _quarantine(dest: Destination, source: str, bad: Any, engine: str, load_id: int) -> None:
    cols = TRANSACTIONS.names
    items = [
        (int(i) + 2, REASON.format(engine=engine), ",".join(str(v) for v in row if v != ""))
        for i, row in zip(bad.index, bad[list(cols)].itertuples(index=False), strict=True)
    ]
    dest.quarantine(source, items, load_id)


def _run(
    path: Path,
    schema: Schema,
    dest: Destination,
    source: str,
    batch_size: int,
    engine: str,
    write: Callable[[Any], int],
) -> Result:
    if schema is not TRANSACTIONS or dest.kind != "sqlite":
        raise UsageError(f"engine={engine} loads the tier's transactions into SQLite only")
    started = time.perf_counter()
    load_id = dest.next_load_id()
    counts = dict.fromkeys(("extracted", "loaded", "quarantined", "duplicates"), 0)
    batches = 0
    for chunk in _chunks(path, batch_size):
        good, bad = clean_frame(chunk, load_id)
        written = write(good)
        _quarantine(dest, source, bad, engine, load_id)
        counts["extracted"] += len(chunk)
        counts["loaded"] += written
        counts["quarantined"] += len(bad)
        counts["duplicates"] += len(chunk) - len(bad) - written
        batches += 1
        dest.set_mark(source, Mark(counts["extracted"], batches, load_id, *counts.values()))
        dest.commit()
    mark = Mark(counts["extracted"], batches, load_id, *counts.values(), finished=True)
    dest.set_mark(source, mark)
    dest.commit()
    total = time.perf_counter() - started
    return Result(source, load_id, counts, dict(counts), batches, 0, {"total": total})


def pandas_engine(path: Path, schema: Schema, dest: Destination, source: str, batch_size: int) -> Result:
    """pandas ``read_csv(chunksize=...)``, vectorised checks, ``to_sql`` and an upsert per chunk."""

    def write(good: Any) -> int:
        good.to_sql("etl_stage_pandas", dest.conn, if_exists="replace", index=False)
        return dest.upsert_from("etl_stage_pandas")

    return _run(path, schema, dest, source, batch_size, "pandas", write)


def dlt_engine(path: Path, schema: Schema, dest: Destination, source: str, batch_size: int) -> Result:
    """dlt: one merge pipeline run over a resource yielding each checked chunk as an Arrow table,
    into the same SQLite file (dataset ``main``: dlt makes the table itself)."""
    import os
    import shutil
    import tempfile
    import warnings

    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    import dlt
    import pyarrow as pa

    if schema is not TRANSACTIONS or dest.kind != "sqlite":
        raise UsageError("engine=dlt loads the tier's transactions into SQLite only")
    started = time.perf_counter()
    load_id = dest.next_load_id()
    columns = {row[1] for row in dest.conn.execute(f"PRAGMA table_info({dest.table})")}
    if "load_id" in columns:  # lab's own table: dlt makes its own, which it then keeps track of
        dest.conn.execute(f"DROP TABLE {dest.table}")
        dest.commit()
    counts = dict.fromkeys(("extracted", "loaded", "quarantined", "duplicates"), 0)
    kept = [0]

    def chunks() -> Iterator[Any]:
        for chunk in _chunks(path, batch_size):
            good, bad = clean_frame(chunk, load_id)
            _quarantine(dest, source, bad, "dlt", load_id)
            dest.commit()
            counts["extracted"] += len(chunk)
            counts["quarantined"] += len(bad)
            kept[0] += len(good)
            yield pa.Table.from_pandas(good.drop(columns=["load_id"]), preserve_index=False)

    work = tempfile.mkdtemp(prefix="lab-etl-dlt-")
    try:
        pipeline = dlt.pipeline(
            pipeline_name="lab_etl",
            pipelines_dir=work,
            destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{dest.path}"),  # type: ignore[attr-defined]
            dataset_name="main",
        )
        resource = dlt.resource(chunks(), name=dest.table, write_disposition="merge", primary_key="id")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy's about dlt's merge query
            pipeline.run(resource)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (rows,) = dest.conn.execute(f"SELECT count(*) FROM {dest.table}").fetchone()
    dest.commit()
    counts["loaded"] = int(rows)
    counts["duplicates"] = counts["extracted"] - counts["quarantined"] - counts["loaded"]
    mark = Mark(counts["extracted"], 1, load_id, *counts.values(), finished=True)
    dest.set_mark(source, mark)
    dest.commit()
    total = time.perf_counter() - started
    return Result(source, load_id, counts, dict(counts), 1, 0, {"total": total})


PEERS: dict[str, Callable[..., Result]] = {"pandas": pandas_engine, "dlt": dlt_engine}
