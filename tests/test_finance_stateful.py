"""finance: a hypothesis state machine drives random operations through the ledger and checks,
after every step, conservation and that the log folded anew gives the live state.

A few hundred steps by default; ``LAB_FINANCE_STEPS=10000`` runs that many (in runs of
1,000 steps each)."""

from __future__ import annotations

import os

from finance_cases import ACCOUNTS, START
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from lab.finance.ledger import Ledger
from lab.finance.money import MONEY
from lab.finance.process import replay
from lab.finance.stores import MemoryStore

STEPS = int(os.environ.get("LAB_FINANCE_STEPS") or 300)
PER_RUN = min(STEPS, 1_000 if STEPS > 300 else 60)
DONE: dict[str, int] = {}  # steps checked (the invariants run after each), by money
IDS = [a[0] for a in ACCOUNTS] + ["A9"]
amounts = st.one_of(
    st.decimals(min_value="0.0001", max_value="30000", places=4).map(str),
    st.sampled_from(["0", "-1.00", "NaN", "inf", "1.00001", "abc", "10000.01", "9999.99"]),
)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.money = MONEY[self.money_name]
        self.ledger = Ledger(self.money)
        self.store = MemoryStore(self.money)
        self.replica = Ledger(self.money)
        self.clock = START
        self.n = 0
        self.txns: list[str] = []
        for account in ACCOUNTS:
            self.ledger.open(*account)
        self._commit()

    def _commit(self) -> None:
        if self.ledger.out:
            self.store.append(self.ledger.out)
            self.ledger.out = []
        for event in self.store.events(sum(self.replica.kinds.values())):
            self.replica.evolve(event)

    def _do(
        self, kind, account, amount="", to="", channel="electronic", currency="USD", ref="", gap=0
    ) -> None:
        self.clock += gap
        self.n += 1
        txn = f"h{self.n}"
        self.txns.append(txn)
        self.ledger.handle((txn, str(self.clock), kind, account, to, amount, currency, channel, ref))
        self._commit()

    @rule(account=st.sampled_from(IDS), amount=amounts, cash=st.booleans(), gap=st.integers(0, 30 * 3600))
    def deposit(self, account, amount, cash, gap):
        self._do("deposit", account, amount, channel="cash" if cash else "electronic", gap=gap)

    @rule(account=st.sampled_from(IDS), amount=amounts, cash=st.booleans(), gap=st.integers(0, 3600))
    def withdraw(self, account, amount, cash, gap):
        self._do("withdrawal", account, amount, channel="cash" if cash else "electronic", gap=gap)

    @rule(a=st.sampled_from(IDS), b=st.sampled_from(IDS), amount=amounts, gap=st.integers(0, 3600))
    def transfer(self, a, b, amount, gap):
        self._do("transfer", a, amount, to=b, gap=gap)

    @rule(account=st.sampled_from(IDS), currency=st.sampled_from(["USD", "EUR"]))
    def wrong_currency(self, account, currency):
        self._do("deposit", account, "5", currency=currency)

    @precondition(lambda self: self.txns)
    @rule(data=st.data())
    def reverse(self, data):
        self._do("reverse", "", ref=data.draw(st.sampled_from(self.txns)))

    @precondition(lambda self: self.txns)
    @rule(data=st.data())
    def resubmit(self, data):
        txn = data.draw(st.sampled_from(self.txns))
        before = self.ledger.view()
        seen = self.ledger.duplicates
        self.ledger.handle((txn, str(self.clock), "deposit", "A1", "", "1", "USD", "electronic", ""))
        assert self.ledger.duplicates == seen + 1 and self.ledger.view() == before and not self.ledger.out

    @rule(days=st.integers(1, 40))
    def time_passes(self, days):
        self._do("deposit", "A1", "0.01", gap=days * 86_400)

    @invariant()
    def conserved(self):
        DONE[self.money_name] = DONE.get(self.money_name, 0) + 1
        if self.money_name != "float":
            assert self.ledger.balance_total() == self.ledger.expected_total()

    @invariant()
    def replay_is_live(self):
        assert self.replica.view() == self.ledger.view()

    def teardown(self):
        assert replay(self.store, self.money).view() == self.ledger.view()
        if os.environ.get("LAB_FINANCE_STEPS"):
            print(f"{self.money_name}: {DONE[self.money_name]} steps checked so far")


def _machine(money: str) -> type:
    machine = type(f"Ledger{money.title()}", (LedgerMachine,), {"money_name": money})
    machine.TestCase.settings = settings(
        max_examples=max(1, 4 * STEPS // PER_RUN), stateful_step_count=PER_RUN
    )  # runs end early: four times
    return machine


TestDecimal = _machine("decimal").TestCase
TestInt = _machine("int").TestCase
