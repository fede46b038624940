"""Lesson 2, finance: accounts, an event-sourced ledger with compliance checks, in three money
representations, with its log in memory, SQLite or PostgreSQL.

A run opens the workload's accounts, processes every operation (validation, limits,
compliance, the lifecycle, events committed batch by batch), then replays the log and
checks the replayed state against the live one. The answer is exact: totals, lifecycle
counts, rejections by reason, flags by rule, and a digest of every balance.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lab import strategies
from lab.finance import command
from lab.finance.ledger import Ledger
from lab.finance.money import MONEY, Money
from lab.finance.process import audit, drift, load, lookups, replay
from lab.finance.stores import Store, make_store
from lab.finance.workload import Workload, prepare
from lab.outcome import Outcome, fingerprint
from lab.strategies import Axis, Strategy, Sweep, System

__all__ = ["SYSTEM", "State", "setup", "run", "reset", "teardown", "answer_of"]

PARAMS = {"commit_batch": 1_000, "snapshot_every": 100_000, "cache_size": 10_000}


@dataclass
class State:
    """What a run needs, made outside the timed region: the workload, the money, the store."""

    workload: Workload
    money: Money
    store: Store
    #: The ledger of the latest run (tests read its events and state).
    ledger: Ledger | None = None


def _conflict(choices: Mapping[str, str]) -> str | None:
    if choices.get("money") == "float" and choices.get("replay") == "snapshot":
        return "float's replay is its exact audit (a full fold in units of 1/10,000), never a snapshot"
    return None


def setup(workload: Workload, choices: Mapping[str, str], params: Mapping[str, Any]) -> State:
    """Make the store (schema, connection) and write the accounts' records a lookup reads."""
    money = MONEY[choices["money"]]
    store = make_store(choices["store"], money)
    try:
        opened = Ledger(money)
        for account, kind, customer, currency, amount, ts in workload.accounts:
            opened.open(account, kind, customer, currency, amount, ts)
        store.put_accounts(opened.directory.values())
    except BaseException:
        store.close()
        raise
    return State(workload, money, store)


def reset(state: State) -> None:
    """An empty log and no snapshots: the next run starts from the opening balances again."""
    state.store.clear()
    state.ledger = None


def teardown(state: State) -> None:
    state.store.close()


def run(
    state: State,
    *,
    money: str = "decimal",
    store: str = "memory",
    replay: str = "full",
    lookup: str = "dict",
    apply: str = "row",
    commit_batch: int = PARAMS["commit_batch"],
    snapshot_every: int = PARAMS["snapshot_every"],
    cache_size: int = PARAMS["cache_size"],
    check: Callable[[Ledger], None] | None = None,
    **options: Any,
) -> Outcome:
    """Process the workload, then replay the log; the outcome's answer is the ledger's."""
    started = time.perf_counter()
    ledger = Ledger(state.money)
    one, many, cache = lookups(lookup, ledger, state.store, cache_size)
    ledger.lookup = one
    load(
        ledger,
        state.store,
        state.workload,
        apply=apply,
        commit_batch=commit_batch,
        snapshot_every=snapshot_every if replay == "snapshot" else 0,
        lookup_many=many,
        check=check,
    )
    processed = time.perf_counter()
    extras: dict[str, Any] = {}
    if money == "float":
        exact = audit(state.store)
        extras["drift"] = drift(ledger, exact)
        matches = all(
            state.money.units(st.balance) == exact.accounts[k].balance for k, st in ledger.accounts.items()
        )
    else:
        matches = replay_view(state.store, state.money, replay) == ledger.view()
    replayed = time.perf_counter()
    state.ledger = ledger
    answer = answer_of(ledger)
    answer["replay_matches"] = matches
    counts = {
        "transactions": len(state.workload.rows),
        "posted": answer["lifecycle"].get("POSTED", 0),
        "rejected": sum(ledger.reasons.values()),
        "held": len(ledger.held),
        "flagged": sum(ledger.flags.values()),
        "duplicates": ledger.duplicates,
        "events": sum(ledger.kinds.values()),
    }
    if cache is not None:
        info = cache.cache_info()
        counts.update(cache_hits=info.hits, cache_misses=info.misses)
    details = {
        "process_s": processed - started,
        "replay_s": replayed - processed,
        "transactions_per_s": len(state.workload.rows) / (processed - started)
        if processed > started
        else None,
    }
    return Outcome(answer, fingerprint(answer), len(state.workload.rows), counts, details, extras)


def replay_view(store: Store, money: Money, mode: str) -> tuple:
    return replay(store, money, mode).view()


def answer_of(ledger: Ledger) -> dict[str, Any]:
    """The ledger's answer, exact (4 dp decimals): every strategy must give the same."""
    exact = ledger.money.exact
    balances = sorted((k, exact(st.balance)) for k, st in ledger.accounts.items())
    digest = hashlib.sha256("\n".join(f"{k}={v:.4f}" for k, v in balances).encode()).hexdigest()[:16]
    total = sum((v for _, v in balances), exact(ledger.zero))
    deposits, withdrawals = exact(ledger.deposits), exact(ledger.withdrawals)
    fees, interest = exact(ledger.fees), exact(ledger.interest)
    return {
        "accounts": len(balances),
        "total_balance": total,
        "deposits": deposits,
        "withdrawals": withdrawals,
        "fees": fees,
        "interest": interest,
        "reconciles": total == deposits - withdrawals - fees + interest,
        "balances_digest": digest,
        "lifecycle": dict(sorted(Counter(ledger.status.values()).items())),
        "rejected_by_reason": dict(sorted(ledger.reasons.items())),
        "flagged_by_rule": dict(sorted(ledger.flags.items())),
        "held": len(ledger.held),
        "duplicates": ledger.duplicates,
        "events": dict(sorted(ledger.kinds.items())),
    }


S = Strategy
SYSTEM = System(
    name="finance",
    description="accounts and an event-sourced ledger with compliance checks (lesson 2)",
    unit="transactions",
    axes=(
        Axis(
            "money",
            "how amounts are held (4 decimal places inside)",
            (
                S("decimal", "decimal.Decimal, exact"),
                S("int", "whole units of 1/10,000 in Python ints, exact"),
                S("float", "binary floats: they drift; the outcome reports by how many cents"),
            ),
            reference="decimal",
        ),
        Axis(
            "store",
            "where the event log is kept",
            (
                S("memory", "a list in this process (not durable)"),
                S("sqlite", "a SQLite file, WAL, one commit per batch of commit_batch operations"),
                S(
                    "postgres",
                    "PostgreSQL, one transaction per batch, events written with COPY",
                    services=("postgres",),
                ),
            ),
            reference="memory",
        ),
        Axis(
            "replay",
            "how the state is rebuilt from the log after the run",
            (
                S("full", "fold every event from the first"),
                S(
                    "snapshot",
                    "the latest snapshot (one every snapshot_every events) and the events after it",
                ),
            ),
            reference="full",
        ),
        Axis(
            "lookup",
            "how an operation reads its accounts' records",
            (
                S("dict", "the ledger's own dict"),
                S("lru_cache", "functools.lru_cache(cache_size) over store reads"),
                S("uncached", "a store read every time"),
            ),
            reference="dict",
        ),
        Axis(
            "apply",
            "how operations are checked and applied",
            (
                S("row", "each operation checked and applied on its own"),
                S(
                    "batch",
                    "a batch's stateless checks first (its accounts read at once), then applied in order",
                ),
            ),
            reference="row",
        ),
    ),
    params=PARAMS,
    conflict=_conflict,
    prepare=prepare,
    setup=setup,
    run=run,
    reset=reset,
    teardown=teardown,
    options=command.OPTIONS,
    open_input=command.open_input,
    render=command.render,
    sweep=Sweep(("small",), ("money", "store", "replay", "lookup", "apply"), 5),
)
strategies.register(SYSTEM)
