"""Loading into a durable store so that a crash loses nothing: resume = replay the log, then
process the operations again (every transaction already in the log is skipped by its id).

``python -m lab.finance.durable STORE WHERE TIER COMMIT_BATCH [SEED]`` loads a tier's
workload into a SQLite file (``WHERE`` its path) or a PostgreSQL schema (``WHERE`` its name),
resuming whatever is there; it prints ``ready`` once the store is open. The crash tests
kill it at random points.
"""

from __future__ import annotations

import sys

from lab import tiers
from lab.finance.ledger import Ledger
from lab.finance.money import MONEY
from lab.finance.process import load, replay
from lab.finance.stores import PostgresStore, SqliteStore, Store
from lab.finance.workload import Workload, prepare

__all__ = ["open_store", "resume", "main"]


def open_store(kind: str, where: str, money: str = "decimal") -> Store:
    """The durable store ``kind`` at ``where`` (a SQLite path, a PostgreSQL schema), as it is."""
    m = MONEY[money]
    return SqliteStore(m, where) if kind == "sqlite" else PostgresStore(m, schema=where)


def resume(store: Store, workload: Workload, commit_batch: int) -> Ledger:
    """Rebuild the state from the store's log, then process ``workload`` to its end."""
    ledger = replay(store, store.money)
    load(ledger, store, workload, commit_batch=commit_batch)
    return ledger


def main(argv: list[str]) -> int:
    kind, where, tier, batch = argv[:4]
    seed = int(argv[4]) if len(argv) > 4 else 0
    workload = prepare(tiers.get(tier), seed)
    store = open_store(kind, where)
    print("ready", flush=True)
    try:
        resume(store, workload, int(batch))
    finally:
        store.db.close()  # type: ignore[attr-defined]
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
