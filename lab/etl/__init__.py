"""Lesson 5, ETL: extract records from files (and a paginated HTTP API), validate, clean, enrich
and de-duplicate them against a declared schema, and load them into SQLite or PostgreSQL by
upsert on the natural key, a transaction per batch, with a watermark per source and every
rejected record quarantined with its reason.

A measured run loads the tier's input into an empty destination; the answer is the
destination's content in aggregate (identical for every strategy) and the counts
``extracted == loaded + quarantined + duplicates``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import services, strategies
from lab.errors import UsageError
from lab.etl import command
from lab.etl.api import api_records, serving
from lab.etl.destinations import Destination, open_destination
from lab.etl.extract import open_records
from lab.etl.partitions import LoadJob, run_partitions
from lab.etl.peers import PEERS
from lab.etl.pipeline import Result, alerts, run_pipeline
from lab.etl.schema import TRANSACTIONS, Schema, load_schema
from lab.etl.workload import Workload, prepare
from lab.outcome import Outcome, fingerprint
from lab.strategies import Axis, Strategy, Sweep, System

__all__ = ["SYSTEM", "State", "setup", "run", "reset", "teardown", "outcome_of"]

PARAMS = {"batch_size": 5_000, "alert_quarantine_bp": 1_000, "restart": 0}
#: The most records ``load=row`` (a commit per row, PostgreSQL's fsync included) is run on.
ROW_LIMIT = 100_000


@dataclass
class State:
    """What a run needs, made outside the timed region: the input, its schema, the destination."""

    workload: Workload
    schema: Schema
    dest: Destination
    path: Path
    fmt: str
    source: str
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    #: The base URL of the API serving the input (``source=api``).
    api_url: str | None = None
    #: Where the destination is (for partitions, which open their own connections).
    into: str = ""
    namespace: str = "lab_etl"


#: The axes of lab's own pipeline, which a peer engine replaces whole.
OWN_AXES = ("source", "load", "mode", "executor")
#: The sources the executor axis can cut into partitions.
PARTITIONED = ("csv", "ndjson")
WORKERS = "its work runs in worker processes, which memray does not follow"


def _applies(axis: str, chosen: Mapping[str, str]) -> bool:
    if axis == "executor":
        return chosen.get("engine", "lab") == "lab" and chosen.get("source", "csv") in PARTITIONED
    return axis not in OWN_AXES or chosen.get("engine", "lab") == "lab"


def _conflict(choices: Mapping[str, str]) -> str | None:
    engine = choices.get("engine", "lab")
    if engine != "lab" and choices.get("destination", "sqlite") != "sqlite":
        return f"the {engine} peer loads into SQLite here"
    if choices.get("load") == "copy" and choices.get("destination", "sqlite") != "postgres":
        return "COPY is PostgreSQL's: load=copy needs destination=postgres"
    return None


def setup(workload: Workload, choices: Mapping[str, str], params: Mapping[str, Any]) -> State:
    """Open the destination (a fresh SQLite file, or a schema of its own in PostgreSQL) and pick
    the input file of the chosen source format."""
    if choices.get("load") == "row" and (workload.rows or 0) > ROW_LIMIT:
        raise UsageError(
            f"load=row commits every row: it runs on tiers of at most {ROW_LIMIT:,} rows (small, medium), "
            f"not {workload.rows:,}; measure it there and extrapolate"
        )
    schema = load_schema(workload.schema_path) if workload.schema_path else TRANSACTIONS
    cleanup: list[Callable[[], None]] = []
    try:
        return _setup(workload, choices, schema, cleanup)
    except BaseException:
        for step in cleanup:
            step()
        raise


def _setup(
    workload: Workload, choices: Mapping[str, str], schema: Schema, cleanup: list[Callable[[], None]]
) -> State:
    fmt = choices.get("source", "csv") if workload.tier is not None else workload.fmt
    path = workload.ndjson() if fmt == "ndjson" and workload.tier is not None else workload.path
    source = str(path.resolve())
    api_url = None
    if fmt == "api":
        served = serving(path)
        api_url = served.__enter__()
        cleanup.append(lambda: served.__exit__(None, None, None))
        source = f"api:{workload.name}"
    into = workload.into
    if into is None:
        if choices.get("destination", "sqlite") == "postgres":
            into = services.url("postgres")
        else:
            folder = Path(tempfile.mkdtemp(prefix="lab-etl-"))
            cleanup.append(lambda: shutil.rmtree(folder, ignore_errors=True))
            into = str(folder / "destination.db")
    own = workload.into is None
    namespace = f"lab_etl_{os.getpid()}" if own else "lab_etl"
    dest = open_destination(schema, into, namespace)
    dest.open()
    if own:
        dest.clear()
    return State(workload, schema, dest, path, fmt, source, cleanup, api_url, into, namespace)


def reset(state: State) -> None:
    """An empty destination: the next run loads everything again."""
    if state.workload.into is None:
        state.dest.clear()


def teardown(state: State) -> None:
    try:
        if state.workload.into is None and hasattr(state.dest, "drop"):
            state.dest.drop()  # the run's own PostgreSQL schema
    finally:
        state.dest.close()
        for step in state.cleanup:
            step()


def run(
    state: State,
    *,
    engine: str = "lab",
    source: str = "csv",
    destination: str = "sqlite",
    load: str = "batch",
    mode: str = "stream",
    executor: str = "serial",
    batch_size: int = PARAMS["batch_size"],
    alert_quarantine_bp: int = PARAMS["alert_quarantine_bp"],
    restart: int = PARAMS["restart"],
    fail_after: int = 0,
    stop: Callable[[], bool] | None = None,
    **options: Any,
) -> Outcome:
    """Extract, transform and load the state's input; the outcome holds the destination's content
    in aggregate, the counts, and the times per stage."""
    if engine != "lab":
        result = PEERS[engine](state.path, state.schema, state.dest, state.source, batch_size)
        return outcome_of(result, state.dest, alert_quarantine_bp)
    if executor != "serial":
        schema_path = str(state.workload.schema_path) if state.workload.schema_path else None
        job = LoadJob(
            schema_path, state.fmt, state.into, state.namespace, load, mode, batch_size, bool(restart)
        )
        result = run_partitions(executor, state.path, job)
        return outcome_of(result, state.dest, alert_quarantine_bp)
    stats: dict[str, int] = {}
    if state.api_url is not None:
        records = api_records(state.api_url, state.schema, stats=stats)
    else:
        records = open_records(state.path, state.schema, state.fmt)
    result = run_pipeline(
        records,
        state.schema,
        state.dest,
        state.source,
        load=load,
        mode=mode,
        batch_size=batch_size,
        restart=bool(restart),
        fail_after=fail_after,
        stop=stop,
    )
    outcome = outcome_of(result, state.dest, alert_quarantine_bp)
    if stats:
        outcome.details["api"] = stats
    return outcome


def outcome_of(result: Result, dest: Destination, alert_quarantine_bp: int) -> Outcome:
    """The outcome of a pipeline run: the destination in aggregate, counts, stages, alerts."""
    answer = dest.summary()
    counts = dict(result.counts)
    details: dict[str, Any] = {
        "source": result.source,
        "load_id": result.load_id,
        "batches": result.batches,
        "resumed_from": result.resumed_from,
        "totals": result.totals,
        "invariant": "extracted == loaded + quarantined + duplicates",
        "invariant_holds": result.invariant_holds,
        "stage_s": result.stage_s,
        "reasons": dict(result.reasons),
        "already_loaded": result.already_loaded,
    }
    total = result.stage_s.get("total") or 0.0
    if total:
        details["rows_per_s"] = counts["extracted"] / total
    raised = alerts(result, alert_quarantine_bp)
    if raised:
        details["alerts"] = raised
    return Outcome(answer, fingerprint(answer), counts["extracted"], counts, details)


S = Strategy
SYSTEM = System(
    name="etl",
    description="extract, validate, clean, de-duplicate and load into SQLite or PostgreSQL (lesson 5)",
    unit="rows",
    axes=(
        Axis(
            "engine",
            "who runs the pipeline",
            (
                S("lab", "lab's own pipeline (the source, load and mode axes)"),
                S(
                    "pandas",
                    "pandas read_csv(chunksize=batch_size), vectorised checks, to_sql, an upsert per chunk",
                    packages=("pandas",),
                ),
                S(
                    "dlt",
                    "dlt: the checked pandas chunks as Arrow tables, one merge pipeline run (sqlalchemy)",
                    packages=("dlt", "sqlalchemy", "pandas"),
                ),
            ),
            reference="lab",
        ),
        Axis(
            "source",
            "where the records come from",
            (
                S("csv", "a CSV file read by the csv module, streamed"),
                S("ndjson", "a JSON-lines file, one object per line, streamed"),
                S(
                    "api",
                    "a paginated HTTP JSON API on loopback (lab's web framework on a WSGI server), "
                    "retried with backoff on transient errors",
                ),
            ),
            reference="csv",
        ),
        Axis(
            "destination",
            "where the rows are loaded",
            (
                S("sqlite", "a SQLite file (WAL, synchronous=NORMAL)"),
                S(
                    "postgres",
                    "PostgreSQL, a schema of the run's own",
                    services=("postgres",),
                    packages=("psycopg",),
                ),
            ),
            reference="sqlite",
        ),
        Axis(
            "load",
            "how a batch is written (upsert by natural key; rows, rejections, watermark in one commit)",
            (
                S("batch", "executemany per batch of batch_size records, one transaction each"),
                S("row", "one statement and one commit per row (small tiers only)"),
                S("row-tx", "one statement per row, one transaction for the whole load"),
                S("copy", "PostgreSQL COPY into a staging table, then one upsert from it, per batch"),
            ),
            reference="batch",
        ),
        Axis(
            "mode",
            "how records flow between the stages",
            (
                S("stream", "generators end to end: memory bounded by one batch"),
                S("materialize", "a list per stage: every record, then every transformed record"),
            ),
            reference="stream",
        ),
        Axis(
            "executor",
            "where the partitions of the input file are loaded",
            (
                S("serial", "the whole file in this process, one partition"),
                S(
                    "processes",
                    "one partition per core (byte ranges on line starts), each loaded by a process of a "
                    "pool with its own connection, transactions and watermark",
                    memory_note=WORKERS,
                ),
                S(
                    "dask",
                    "the partitions on a dask.distributed cluster (LAB_DASK_SCHEDULER, else a LocalCluster "
                    "made for the run)",
                    packages=("distributed",),
                ),
            ),
            reference="serial",
        ),
    ),
    params=PARAMS,
    applies=_applies,
    conflict=_conflict,
    prepare=prepare,
    setup=setup,
    run=run,
    reset=reset,
    teardown=teardown,
    options=command.OPTIONS,
    open_input=command.open_input,
    settings_from=command.settings_from,
    render=command.render,
    sweep=Sweep(("small",), ("engine", "source", "destination", "load", "mode", "executor"), 5),
)
strategies.register(SYSTEM)
