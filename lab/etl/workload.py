"""The ETL workload: a transaction CSV with what real feeds hold: duplicates, untidy values, bad rows.

Columns ``id,user_id,amount,category,timestamp`` (the schema :data:`lab.etl.schema.TRANSACTIONS`).
Of every 1,000 records about 10 repeat an earlier record exactly (a feed re-sent), 30 spell the
category untidily (``" Dining"``, ``"GROCERIES"``), and 5 are bad (an amount that is not a
number, a negative amount, a missing field, an unknown category, an impossible date). The
same (tier, seed) gives the same bytes; the file is written once under the data folder,
and its NDJSON twin only when a run reads NDJSON.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lab.datagen import CATEGORIES
from lab.paths import data_dir
from lab.tiers import Tier

__all__ = ["Workload", "prepare", "from_file", "generate", "BAD_KINDS"]

BAD_KINDS = ("amount_text", "negative", "missing_field", "unknown_category", "bad_date")
DUPLICATE_RATE = 0.01
UNTIDY_RATE = 0.03
BAD_RATE = 0.005
_HEADER = "id,user_id,amount,category,timestamp"
_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z


@dataclass(frozen=True)
class Workload:
    """An ETL input: a file, its format, its schema file (``None``: the transactions schema)."""

    name: str
    path: Path
    rows: int | None = None
    fmt: str = "csv"
    schema_path: Path | None = None
    into: str | None = None
    tier: str | None = None

    @property
    def streamed(self) -> bool:
        """A load into a named destination happens once (no warm-up, no repeats): it is for real."""
        return self.into is not None

    @property
    def expected_bytes(self) -> int | None:
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def ndjson(self) -> Path:
        """The same records as JSON lines (written once, beside the CSV)."""
        path = self.path.with_suffix(".ndjson")
        if not path.exists():
            _to_ndjson(self.path, path)
        return path


def generate(rows: int, users: int, seed: int = 0) -> Iterator[str]:
    """The CSV's lines, header first (with line ends)."""
    rng = random.Random(seed)
    lognorm, randint, random_ = rng.lognormvariate, rng.randint, rng.random
    yield _HEADER + "\n"
    recent: list[str] = []
    import datetime as dt

    day_cache: dict[int, str] = {}
    made = 0
    i = 0
    while made < rows:
        r = random_()
        if r < DUPLICATE_RATE and recent:
            yield recent[randint(0, len(recent) - 1)]
            made += 1
            continue
        seconds = _EPOCH + i * 7
        day = seconds // 86_400
        date = day_cache.get(day)
        if date is None:
            date = day_cache[day] = dt.datetime.fromtimestamp(day * 86_400, dt.UTC).strftime("%Y-%m-%d")
        s = seconds % 86_400
        ts = f"{date}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        amount = f"{lognorm(3.5, 1.0):.2f}"
        category = CATEGORIES[randint(0, 7)]
        user = randint(1, users)
        if r < DUPLICATE_RATE + UNTIDY_RATE:
            category = (
                (" " + category.capitalize()) if r < DUPLICATE_RATE + UNTIDY_RATE / 2 else category.upper()
            )
        elif r < DUPLICATE_RATE + UNTIDY_RATE + BAD_RATE:
            kind = BAD_KINDS[randint(0, len(BAD_KINDS) - 1)]
            line = _bad(kind, i, user, amount, category, ts)
            i += 1
            made += 1
            yield line
            continue
        line = f"{i},{user},{amount},{category},{ts}\n"
        if len(recent) < 64:
            recent.append(line)
        else:
            recent[randint(0, 63)] = line
        i += 1
        made += 1
        yield line


def _bad(kind: str, i: int, user: int, amount: str, category: str, ts: str) -> str:
    if kind == "amount_text":
        return f"{i},{user},N/A,{category},{ts}\n"
    if kind == "negative":
        return f"{i},{user},-{amount},{category},{ts}\n"
    if kind == "missing_field":
        return f"{i},{user},{amount},{category}\n"
    if kind == "unknown_category":
        return f"{i},{user},{amount},gambling,{ts}\n"
    return f"{i},{user},{amount},{category},{ts[:5]}13-45{ts[10:]}\n"


def prepare(tier: Tier, seed: int = 0, progress: Callable[[int, int], None] | None = None) -> Workload:
    """Write (once) and return the ETL input of ``tier``."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"etl-{tier.name}-seed{seed}"
    path = folder / f"{name}.csv"
    if not path.exists():
        part = path.with_suffix(".part")
        with open(part, "w", encoding="utf-8", newline="") as f:
            lines: list[str] = []
            for n, line in enumerate(generate(tier.rows, tier.users, seed)):
                lines.append(line)
                if len(lines) == 20_000:
                    f.write("".join(lines))
                    lines.clear()
                    if progress is not None:
                        progress(n, tier.rows)
            f.write("".join(lines))
        part.replace(path)
    return Workload(name, path, tier.rows, tier=tier.name)


def from_file(path: str | Path, schema: str | Path | None = None, into: str | None = None) -> Workload:
    """A user's own file (CSV, or NDJSON by its suffix) as a workload."""
    path = Path(path)
    fmt = "ndjson" if path.suffix.lower() in (".ndjson", ".jsonl") else "csv"
    return Workload(path.stem, path, None, fmt, Path(schema) if schema else None, into)


def _to_ndjson(csv_path: Path, out: Path) -> None:
    """The CSV's records as JSON lines: each value as the CSV spells it (a missing field absent)."""
    import csv

    part = out.with_suffix(".part")
    with open(csv_path, encoding="utf-8", newline="") as src, open(part, "w", encoding="utf-8") as dst:
        reader = csv.reader(src)
        header = next(reader)
        for fields in reader:
            dst.write(json.dumps(dict(zip(header, fields, strict=False)), separators=(",", ":")) + "\n")
    part.replace(out)
