"""Hand-made finance workloads for the tests: a few accounts, then the operations given."""

from __future__ import annotations

from lab.finance import SYSTEM, State
from lab.finance.ledger import Ledger
from lab.finance.money import MONEY
from lab.finance.process import load
from lab.finance.stores import MemoryStore
from lab.finance.workload import START, Workload
from lab.scenario import Scenario

#: Opening: a checking and a savings account of customer C1 (USD), a checking account of C2 (EUR).
ACCOUNTS = [
    ("A1", "checking", "C1", "USD", "1000.00", START),
    ("A2", "savings", "C1", "USD", "20000.00", START),
    ("A3", "checking", "C2", "EUR", "500.00", START),
]
HOUR = 3600


def op(txn, kind, account, amount="10.00", *, at=0, to="", currency="USD", channel="electronic", ref=""):
    """One operation row, ``at`` seconds after the start."""
    return (txn, str(START + at), kind, account, to, amount, currency, channel, ref)


def ledger_of(
    rows, money="decimal", accounts=ACCOUNTS, commit_batch=1_000, check=None
) -> tuple[Ledger, MemoryStore]:
    """The ledger and its memory store after processing ``rows``."""
    m = MONEY[money]
    ledger, store = Ledger(m), MemoryStore(m)
    load(ledger, store, Workload("cases", list(accounts), list(rows)), commit_batch=commit_batch, check=check)
    return ledger, store


def last(ledger_store, kind=None):
    """The last event (of ``kind``)."""
    events = [e for e in ledger_store[1].log if kind is None or e[0] == kind]
    return events[-1]


def run_state(workload, choices, params=None, **options):
    """``(outcome, state, events)`` of one run of ``choices``; the events' amounts as exact decimals."""
    scenario = Scenario(SYSTEM, workload, SYSTEM.complete(choices), params, options)
    with scenario:
        outcome = scenario()
        state: State = scenario.state
        exact = state.money.exact
        events = [(*e[:5], exact(e[5]), e[6]) for e in state.store.events()]
    return outcome, state, events
