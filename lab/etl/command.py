"""What ``lab run etl`` adds: a user's own file, its schema and destination, and how a load is shown."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lab.errors import UsageError
from lab.outcome import Outcome
from lab.strategies import Option
from lab.tiers import Tier

__all__ = ["OPTIONS", "open_input", "settings_from", "render"]

OPTIONS = (
    Option(
        "--input",
        "your own file to load (CSV, or NDJSON by its .ndjson/.jsonl suffix)",
        metavar="FILE",
        instead_of_tier=True,
    ),
    Option("--schema", "the JSON schema of --input (fields, types, bounds, key)", metavar="FILE"),
    Option(
        "--into",
        "where to load: sqlite:///path.db (a file) or postgresql://user@host/db (default for --input: "
        "sqlite:///etl.db)",
        metavar="URL",
    ),
)


def open_input(
    values: Mapping[str, Any],
    tier: Tier | None,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Any, str] | None:
    """The workload of ``--input`` (loaded once, for real, into ``--into``); a tier's workload
    loaded into ``--into`` when only that is given; ``None`` for a measured tier run."""
    from lab.etl.workload import from_file, prepare

    into = values.get("into")
    if values.get("input"):
        if not values.get("schema"):
            raise UsageError("--input needs --schema FILE (the fields of your records, as JSON)")
        workload = from_file(values["input"], values["schema"], into or "sqlite:///etl.db")
        return workload, f"file:{Path(values['input']).name}"
    if values.get("schema"):
        raise UsageError("--schema is for --input")
    if into:
        if tier is None:
            raise UsageError("--into without --input loads a tier: name it with --tier")
        return dataclasses.replace(prepare(tier, seed, progress), into=into), tier.name
    return None


def settings_from(values: Mapping[str, Any]) -> dict[str, str]:
    """A PostgreSQL ``--into`` chooses ``destination=postgres``."""
    into = values.get("into") or ""
    if urlsplit(into).scheme in ("postgres", "postgresql"):
        return {"destination": "postgres"}
    return {}


def render(outcome: Outcome) -> list[str]:
    """The load for people: what happened to the records, where time went, any alert."""
    c, d = outcome.counts, outcome.details
    lines = []
    if d.get("already_loaded"):
        lines.append(
            f"  {d['source']} was loaded already (load {d['load_id']}): nothing to do "
            "(--set restart=1 loads it again; unchanged rows stay as they are)"
        )
    else:
        resumed = f", resumed after record {d['resumed_from']:,}" if d.get("resumed_from") else ""
        lines.append(
            f"  load {d['load_id']}: extracted {c['extracted']:,} = loaded {c['loaded']:,} + quarantined "
            f"{c['quarantined']:,} + duplicates {c['duplicates']:,} "
            f"({'holds' if d['invariant_holds'] else 'DOES NOT HOLD'}) in {d['batches']} batches{resumed}"
        )
        stages = ", ".join(f"{k} {v:.3f} s" for k, v in d["stage_s"].items())
        lines.append(f"  stages: {stages}")
    answer = outcome.answer
    lines.append(
        f"  destination holds {answer['rows']:,} rows and {answer['quarantined']:,} quarantined records"
    )
    for reason, n in sorted(d.get("reasons", {}).items(), key=lambda kv: -kv[1])[:5]:
        lines.append(f"    quarantined: {n:,} x {reason}")
    for alert in d.get("alerts", []):
        lines.append(
            f"  [bold red]ALERT[/] {alert['alert']}: {alert['rate']:.2%} of records quarantined "
            f"(threshold {alert['threshold']:.2%})"
        )
    return lines
