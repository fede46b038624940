"""pytest-benchmark JSON (``--benchmark-json`` or ``--benchmark-autosave``) as lab records.

A benchmark names its system, tier and items through ``benchmark.extra_info``
(``system``, ``tier``, ``choices``, ``n``); without them the system is read from
the test module (``test_NAME_bench.py`` -> ``NAME``), the tier from a
``tier`` parameter, and the choices from the other string parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lab.errors import InputError
from lab.measure.records import SCHEMA, Record

__all__ = ["to_records", "load"]


def _system(bench: Mapping[str, Any]) -> str:
    module = Path(str(bench.get("fullname", "")).split("::")[0]).stem
    name = module.removeprefix("test_").removesuffix("_bench").removesuffix("_benchmark")
    return name or "pytest"


def _record(bench: Mapping[str, Any], doc: Mapping[str, Any]) -> Record:
    extra = bench.get("extra_info") or {}
    params = {k: v for k, v in (bench.get("params") or {}).items() if k != "choices"}
    choices = extra.get("choices") or (bench.get("params") or {}).get("choices")
    if not isinstance(choices, dict):
        choices = {k: v for k, v in params.items() if isinstance(v, str) and k != "tier"}
    if not choices:
        choices = {"benchmark": bench.get("name", "?")}
    stats = bench["stats"]
    n = int(extra.get("n") or 1)
    machine = doc.get("machine_info") or {}
    cpu = machine.get("cpu") or {}
    commit = doc.get("commit_info") or {}
    return Record.from_mapping(
        {
            "schema": SCHEMA,
            "system": str(extra.get("system") or _system(bench)),
            "tier": str(extra.get("tier") or params.get("tier") or "unknown"),
            "choices": {str(k): str(v) for k, v in choices.items()},
            "params": {},
            "n": n,
            "unit": "s",
            "samples": list(stats.get("data") or []),
            "median_s": stats["median"],
            "iqr_s": stats.get("iqr"),
            "per_s": n / stats["median"] if stats.get("median") else None,
            "peak_bytes": None,
            "fingerprint": "",
            "counts": {},
            "commit": str(commit.get("id", "unknown"))[:12] + ("+dirty" if commit.get("dirty") else ""),
            "machine": {
                "cpu": cpu.get("brand_raw") or machine.get("processor") or "?",
                "cores": cpu.get("count"),
                "python": machine.get("python_version"),
                "platform": machine.get("system"),
            },
            "timestamp": doc.get("datetime", ""),
            "source": "pytest-benchmark",
        }
    )


def to_records(doc: Mapping[str, Any]) -> list[Record]:
    """The records of one pytest-benchmark JSON document (benchmarks without stats are left out)."""
    return [_record(b, doc) for b in doc.get("benchmarks", []) if b.get("stats")]


def load(paths: Iterable[str | Path]) -> list[Record]:
    """Records from pytest-benchmark JSON files, or every ``*.json`` under the given folders."""
    out: list[Record] = []
    for path in map(Path, paths):
        files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        if not path.exists():
            raise InputError(f"no pytest-benchmark results at {path}")
        for file in files:
            try:
                doc = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(f"{file} is not pytest-benchmark JSON: {exc}") from None
            if not isinstance(doc, dict) or "benchmarks" not in doc:
                raise InputError(f"{file} is not pytest-benchmark JSON (no 'benchmarks')")
            out += to_records(doc)
    return out
