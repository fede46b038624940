"""Helpers shared by the tests (plain functions, no fixtures)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lab import services
from lab.analytics import SYSTEM, run
from lab.analytics.readers import READERS

__all__ = [
    "LAB_COMBINATIONS",
    "PEER_ENGINES",
    "blocks",
    "label",
    "run_all",
    "write_csv",
    "close",
    "need_service",
]

#: The axes these tests vary; any other axis stays at its reference strategy.
VARIED = ("reader", "stats")


def _only_varied(choices: dict[str, str]) -> bool:
    return choices["engine"] == "lab" and all(
        v == SYSTEM.axis(k).reference for k, v in choices.items() if k not in VARIED
    )


#: Every valid combination of lab's own readers and stats methods.
LAB_COMBINATIONS = [c for c in SYSTEM.combinations() if _only_varied(c)]
PEER_ENGINES = [c["engine"] for c in SYSTEM.combinations() if c["engine"] != "lab"]


def blocks(choices: dict[str, str]) -> bool:
    """True for a block reader (the ones ``chunk_size`` applies to)."""
    return READERS[choices["reader"]].kind == "blocks"


def label(choices: dict[str, str], chunk_size: int | None = None) -> str:
    text = "-".join(choices[k] for k in VARIED if k in choices)
    return text if chunk_size is None else f"{text}/chunk{chunk_size}"


def run_all(workload, quarantine_dir: Path, chunk_sizes=(None,)) -> dict:
    """Run ``workload`` with every lab combination (block readers with each chunk size).

    Returns ``{label: Outcome}``; every run writes its quarantine file under ``quarantine_dir``.
    """
    outcomes = {}
    for choices in LAB_COMBINATIONS:
        sizes = chunk_sizes if blocks(choices) else (None,)
        for size in sizes:
            options = {} if size is None else {"chunk_size": size}
            folder = quarantine_dir / label(choices, size).replace("/", "-")
            outcomes[label(choices, size)] = run(workload, quarantine_dir=folder, **choices, **options)
    return outcomes


def write_csv(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (bytes exactly, or text as UTF-8 with no newline translation)."""
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def close(a: float | None, b: float | None, rel: float = 1e-9, abs_: float = 0.0) -> bool:
    """``a`` and ``b`` agree to ``rel`` (both ``None`` counts as agreement)."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def need_service(name: str) -> str:
    """The URL of service ``name``; skip the calling test when it does not answer
    (fail instead when ``LAB_REQUIRE_SERVICES=1``)."""
    reason = services.reachable(name)
    if reason:
        if services.required():
            pytest.fail(f"{reason}; LAB_REQUIRE_SERVICES is set, so this is a failure", pytrace=False)
        pytest.skip(reason)
    return services.url(name)
