"""One run of the ledger over a workload: open the accounts, process the operations batch by
batch (each batch's events committed to the store whole), take snapshots, then replay."""

from __future__ import annotations

import functools
import gc
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from lab.finance.ledger import Ledger, Lookup
from lab.finance.money import INT, Money
from lab.finance.stores import Store
from lab.finance.workload import Workload

__all__ = ["lookups", "load", "replay", "audit", "drift"]


def lookups(kind: str, ledger: Ledger, store: Store, cache_size: int) -> tuple[Lookup, Callable, Any]:
    """The account lookup of ``kind``: one account, a set of them (batch apply), and the cache if any."""
    if kind == "dict":
        get = ledger.directory.get
        return get, lambda ids: {i: get(i) for i in ids}, None
    if kind == "lru_cache":
        cached = functools.lru_cache(maxsize=cache_size)(store.account)
        return cached, lambda ids: {i: cached(i) for i in ids}, cached
    return store.account, store.accounts, None


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: a snapshot makes or reads millions of objects, none
    of them garbage, and each collection they set off would walk the whole heap."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load(
    ledger: Ledger,
    store: Store,
    workload: Workload,
    *,
    apply: str = "row",
    commit_batch: int = 1_000,
    snapshot_every: int = 0,
    lookup_many: Callable | None = None,
    check: Callable[[Ledger], None] | None = None,
    after_commit: Callable[[int], None] | None = None,
) -> None:
    """Open the workload's accounts, then process its rows in batches of ``commit_batch``; each
    batch's events go to ``store`` in one commit. With ``snapshot_every``, the state is
    snapshotted after the first commit that ends ``snapshot_every`` events past the last one.
    ``check(ledger)`` runs after every batch; ``after_commit(batch)`` after every commit."""
    for account, kind, customer, currency, amount, ts in workload.accounts:
        ledger.open(account, kind, customer, currency, amount, ts)
    last_snapshot = store.seq
    rows = workload.rows
    handle = ledger.handle
    for start in range(-commit_batch, len(rows), commit_batch):
        if start >= 0:
            chunk = rows[start : start + commit_batch]
            if apply == "row":
                for row in chunk:
                    handle(row)
            else:
                ledger.handle_batch(chunk, lookup_many or (lambda ids: {i: ledger.lookup(i) for i in ids}))
        if ledger.out:
            store.append(ledger.out)
            ledger.out = []
            if after_commit is not None:
                after_commit(store.batch)
        if snapshot_every and store.seq - last_snapshot >= snapshot_every:
            with gc_paused():
                store.put_snapshot(pickle.dumps(ledger, protocol=pickle.HIGHEST_PROTOCOL))
            last_snapshot = store.seq
        if check is not None:
            check(ledger)


def replay(store: Store, money: Money, mode: str = "full") -> Ledger:
    """The state folded from the store's log: from the start (``full``), or from the latest
    snapshot and the events after it (``snapshot``)."""
    snap = store.snapshot() if mode == "snapshot" else None
    if snap is None:
        ledger, after = Ledger(money), 0
    else:
        after, blob = snap
        with gc_paused():
            ledger = pickle.loads(blob)
    evolve = ledger.evolve
    for event in store.events(after):
        evolve(event)
    return ledger


def audit(store: Store) -> Ledger:
    """The exact state of a float log: every amount read back as whole units of 1/10,000,
    folded in integers."""
    ledger = Ledger(INT)
    evolve = ledger.evolve
    for e in store.events():
        evolve((e[0], e[1], e[2], e[3], e[4], round(e[5] * 10_000), e[6]))
    return ledger


def drift(live: Ledger, exact: Ledger) -> dict[str, Any]:
    """How far a float ledger's balances are from the exact ones, in cents."""
    worst = Decimal(0)
    off = 0
    total = Decimal(0)
    for account, st in live.accounts.items():
        gap = Decimal(st.balance) - Decimal(exact.accounts[account].balance).scaleb(-4)
        total += gap
        if gap:
            off += 1
            worst = max(worst, abs(gap))
    return {
        "max_account_cents": float(worst * 100),
        "total_cents": float(total * 100),
        "accounts_off": off,
        "accounts": len(live.accounts),
    }
