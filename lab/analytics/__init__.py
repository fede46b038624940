"""Lesson 1, streaming analytics: count, mean, variance, stddev, min and max of a
CSV column, overall and per group, with every malformed row quarantined; and, when
asked for, its p50, p95 and p99 (exact, or from a DDSketch) beside the answer.

The scenario :func:`run` is the one way every caller runs this system.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lab import strategies
from lab.analytics import command
from lab.analytics.csvinput import CsvInput, Table, inspect
from lab.analytics.methods import BLOCK_ONLY, METHODS, ROW_ONLY
from lab.analytics.parallel import open_executor, run_parallel
from lab.analytics.peers import PEERS
from lab.analytics.quantiles import DEFAULT_ACCURACY_BP, NO_QUANTILES, Quantiles
from lab.analytics.readers import CHUNK_LINES, READERS, make_reader
from lab.analytics.stats import Summary, merge_all
from lab.datagen import ensure_transactions, open_stream
from lab.errors import UsageError
from lab.outcome import Outcome, fingerprint
from lab.paths import results_dir
from lab.quarantine import Quarantine
from lab.strategies import Axis, Strategy, Sweep, System
from lab.tiers import Tier

__all__ = ["SYSTEM", "Workload", "prepare", "from_file", "run"]

#: The readers the executor axis can split into byte ranges.
PARALLEL_READERS = ("bytes",)


WORKERS = "its work runs in worker processes, which memray does not follow"
OWN_ALLOCATOR = (
    "it allocates through an allocator of its own from worker threads, so its peak moves with "
    "thread timing (asv, one call after a warm-up, duckdb at tiny on one commit: 6.68 MB, then "
    "9.17 MB); `lab run --memory` reports it beside the others"
)


def _applies(axis: str, chosen: Mapping[str, str]) -> bool:
    if axis == "executor":
        return chosen.get("engine", "lab") == "lab" and chosen.get("reader") in PARALLEL_READERS
    return axis == "engine" or chosen.get("engine", "lab") == "lab"


def _conflict(choices: Mapping[str, str]) -> str | None:
    reader, stats = choices.get("reader"), choices.get("stats")
    executor = choices.get("executor", "serial")
    if executor != "serial" and reader is not None and reader not in PARALLEL_READERS:
        return f"executor={executor} splits the file for the {', '.join(PARALLEL_READERS)} reader only"
    if reader is None or stats is None:
        return None
    kind = READERS[reader].kind
    if kind == "blocks" and stats in ROW_ONLY:
        return f"{stats} takes one value at a time; block readers pair with chan, naive, two-pass"
    if kind == "rows" and stats in BLOCK_ONLY:
        return f"{stats} merges per-block statistics; the {reader} reader yields single rows"
    return None


#: Bytes per generated row, to size a streamed tier's progress before it has been read.
STREAM_ROW_BYTES = 45


@dataclass(frozen=True)
class Workload:
    """The input of one analytics run: a CSV source and what is known about it.

    ``streamed`` and ``expected_bytes`` tell ``lab run`` how to show progress: a
    streamed input (a generator, never stored) is read in one timed pass that Ctrl-C
    can stop early.
    """

    name: str
    source: CsvInput
    rows: int | None = None
    bad_rows: int | None = None

    @property
    def streamed(self) -> bool:
        return self.source.opener is not None

    @property
    def expected_bytes(self) -> int | None:
        """The bytes a run reads, as far as known before it starts."""
        if self.streamed:
            return (self.rows or 0) * STREAM_ROW_BYTES or None
        try:
            return self.source.path.stat().st_size
        except OSError:
            return None


def prepare(
    tier: Tier,
    seed: int = 0,
    bad_rate: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> Workload:
    """Generate (once) and return the transaction file of ``tier``."""
    if not tier.stored:
        if bad_rate:
            raise UsageError(f"the {tier.name} tier is streamed from a generator with no bad rows")
        name = f"transactions-{tier.name}-seed{seed}-stream"
        opener = functools.partial(open_stream, tier.rows, tier.users, seed)
        return Workload(name, CsvInput(Path(name), "amount", "category", ",", opener), tier.rows, 0)
    data = ensure_transactions(tier.name, tier.rows, tier.users, seed, bad_rate, progress)
    name = data.path.stem
    return Workload(name, CsvInput(data.path, "amount", "category", ","), data.rows, data.bad_rows)


def from_file(
    path: str | Path,
    column: str = "amount",
    group_by: str | None = None,
    delimiter: str | None = None,
) -> Workload:
    """A user's own CSV file as a workload."""
    path = Path(path)
    return Workload(path.stem, CsvInput(path, column, group_by, delimiter))


def run(
    workload: Workload,
    *,
    engine: str | None = None,
    reader: str | None = None,
    stats: str | None = None,
    executor: str | None = None,
    quantiles: str | None = None,
    chunk_size: int = CHUNK_LINES,
    quantile_accuracy_bp: int = DEFAULT_ACCURACY_BP,
    progress: Callable[[int], None] | None = None,
    quarantine_dir: Path | None = None,
    stop: Callable[[], bool] | None = None,
) -> Outcome:
    """Compute the statistics of ``workload`` with the chosen strategies.

    Unset axes take their reference strategy (or the first one that fits the
    others); a combination that cannot work raises :class:`UsageError`.
    ``progress(bytes_read)`` is called as the file is read. When ``stop()`` turns
    true, a serial block reader ends early: the answer covers the rows read so far
    and is marked ``partial``. With ``quantiles`` other than ``none``, the outcome's
    ``extras["quantiles"]`` holds p50, p95 and p99 overall and per group (DDSketch's
    relative accuracy: ``quantile_accuracy_bp`` basis points); they never enter the
    fingerprint.
    """
    named = (
        ("engine", engine),
        ("reader", reader),
        ("stats", stats),
        ("executor", executor),
        ("quantiles", quantiles),
    )
    given = {k: v for k, v in named if v}
    choices = SYSTEM.complete(given)
    table = inspect(workload.source)
    wanted = Quantiles(choices.get("quantiles", "none"), quantile_accuracy_bp)
    started = time.perf_counter()
    details: dict[str, object] = {"choices": choices}
    extras: dict[str, object] = {}
    if choices["engine"] != "lab":
        overall, groups, rows_in, rows_ok = PEERS[choices["engine"]](table)
        counts = _counts(rows_ok, rows_in - rows_ok)
    else:
        folder = quarantine_dir or results_dir() / "quarantine"
        label = "-".join(choices.values())
        path = Quarantine.file_for(folder, workload.source.path, label)
        with Quarantine(path, table.delimiter) as quarantine:
            accumulators, counts, blocks, spread = _lab(
                table, choices, chunk_size, quarantine, progress, stop, wanted
            )
        if wanted.active:
            extras["quantiles"] = wanted.report(spread, grouped=table.key_index is not None)
        summaries = {k: acc.summary() for k, acc in accumulators.items()}
        overall = merge_all(list(accumulators.values())).summary() if accumulators else None
        groups = summaries if table.key_index is not None else {}
        details.update(blocks)
        if quarantine.count:
            details.update(quarantine_file=str(path), reasons=dict(quarantine.reasons))
    elapsed = time.perf_counter() - started
    answer: dict[str, object] = {
        "column": table.column,
        "group_by": table.group_by,
        "overall": _as_dict(overall),
        "groups": {k: groups[k].to_dict() for k in sorted(groups)},
    }
    if details.get("partial"):
        answer["partial"] = True  # stopped early: the statistics of the rows read so far
    details.update(elapsed_s=elapsed, rows_per_s=counts["rows_in"] / elapsed if elapsed else None)
    return Outcome(answer, _fingerprint(answer), counts["rows_in"], counts, details, extras)


def _lab(
    table: Table,
    choices: Mapping[str, str],
    chunk_size: int,
    quarantine: Quarantine,
    progress: Callable[[int], None] | None,
    stop: Callable[[], bool] | None = None,
    quantiles: Quantiles = NO_QUANTILES,
) -> tuple[dict, dict[str, int], dict[str, object], dict]:
    """lab's own readers and statistics: accumulators per key, row counts, block counts, and
    quantile accumulators per key."""
    reader, stats, executor = choices["reader"], choices["stats"], choices.get("executor", "serial")
    if executor != "serial":
        if table.opener is not None:
            raise UsageError(f"executor={executor} splits a file into byte ranges; this input is a stream")
        with open_executor(executor) as (pool, workers):
            merged = run_parallel(
                pool, workers, table, reader, stats, chunk_size, quarantine, progress, quantiles
            )
        if merged is not None:
            counts = _counts(merged.ok, merged.bad)
            blocks = {"exact_blocks": merged.exact_blocks, "fast_blocks": merged.fast_blocks}
            return merged.accumulators, counts, blocks, merged.quantiles
    source = make_reader(reader, table, quarantine=quarantine, chunk_size=chunk_size, progress=progress)
    source.stop = stop
    tapped, spread = quantiles.tap(source)
    accumulators = METHODS[stats](tapped)
    tally = source.tally
    counts = _counts(tally.ok, tally.bad)
    blocks: dict[str, object] = {"exact_blocks": source.exact_blocks, "fast_blocks": source.fast_blocks}
    if source.stopped:
        blocks["partial"] = True
    return accumulators, counts, blocks, spread


def _counts(ok: int, bad: int) -> dict[str, int]:
    """The run's tallies: records read, valid, and quarantined (or left out by a peer)."""
    return {"rows_in": ok + bad, "rows_ok": ok, "rows_quarantined": bad}


def _as_dict(summary: Summary | None) -> dict:
    """The overall summary as a dict; with no valid record, the same keys a peer engine gives."""
    return (summary or Summary.empty()).to_dict()


def _fingerprint(answer: dict) -> str:
    return fingerprint({"overall": answer["overall"], "groups": answer["groups"]})


S = Strategy
SYSTEM = System(
    name="analytics",
    description="streaming statistics of a CSV column, overall and per group (lesson 1)",
    unit="rows",
    axes=(
        Axis(
            "engine",
            "who computes the answer",
            (
                S("lab", "lab's own readers and statistics (the reader and stats axes)"),
                S(
                    "duckdb",
                    "DuckDB read_csv + SQL aggregates (peer baseline)",
                    packages=("duckdb",),
                    heap_note=OWN_ALLOCATOR,
                ),
                S(
                    "polars",
                    "polars scan_csv on the streaming engine (peer baseline)",
                    packages=("polars",),
                    heap_note=OWN_ALLOCATOR,
                ),
            ),
            reference="lab",
        ),
        Axis(
            "reader",
            "how rows get from the file to the statistics",
            (
                S("list", "load every valid row into a list first, then compute"),
                S("generator", "csv rows streamed one by one"),
                S("chunked", "numpy arrays per chunk of lines (np.loadtxt); chunk_size lines"),
                S("arrow", "pyarrow's CSV parser per chunk of lines, streamed", packages=("pyarrow",)),
                S("bytes", "raw byte blocks split and parsed by numpy alone, exact path per unsure block"),
            ),
            reference="generator",
        ),
        Axis(
            "executor",
            "where the blocks of the bytes reader are read: here, or split into byte ranges",
            (
                S("serial", "one pass over the file in this process"),
                S(
                    "processes",
                    "byte ranges read by a process pool, one worker per core; partials merged",
                    memory_note=WORKERS,
                ),
                S(
                    "dask",
                    "byte ranges read on a dask.distributed cluster (LAB_DASK_SCHEDULER, "
                    "else a LocalCluster made for the run); partials merged",
                    packages=("distributed",),
                    memory_note=WORKERS,
                ),
            ),
            reference="serial",
        ),
        Axis(
            "stats",
            "how the statistics are computed",
            (
                S("welford", "Welford's online update, one value at a time"),
                S("chan", "vectorised per-block statistics merged with Chan's formula"),
                S("two-pass", "mean first, then squared deviations (reads the data twice)"),
                S("naive", "sum and sum of squares (cancels catastrophically)"),
                S("stdlib", "every value kept, then the statistics module"),
            ),
            reference="welford",
        ),
        Axis(
            "quantiles",
            "p50, p95 and p99 overall and per group, beside the statistics",
            (
                S("none", "no quantiles (the statistics alone)"),
                S("exact", "every value kept, then numpy's 'lower' quantile: memory grows with the rows"),
                S(
                    "ddsketch",
                    "a mergeable DDSketch per group, within quantile_accuracy_bp/10000 relative error",
                ),
            ),
            reference="none",
        ),
    ),
    params={"chunk_size": CHUNK_LINES, "quantile_accuracy_bp": DEFAULT_ACCURACY_BP},
    applies=_applies,
    conflict=_conflict,
    refuses=lambda tier: None,  # every tier: the huge one is streamed from a generator
    prepare=prepare,
    run=run,
    options=command.OPTIONS,
    open_input=command.open_input,
    settings_from=command.settings_from,
    render=command.render,
    sweep=Sweep(("small", "medium", "large"), ("engine", "reader", "stats", "executor", "quantiles"), 5),
)
strategies.register(SYSTEM)
