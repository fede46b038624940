"""Measurement records: one typed, versioned JSON line per measured run, under ``runs/``.

:class:`Record` is the one shape every measurement takes, built by :func:`make_record`
(or read back by :meth:`Record.from_json`). Reports read a record as a mapping
(``r["median_s"]``, ``r.get("peak_bytes")``) or by attribute. Exact decimals in an
answer survive the JSON round trip: written as ``{"$decimal": "12.3400"}`` and read
back as ``Decimal``; a float that is not finite is written as ``{"$float": "inf"}``,
so every line is valid JSON. Records written before the schema existed (version 1)
still load.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import os
import platform
import subprocess
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from lab import __version__
from lab.errors import InputError
from lab.measure.timing import Timing
from lab.paths import results_dir

__all__ = [
    "SCHEMA",
    "Record",
    "machine",
    "machine_text",
    "commit",
    "new_run_id",
    "make_record",
    "append_record",
    "load_records",
    "runs_dir",
    "encode",
    "decode",
]

#: The version of the record's shape. 1: the untyped records before it had a number.
SCHEMA = 2


def runs_dir() -> Path:
    return results_dir() / "runs"


@functools.cache
def machine() -> dict[str, Any]:
    """What ran the measurement: CPU, cores, Python, platform, lab version."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "lab": __version__,
    }


def machine_text(m: Mapping[str, object]) -> str:
    """``CPU, 8 cores, Python 3.12.1`` from a record's ``machine``: what makes two machines the same."""
    return f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, Python {m.get('python', '?')}"


@functools.cache
def commit() -> str:
    """The git commit of the working tree, with ``+dirty`` when tracked files changed
    (outside ``results/``, which measuring itself appends to)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def new_run_id() -> str:
    """A fresh id for one invocation (a sweep, a verification): records sharing it were
    measured side by side, so ratios between them are fair."""
    return uuid.uuid4().hex[:12]


def encode(value: Any) -> Any:
    """``value`` as plain JSON: decimals and non-finite floats tagged, containers recursed."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, dict):
        if value.keys() == {"$decimal"}:
            return Decimal(value["$decimal"])
        if value.keys() == {"$float"}:
            return float(value["$float"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


@dataclass(frozen=True)
class Record(Mapping[str, Any]):
    """One measured run. ``n`` items of the system's ``item`` kind (rows, transactions...) were
    done in each timed repeat; ``samples`` are seconds; ``peak_bytes`` is memray's peak heap of
    a separate run (``None`` with ``peak_note`` saying why); ``instructions`` are those one
    scenario call executed, counted under valgrind in a separate process (``None`` when not
    counted); ``run_id`` is shared by the records of one sweep or verification (measured side
    by side)."""

    system: str
    tier: str
    choices: dict[str, str]
    params: dict[str, Any]
    n: int
    samples: list[float]
    median_s: float | None
    iqr_s: float | None
    per_s: float | None
    peak_bytes: int | None
    fingerprint: str
    counts: dict[str, Any] = field(default_factory=dict)
    instructions: int | None = None
    answer: dict[str, Any] | None = None
    extras: dict[str, Any] | None = None
    peak_note: str | None = None
    partial: bool = False
    item: str = "items"
    unit: str = "s"
    run_id: str | None = None
    commit: str = "unknown"
    machine: dict[str, Any] = field(default_factory=dict)
    timestamp: str = ""
    source: str = "lab"
    schema: int = SCHEMA

    # Read as a mapping, so reports take records and plain dicts alike.
    def __getitem__(self, key: str) -> Any:
        if key not in _FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)

    def replace(self, **changes: Any) -> Record:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(encode(dataclasses.asdict(self)), sort_keys=True, allow_nan=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Record:
        """A record from its JSON object (any schema so far); unknown keys are dropped."""
        data = decode(dict(data))
        missing = [k for k in ("system", "tier", "n") if k not in data]
        if missing:
            raise InputError(f"not a lab record: no {', '.join(missing)}")
        known = {k: v for k, v in data.items() if k in _FIELDS}
        known.setdefault("schema", 1)
        for name, default in (("choices", {}), ("params", {}), ("samples", []), ("counts", {})):
            known[name] = known.get(name) or default
        for name in ("median_s", "iqr_s", "per_s", "peak_bytes"):
            known.setdefault(name, None)
        known.setdefault("fingerprint", "")
        known["partial"] = bool(known.get("partial"))
        return cls(**known)

    @classmethod
    def from_json(cls, line: str) -> Record:
        return cls.from_mapping(json.loads(line))


_FIELDS = tuple(f.name for f in dataclasses.fields(Record))


def make_record(
    *,
    system: str,
    tier: str,
    choices: Mapping[str, str],
    params: Mapping[str, Any],
    n: int,
    timing: Timing | None,
    peak_bytes: int | None,
    fingerprint: str,
    counts: Mapping[str, Any] | None = None,
    answer: Mapping[str, Any] | None = None,
    extras: Mapping[str, Any] | None = None,
    peak_note: str | None = None,
    partial: bool = False,
    item: str = "items",
    run_id: str | None = None,
    instructions: int | None = None,
    source: str = "lab",
) -> Record:
    """The record of one measured run, stamped with this machine, commit and time."""
    median = timing.median_s if timing else None
    return Record(
        system=system,
        tier=tier,
        choices=dict(choices),
        params=dict(params),
        n=n,
        samples=list(timing.samples_s) if timing else [],
        median_s=median,
        iqr_s=timing.iqr_s if timing else None,
        per_s=(n / median) if median else None,
        peak_bytes=peak_bytes,
        fingerprint=fingerprint,
        counts=dict(counts or {}),
        instructions=instructions,
        answer=dict(answer) if answer is not None else None,
        extras=dict(extras) if extras else None,
        peak_note=peak_note,
        partial=partial,
        item=item,
        run_id=run_id,
        commit=commit(),
        machine=machine(),
        timestamp=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        source=source,
    )


def append_record(record: Record, folder: Path | None = None) -> Path:
    """Append ``record`` as one JSON line to ``<results>/runs/<system>.jsonl``."""
    folder = folder or runs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.system}.jsonl"
    with open(path, "a", encoding="utf-8") as f:
        f.write(record.to_json() + "\n")
    return path


def load_records(paths: Iterable[Path] | None = None) -> list[Record]:
    """Every record in ``paths`` (files or folders of ``*.jsonl``; default: ``<results>/runs``).

    A line that is not a record is an :class:`InputError` naming the file and line.
    """
    out: list[Record] = []
    for path in paths or [runs_dir()]:
        path = Path(path)
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            if not file.exists():
                continue
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    out.append(Record.from_json(line))
                except (json.JSONDecodeError, InputError, TypeError, ValueError) as exc:
                    raise InputError(f"{file}:{number}: not a lab record ({exc})") from None
    return out
