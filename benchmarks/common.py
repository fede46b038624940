"""What the asv suites share: the tiers to run, the strategy combinations, the workloads.

Every suite calls a system only through its scenario (``prepare`` then ``run``),
with the combinations the system itself lists: each strategy of each axis, the
others at their reference (the full cross product is far too large to time).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lab import tiers
from lab.errors import UsageError
from lab.strategies import System

__all__ = [
    "DEFAULT_TIERS",
    "ROOT",
    "SEED",
    "choices_for",
    "combination_labels",
    "label",
    "prepare_all",
    "tier_names",
    "use_data_dir",
]

#: The repository the suites live in (asv runs each benchmark in a fresh temporary folder).
ROOT = Path(__file__).resolve().parent.parent
#: Tiers used when ``LAB_TIERS`` is not set: small enough for a shared machine.
DEFAULT_TIERS = "tiny,small,medium"
#: One fixed seed: the same tier always gives the same bytes.
SEED = 0


def tier_names() -> list[str]:
    """The tier names from ``LAB_TIERS`` (comma-separated), or :data:`DEFAULT_TIERS`."""
    text = os.environ.get("LAB_TIERS") or DEFAULT_TIERS
    return [tier.name for tier in tiers.parse_tiers(text)]


def use_data_dir() -> Path:
    """Make ``LAB_DATA_DIR`` absolute (default: the repository's ``data`` folder) and return it.

    asv runs benchmarks with a temporary working directory, so a relative data
    folder would be generated again for every benchmark; a relative
    ``LAB_DATA_DIR`` is read from the repository root instead.
    """
    folder = Path(os.environ.get("LAB_DATA_DIR") or "data")
    if not folder.is_absolute():
        folder = ROOT / folder
    os.environ["LAB_DATA_DIR"] = str(folder)
    return folder


def label(choices: Mapping[str, str]) -> str:
    """A short parameter label for a combination: ``lab/generator/welford``, ``duckdb``."""
    return "/".join(choices.values())


def combination_labels(system: System) -> list[str]:
    """The label of each strategy of each axis, the other axes at their reference."""
    return [label(choices) for choices in system.one_at_a_time()]


def choices_for(system: System, name: str) -> dict[str, str]:
    """The combination called ``name``; ``NotImplementedError`` (asv: skipped) if it cannot run here."""
    for choices in system.one_at_a_time():
        if label(choices) == name:
            reason = system.unavailable(choices)
            if reason:
                raise NotImplementedError(reason)
            return choices
    raise ValueError(f"no combination {name!r} in system {system.name!r}")


def prepare_all(systems: Sequence[System], names: list[str], seed: int = SEED) -> dict[str, dict[str, Any]]:
    """Each system's workload of each tier (generated once under the data folder, then
    reused), by system and tier name; a tier a system refuses is left out."""
    from lab import harness

    use_data_dir()
    out: dict[str, dict[str, Any]] = {}
    for system in systems:
        out[system.name] = {}
        for name in names:
            try:
                out[system.name][name] = harness.workload_for(system, tiers.get(name), seed)
            except UsageError:
                continue
    return out
