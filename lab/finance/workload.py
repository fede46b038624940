"""The operations a run processes: generated per tier (deterministic for a tier and seed,
cached under the data folder), or read from a user's CSV or NDJSON file.

A file has the columns :data:`lab.finance.ledger.COLUMNS` (a CSV header names them, in any
order; NDJSON objects use them as keys). ``open`` rows define the accounts (``amount`` is the
opening balance, ``channel`` the account type, ``ref`` the customer) and are opened before
any other operation; every other row is an operation. A row that cannot be read (wrong
number of fields, not JSON) becomes a :data:`~lab.finance.ledger.MALFORMED` operation that
the ledger rejects with its reason and line.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from sys import intern

from lab.errors import InputError
from lab.finance.ledger import COLUMNS, DAY, MALFORMED
from lab.paths import data_dir
from lab.tiers import Tier

__all__ = ["Workload", "prepare", "from_file", "generate", "read_rows"]

#: The generated operations start here and span :data:`SPAN_DAYS` days (two month ends).
START = (date(2024, 1, 20).toordinal() - date(1970, 1, 1).toordinal()) * DAY
SPAN_DAYS = 45
Row = tuple[str, ...]
Account = tuple[str, str, str, str, str, int]  # id, type, customer, currency, opening amount, ts


@dataclass
class Workload:
    """Accounts to open, then the operations, and what the generator knows must happen."""

    name: str
    accounts: list[Account]
    rows: list[Row]
    #: For a generated tier: the rejections by reason and the duplicates it injected, exactly,
    #: and the compliance patterns it planted (each must raise at least one flag).
    expected: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.accounts) + len(self.rows)


def _amount(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.2f}"


def generate(tier: Tier, seed: int = 0) -> tuple[list[list[str]], dict]:
    """The rows of ``tier`` (``open`` rows first) and what was injected into them."""
    rng = random.Random(f"finance-{tier.name}-{seed}")
    rows: list[list[str]] = []
    by_currency: dict[str, list[str]] = {"USD": [], "EUR": []}
    owner: dict[str, str] = {}
    for i in range(tier.accounts):
        r = rng.random()
        kind, low, high = (
            ("checking", 500, 8_000)
            if r < 0.6
            else ("savings", 1_000, 50_000)
            if r < 0.9
            else ("money_market", 30_000, 150_000)
        )
        currency = "EUR" if rng.random() < 0.05 else "USD"
        account, customer = f"A{i:07d}", f"C{i // 2:07d}"
        by_currency[currency].append(account)
        owner[account] = customer
        rows.append(
            [f"open-{i}", str(START), "open", account, "", _amount(rng, low, high), currency, kind, customer]
        )
    currency_of = {a: c for c, accounts in by_currency.items() for a in accounts}
    usd = by_currency["USD"]
    invalid: Counter[str] = Counter()
    patterns: Counter[str] = Counter()
    duplicates = 0
    n, span = tier.rows, SPAN_DAYS * DAY
    i = 0
    made: list[list[str]] = []
    normal: list[list[str]] = []  # operations that are neither invalid nor planted: copied as duplicates
    while len(made) < n:
        ts = str(START + (len(made) * span) // n)
        txn = f"T{i:08d}"
        i += 1
        r = rng.random()
        account = rng.choice(usd)
        if r < 0.01:
            made.append(_invalid(rng, txn, ts, account, by_currency, invalid))
        elif r < 0.015 and normal:
            made.append(list(rng.choice(normal[-1000:])))
            duplicates += 1
        elif r < 0.02 and made:
            made.append([txn, ts, "reverse", "", "", "", "", "", rng.choice(made[-1000:])[0]])
        elif r < 0.0215:
            patterns["structuring"] += 1
            for k in range(2):
                made.append(
                    [f"{txn}s{k}", ts, "deposit", account, "", _amount(rng, 5_500, 9_500), "USD", "cash", ""]
                )
        elif r < 0.023:
            patterns["ctr"] += 1
            made.append([txn, ts, "deposit", account, "", _amount(rng, 10_000.01, 20_000), "USD", "cash", ""])
        elif r < 0.0235:
            patterns["velocity"] += 1
            for k in range(12):
                made.append(
                    [f"{txn}v{k}", ts, "deposit", account, "", _amount(rng, 5, 50), "USD", "electronic", ""]
                )
        else:
            kind = "deposit" if r < 0.4 else "withdrawal" if r < 0.7 else "transfer"
            to = ""
            if kind == "transfer":
                peers = by_currency[currency_of[account]]
                to = rng.choice(peers)
                while to == account and len(peers) > 1:
                    to = rng.choice(peers)
            channel = "cash" if kind != "transfer" and rng.random() < 0.3 else "electronic"
            amount = _amount(rng, 1, 400) if rng.random() < 0.95 else _amount(rng, 400, 4_000)
            made.append([txn, ts, kind, account, to, amount, "USD", channel, ""])
            normal.append(made[-1])
    rows += made[:n]
    expected = {"invalid": dict(invalid), "duplicates": duplicates, "patterns": dict(patterns)}
    return rows, expected


def _invalid(
    rng: random.Random, txn: str, ts: str, account: str, by_currency: dict[str, list[str]], seen: Counter
) -> list[str]:
    """One operation the ledger must reject, counted under the reason it must give."""
    case = rng.randrange(8)
    row = [txn, ts, "deposit", account, "", _amount(rng, 1, 400), "USD", "electronic", ""]
    reason = {
        0: "unknown account",
        1: "amount must be positive",
        2: "amount must be positive",
        3: "more than 4 decimal places",
        4: "amount is not finite",
        5: "amount is not finite",
        6: "currency mismatch",
        7: "malformed row: 8 fields, expected 9",
    }[case]
    if case == 0:
        row[3] = "A9999999"
    elif case in (1, 2):
        row[5] = "0.00" if case == 1 else "-" + row[5]
    elif case == 3:
        row[5] += "001"
    elif case in (4, 5):
        row[5] = "NaN" if case == 4 else "inf"
    elif case == 6:
        row[6] = "EUR"
    else:
        row = row[:8]
    seen[reason] += 1
    return row


def read_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """``(line, row)`` for each record of a CSV or NDJSON file (``.ndjson``/``.jsonl``: one JSON
    object a line); a record that is not a row becomes a ``MALFORMED`` row with its reason."""
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        yield from _ndjson(path)
    else:
        yield from _csv(path)


def _malformed(line: int, reason: str) -> Row:
    return (f"line:{line}", "", MALFORMED, "", "", "", "", f"malformed row: {reason}", "")


def _csv(path: Path) -> Iterator[tuple[int, Row]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path} is empty")
        header = [h.strip() for h in header]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InputError(f"{path}: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
        order = [header.index(c) for c in COLUMNS]
        width = len(header)
        for record in reader:
            line = reader.line_num
            if not record:
                continue
            if len(record) != width:
                yield line, _malformed(line, f"{len(record)} fields, expected {width}")
                continue
            yield line, tuple(record[k] for k in order)


def _ndjson(path: Path) -> Iterator[tuple[int, Row]]:
    with path.open(encoding="utf-8-sig") as f:
        for line, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except ValueError:
                yield line, _malformed(line, "not JSON")
                continue
            if not isinstance(obj, dict):
                yield line, _malformed(line, "not a JSON object")
                continue
            yield line, tuple("" if obj.get(c) is None else str(obj[c]) for c in COLUMNS)


def _split(name: str, records: Iterable[tuple[int, Row]], expected: dict | None = None) -> Workload:
    """Accounts and operations apart. The fields that repeat (kind, accounts, currency, channel)
    are interned: one string object per distinct value, so that the ledger's dict lookups and
    comparisons on them succeed by identity without reading a second string in memory."""
    accounts: list[Account] = []
    rows: list[Row] = []
    for line, row in records:
        txn, ts, kind, account, to, amount, currency, channel, ref = row
        kind, account, to, currency, channel = map(intern, (kind, account, to, currency, channel))
        if kind == "open":
            opened = int(ts) if ts.isdigit() else START
            accounts.append((account, channel, intern(ref), currency, amount, opened))
        else:
            rows.append((txn or f"line:{line}", ts, kind, account, to, amount, currency, channel, ref))
    return Workload(name, accounts, rows, expected or {})


def from_file(path: str | Path) -> Workload:
    """A user's own operations file (CSV, or NDJSON by its suffix) as a workload."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    return _split(f"file:{path.name}", read_rows(path))


def prepare(tier: Tier, seed: int = 0, progress: object = None) -> Workload:
    """The workload of ``tier``: generated once into the data folder, then read from there."""
    folder = data_dir() / "finance"
    path = folder / f"ops-{tier.name}-seed{seed}.csv"
    meta = path.with_suffix(".json")
    if not (path.exists() and meta.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        rows, expected = generate(tier, seed)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        partial.replace(path)
        meta.write_text(json.dumps(expected, sort_keys=True))
    expected = json.loads(meta.read_text())
    return _split(f"finance-{tier.name}-seed{seed}", read_rows(path), expected)
