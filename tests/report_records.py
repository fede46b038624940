"""Synthetic measurement records for the report tests: nothing is run, every figure is chosen."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

from lab.measure import Record, machine
from lab.tiers import TIERS

STREAMING = {"engine": "lab", "reader": "generator", "stats": "welford"}
LISTING = {"engine": "lab", "reader": "list", "stats": "welford"}
#: The machine running the tests: reports and verdicts read this machine's records by default.
MACHINE = machine()
#: Another machine, for the tests that keep machines apart.
OTHER_MACHINE = {"cpu": "Test CPU 3000", "cores": 2, "python": "3.11.0", "platform": "Linux", "lab": "0.1.0"}


def record(
    tier: str = "large",
    choices: Mapping[str, str] = STREAMING,
    *,
    system: str = "analytics",
    median: float = 1.0,
    peak: int | None = 100_000,
    n: int | None = None,
    samples: list[float] | None = None,
    counts: Mapping[str, int] | None = None,
    timestamp: str = "2026-01-01T00:00:00+00:00",
    commit: str = "abc123def456",
    **extra: Any,
) -> Record:
    """A record of this machine (unless ``machine=`` says otherwise) with the given figures."""
    samples = samples if samples is not None else [median * f for f in (0.98, 0.99, 1.0, 1.01, 1.02)]
    rows = n if n is not None else (TIERS[tier].rows if tier in TIERS else 1)
    fields: dict[str, Any] = {
        "system": system,
        "tier": tier,
        "choices": dict(choices),
        "params": {},
        "n": rows,
        "unit": "s",
        "samples": samples,
        "median_s": statistics.median(samples) if samples else median,
        "iqr_s": 0.02 * median,
        "per_s": rows / median,
        "peak_bytes": peak,
        "fingerprint": "f" * 16,
        "counts": dict(counts or {"rows_in": rows}),
        "commit": commit,
        "machine": MACHINE,
        "timestamp": timestamp,
        "source": "lab",
        **extra,
    }
    return Record.from_mapping(fields)
