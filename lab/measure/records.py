"""Measurement records: one JSON line per measured run, under ``results/runs/``."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lab import __version__
from lab.measure.timing import Timing
from lab.paths import results_dir

__all__ = ["machine", "commit", "make_record", "append_record", "load_records", "runs_dir"]


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
    counts: Mapping[str, int] | None = None,
    answer: Mapping[str, Any] | None = None,
    peak_note: str | None = None,
    unit: str = "s",
    source: str = "lab",
) -> dict[str, Any]:
    """A record of one measured run, in the shape every report reads."""
    record: dict[str, Any] = {
        "system": system,
        "tier": tier,
        "choices": dict(choices),
        "params": dict(params),
        "n": n,
        "unit": unit,
        "samples": timing.samples_s if timing else [],
        "median_s": timing.median_s if timing else None,
        "iqr_s": timing.iqr_s if timing else None,
        "per_s": (n / timing.median_s) if timing and timing.median_s > 0 else None,
        "peak_bytes": peak_bytes,
        "peak_note": peak_note,
        "fingerprint": fingerprint,
        "counts": dict(counts or {}),
        "answer": dict(answer) if answer is not None else None,
        "commit": commit(),
        "machine": machine(),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": source,
    }
    return record


def append_record(record: Mapping[str, Any], folder: Path | None = None) -> Path:
    """Append ``record`` as one JSON line to ``<results>/runs/<system>.jsonl``."""
    folder = folder or runs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record['system']}.jsonl"
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
    return path


def load_records(paths: Iterable[Path] | None = None) -> list[dict[str, Any]]:
    """Every record in ``paths`` (files or folders; default: ``<results>/runs``)."""
    out: list[dict[str, Any]] = []
    for path in paths or [runs_dir()]:
        path = Path(path)
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            if not file.exists():
                continue
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    out.append(json.loads(line))
    return out
