"""The ledger: decide what an operation does (events), and fold events into state.

Live processing and replay share one fold, :meth:`Ledger.evolve`: live, each decided
event is folded as it is emitted; replay folds the stored log into a fresh ledger.
So replay reproduces the live state, compliance windows and lifecycle included.

An operation is a row of 9 texts, :data:`COLUMNS`; its checks split in two:
:meth:`Ledger.check` needs no mutable state (shape, time, kind, amount, accounts,
currency) and can run over a whole batch first; :meth:`Ledger.execute` applies one
checked row in order (idempotency, limits, compliance, posting).
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from operator import itemgetter
from sys import intern
from typing import Any

from lab.analytics.stats import Moments
from lab.finance import compliance
from lab.finance.accounts import TYPES, AccountInfo, Rules
from lab.finance.events import (
    CLOSED,
    DEPOSITED,
    FEE,
    FLAGGED,
    INTEREST,
    OPENED,
    REJECTED,
    REVERSED,
    TRANSFERRED,
    WITHDRAWN,
    Event,
)
from lab.finance.lifecycle import APPROVED, PENDING, POSTED, advance
from lab.finance.lifecycle import REJECTED as REJECTED_STATE
from lab.finance.lifecycle import REVERSED as REVERSED_STATE
from lab.finance.money import UNITS, AmountError, Money

__all__ = ["COLUMNS", "KINDS", "MALFORMED", "Ledger", "Lookup", "month_of"]

#: The columns of an operation, in order.
COLUMNS = ("txn_id", "ts", "kind", "account", "to_account", "amount", "currency", "channel", "ref")
#: The operation kinds (``open`` rows define accounts, see :mod:`lab.finance.workload`).
KINDS = ("deposit", "withdrawal", "transfer", "reverse")
#: The kind of a row the reader could not make into an operation; its reason is in ``channel``.
MALFORMED = "!malformed"
CASH = "cash"
DAY = 86_400
#: ``month_end`` while no month has started: no day reaches it.
_NEVER = 1 << 62
_MOVES = {"deposit": DEPOSITED, "withdrawal": WITHDRAWN, "transfer": TRANSFERRED}
_TIME = itemgetter(0)

Lookup = Callable[[str], "AccountInfo | None"]


@functools.lru_cache(maxsize=4096)
def month_of(day: int) -> int:
    """The month (``year * 12 + month - 1``) of a day counted from 1970-01-01."""
    d = date.fromordinal(_EPOCH + day)
    return d.year * 12 + d.month - 1


_EPOCH = date(1970, 1, 1).toordinal()


def first_day(month: int) -> int:
    """The first day (from 1970-01-01) of ``month``."""
    return date(month // 12, month % 12 + 1, 1).toordinal() - _EPOCH


def parse_ts(text: str) -> int:
    """Seconds since the epoch from whole seconds or an ISO 8601 time (UTC when no zone)."""
    if text.isdigit():
        return int(text)
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        return int((stamp - datetime(1970, 1, 1)).total_seconds())
    return int(stamp.timestamp())


class AccountState:
    """What changes about an account: balance, the month's counters, accruals, compliance windows."""

    __slots__ = (
        "balance",
        "low",
        "withdrawals",
        "out_day",
        "out_total",
        "accrued",
        "accrual_day",
        "moments",
        "recent",
        "rules",
        "customer",
    )

    def __init__(self, rules: Rules, balance: Any, day: int, zero: Any, customer: Customer) -> None:
        self.rules = rules
        self.customer = customer
        self.balance = self.low = balance
        self.withdrawals = 0
        self.out_day = -1
        self.out_total = zero
        self.accrued = zero
        self.accrual_day = day
        self.moments = Moments()
        #: The start times of the account's latest transactions (at most VELOCITY_MAX), oldest first:
        #: a short list, not a deque (a deque takes 760 bytes; thousands of accounts are touched at random).
        self.recent: list[int] = []

    def __getstate__(self) -> tuple:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __setstate__(self, state: tuple) -> None:
        for k, v in zip(self.__slots__, state, strict=True):
            setattr(self, k, v)


class Customer:
    """A customer's cash for the day (CTR) and recent small cash deposits (structuring)."""

    __slots__ = ("cash_day", "cash_total", "ctr_day", "window")

    def __init__(self, zero: Any) -> None:
        self.cash_day = -1
        self.cash_total = zero
        self.ctr_day = -1
        self.window: list[tuple[int, Any]] = []

    def __getstate__(self) -> tuple:
        return (self.cash_day, self.cash_total, self.ctr_day, self.window)

    def __setstate__(self, state: tuple) -> None:
        self.cash_day, self.cash_total, self.ctr_day, self.window = state


class Ledger:
    """Accounts, their state, the lifecycle of every transaction, and the totals that must reconcile."""

    def __init__(self, money: Money, lookup: Lookup | None = None) -> None:
        self.money = money
        self.zero = money.zero
        self.threshold = money.of_units(compliance.CTR_THRESHOLD * UNITS)
        self.rules = Rules.all(money)
        self.directory: dict[str, AccountInfo] = {}
        self.lookup: Lookup = lookup or self.directory.get
        self.accounts: dict[str, AccountState] = {}
        self.customers: dict[str, Customer] = {}
        self.status: dict[str, str] = {}
        self.movements: dict[str, tuple] = {}
        self.held: dict[str, tuple] = {}
        self.deposits = self.withdrawals = self.fees = self.interest = money.zero
        self.month = -1
        #: The first day of the month after ``month``: an operation on it or later closes ``month``.
        self.month_end = _NEVER
        self.clock = 0
        self.kinds: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.flags: Counter[str] = Counter()
        #: Events decided and folded, not yet handed to a store.
        self.out: list[Event] = []
        #: Operations whose transaction id was already seen (applied once; no event).
        self.duplicates = 0
        self._bind()

    def _bind(self) -> None:
        """The money's methods the hot path calls, looked up once."""
        self.parse = self.money.parse
        self.to_float = self.money.to_float
        self.daily_interest = self.money.daily_interest

    def __getstate__(self) -> dict:
        """What a snapshot keeps. The movements (one per posted transaction: about a million at
        large) go as columns, their amounts as one text: pickling a ``Decimal`` object costs
        about 3 µs, its text a hundredth of that."""
        state = dict(self.__dict__)
        for live in ("lookup", "out", "duplicates", "money", "rules", "parse", "to_float", "daily_interest"):
            state.pop(live)
        moves = self.movements
        kinds, accounts, tos, amounts = zip(*moves.values(), strict=True) if moves else ((), (), (), ())
        state["movements"] = (list(moves), kinds, accounts, tos, "\n".join(map(self.money.dump, amounts)))
        return state | {"money_name": self.money.name}

    def __setstate__(self, state: dict) -> None:
        from lab.finance.money import MONEY

        money = MONEY[state.pop("money_name")]
        txns, kinds, accounts, tos, amounts = state.pop("movements")
        values = map(money.load, amounts.split("\n")) if txns else ()
        self.movements = dict(zip(txns, zip(kinds, accounts, tos, values, strict=True), strict=True))
        self.__dict__.update(state)
        self.money, self.out, self.duplicates = money, [], 0
        self.lookup = self.directory.get
        self.rules = Rules.all(money)
        self._bind()
        for st in self.accounts.values():
            st.rules = self.rules[st.rules.name]

    # -- the fold ---------------------------------------------------------------------------

    def evolve(self, e: Event) -> None:
        """Fold one event into the state (live and replay alike)."""
        self.kinds[e[0]] += 1
        self.clock = e[2]
        _FOLD[e[0]](self, e)

    def emit(self, e: Event) -> None:
        """Fold a decided event and keep it for the store (the fold replay uses, so they agree)."""
        self.evolve(e)
        self.out.append(e)

    def _accrue(self, st: AccountState, day: int) -> None:
        """Interest on the balance held since the last accrual (call when ``day`` is later)."""
        bps = st.rules.rate(st.balance)
        if bps:
            st.accrued += self.daily_interest(st.balance, bps) * (day - st.accrual_day)
        st.accrual_day = day

    def _change(self, account: str, delta: Any, day: int) -> AccountState:
        st = self.accounts[account]
        if day > st.accrual_day:
            self._accrue(st, day)
        st.balance += delta
        if st.balance < st.low:
            st.low = st.balance
        return st

    def _post(self, txn: str) -> None:
        status = self.status
        size = len(status)
        # a new transaction (nearly always): PENDING -> APPROVED -> POSTED, always legal, and one
        # probe of a big dict; a known one must pass through the lifecycle
        current = status.setdefault(txn, POSTED)
        if len(status) == size:
            status[txn] = advance(advance(current, APPROVED), POSTED)

    def _started(self, st: AccountState, ts: int) -> None:
        recent = st.recent
        recent.append(ts)
        if len(recent) > compliance.VELOCITY_MAX:
            del recent[0]

    def _cash(self, c: Customer, ts: int, day: int, amount: Any, deposit: bool) -> None:
        if c.cash_day != day:
            c.cash_day, c.cash_total = day, self.zero
        c.cash_total += amount
        if deposit and amount < self.threshold:
            window = c.window
            start = ts - compliance.STRUCTURING_WINDOW
            del window[: bisect_right(window, start, key=_TIME)]  # oldest first: the stale ones lead
            window.append((ts, amount))

    def _opened(self, e: Event) -> None:
        _, txn, ts, account, _, amount, info = e
        kind, customer, currency = map(intern, info.split("|"))  # compared by identity on the hot path
        self.directory[account] = AccountInfo(account, kind, customer, currency)
        c = self.customers.get(customer)
        if c is None:
            c = self.customers[customer] = Customer(self.zero)
        self.accounts[account] = AccountState(self.rules[kind], amount, ts // DAY, self.zero, c)
        self.deposits += amount
        self._post(txn)
        if self.month < 0:
            self._start_month(month_of(ts // DAY))

    def _moved(self, e: Event) -> None:
        kind, txn, ts, account, to, amount, channel = e
        day = ts // DAY
        st = self.accounts[account]
        if day > st.accrual_day:
            self._accrue(st, day)
        if kind == DEPOSITED:
            st.balance += amount  # a deposit never lowers the month's low
            self.deposits += amount
        else:
            balance = st.balance = st.balance - amount
            if balance < st.low:
                st.low = balance
            st.withdrawals += 1
            if kind == WITHDRAWN:
                self.withdrawals += amount
            else:
                self._change(to, amount, day)
                if st.out_day != day:
                    st.out_day, st.out_total = day, self.zero
                st.out_total += amount
        self._post(txn)
        self.movements[txn] = (kind, account, to, amount)
        st.moments.update(self.to_float(amount))
        self._started(st, ts)
        if channel == CASH:
            self._cash(st.customer, ts, day, amount, kind == DEPOSITED)

    def _fee(self, e: Event) -> None:
        self._change(e[3], -e[5], e[2] // DAY)
        self.fees += e[5]

    def _interest(self, e: Event) -> None:
        st = self._change(e[3], e[5], e[2] // DAY)
        st.accrued -= e[5]
        self.interest += e[5]

    def _rejected(self, e: Event) -> None:
        self.status[e[1]] = advance(self.status.get(e[1], PENDING), REJECTED_STATE)
        self.reasons[e[6]] += 1

    def _flagged(self, e: Event) -> None:
        _, txn, ts, account, to, amount, info = e
        rule, hold, kind, channel = info.split("|")
        self.flags[rule] += 1
        if hold == "1":
            self.status[txn] = PENDING
            self.held[txn] = (kind, account, to, amount, channel, rule)
            self._started(self.accounts[account], ts)
        else:
            self.accounts[account].customer.ctr_day = ts // DAY

    def _reversed(self, e: Event) -> None:
        _, txn, ts, _, _, _, ref = e
        self.status[ref] = advance(self.status.get(ref, PENDING), REVERSED_STATE)
        kind, account, to, amount = self.movements.pop(ref)
        day = ts // DAY
        if kind == DEPOSITED:
            self._change(account, -amount, day)
            self.deposits -= amount
        elif kind == WITHDRAWN:
            self._change(account, amount, day)
            self.withdrawals -= amount
        else:
            self._change(account, amount, day)
            self._change(to, -amount, day)
        self._post(txn)

    def _start_month(self, month: int) -> None:
        self.month = month
        self.month_end = first_day(month + 1)

    def _closed(self, e: Event) -> None:
        self._start_month(int(e[6]))
        for st in self.accounts.values():
            st.low = st.balance
            st.withdrawals = 0

    # -- deciding ---------------------------------------------------------------------------

    def open(self, account: str, kind: str, customer: str, currency: str, amount: str, ts: int) -> None:
        """Open an account (once: an account already open is left as it is)."""
        txn = f"open:{account}"
        if txn in self.status:
            return
        reason = None
        try:
            balance = self.money.parse(amount)
        except AmountError as exc:
            reason = str(exc)
        if kind not in TYPES:
            reason = f"unknown account type {kind!r}"
        if reason:
            self.emit((REJECTED, txn, ts, account, "", self.zero, reason))
            return
        self.emit((OPENED, txn, ts, account, "", balance, f"{kind}|{customer}|{currency}"))

    def check(self, row: tuple[str, ...], lookup: Lookup | None = None) -> tuple:
        """The checks that need no mutable state: ``(reason or None, ts, kind, info, to_info, amount)``;
        accounts are read through ``lookup`` (default: the ledger's own)."""
        lookup = lookup or self.lookup
        if row[2] == MALFORMED:
            return (row[7], None, MALFORMED, None, None, None)
        text = row[1]
        try:
            ts = int(text) if text.isdigit() else parse_ts(text)
        except ValueError:
            return ("bad timestamp", None, row[2], None, None, None)
        kind = row[2]
        if kind == "reverse":
            return (None if row[8] else "reverse needs ref", ts, kind, None, None, None)
        if kind not in _MOVES:
            return (f"unknown kind {kind!r}", ts, kind, None, None, None)
        try:
            amount = self.parse(row[5])
        except AmountError as exc:
            return (str(exc), ts, kind, None, None, None)
        info = lookup(row[3])
        if info is None:
            return ("unknown account", ts, kind, None, None, amount)
        if row[6] != info.currency:
            return ("currency mismatch", ts, kind, info, None, amount)
        to = None
        if kind == "transfer":
            to = lookup(row[4])
            if to is None:
                return ("unknown account", ts, kind, info, None, amount)
            if to.currency != info.currency:
                return ("currency mismatch", ts, kind, info, to, amount)
            if to.id == info.id:
                return ("transfer to the same account", ts, kind, info, to, amount)
        return (None, ts, kind, info, to, amount)

    def execute(self, row: tuple[str, ...], checked: tuple) -> None:
        """Apply one checked row, in order: a transaction id already seen changes nothing."""
        txn = row[0]
        if txn in self.status:
            self.duplicates += 1
            return
        reason, ts, kind, info, to, amount = checked
        if ts is None:
            ts = self.clock
        elif ts < self.clock:
            reason = reason or "timestamp before the previous operation"
        day = ts // DAY
        if day >= self.month_end:
            self.close_month(month_of(day))
        if reason is None:
            if kind == "reverse":
                reason = self._reverse(txn, ts, row[8])
            else:
                reason = self._move(txn, ts, day, kind, info, to, amount, row[7])
        if reason is not None:
            self.emit((REJECTED, txn, ts, row[3], row[4], self.zero, reason))

    def handle(self, row: tuple[str, ...]) -> None:
        """Check and execute one row (a duplicate is found by :meth:`execute`: one lookup fewer)."""
        self.execute(row, self.check(row))

    def handle_batch(self, rows: list[tuple[str, ...]], lookup_many: Callable[[set[str]], dict]) -> None:
        """Check a batch at once (its accounts read together), then execute its rows in order."""
        wanted = {row[3] for row in rows} | {row[4] for row in rows if row[4]}
        found = lookup_many(wanted).get
        checked = [self.check(row, found) for row in rows]
        for row, result in zip(rows, checked, strict=True):
            self.execute(row, result)

    def _move(
        self, txn: str, ts: int, day: int, kind: str, info: AccountInfo, to: Any, amount: Any, channel: str
    ) -> str | None:
        st = self.accounts[info.id]
        rules = st.rules
        if kind != "deposit":
            if rules.withdrawals is not None and st.withdrawals >= rules.withdrawals:
                return "monthly withdrawal limit"
            if st.balance - amount < -rules.overdraft:
                return "insufficient funds"
            if kind == "transfer":
                today = st.out_total if st.out_day == day else self.zero
                if today + amount > rules.transfer_limit:
                    return "daily transfer limit"
        cash = channel == CASH and kind != "transfer"
        rule = None
        # each rule's cheap precondition first: most accounts meet neither
        if len(st.recent) >= compliance.VELOCITY_MAX and compliance.velocity(st.recent, ts):
            rule = "velocity"
        elif st.moments.n >= compliance.ANOMALY_MIN_HISTORY and compliance.anomalous(
            st.moments, self.to_float(amount)
        ):
            rule = "anomaly"
        elif cash and kind == "deposit" and amount < self.threshold:
            window = st.customer.window
            if window and compliance.structuring(window, ts, amount, self.threshold):
                rule = "structuring"
        event = _MOVES[kind]
        to_id = to.id if to is not None else ""
        if rule is not None:
            self.emit((FLAGGED, txn, ts, info.id, to_id, amount, f"{rule}|1|{event}|{channel}"))
            return None
        self.emit((event, txn, ts, info.id, to_id, amount, CASH if cash else ""))
        if cash:
            c = st.customer
            if c.cash_total > self.threshold and c.ctr_day != day:
                self.emit((FLAGGED, txn, ts, info.id, "", c.cash_total, f"ctr|0|{event}|{CASH}"))
        return None

    def _reverse(self, txn: str, ts: int, ref: str) -> str | None:
        current = self.status.get(ref)
        if current is None:
            return "unknown transaction"
        if ref not in self.movements:
            return f"illegal transition {current} -> {REVERSED_STATE}"
        advance(current, REVERSED_STATE)  # raises before anything changes, should the log disagree
        kind, account, to, amount = self.movements[ref]
        self.emit((REVERSED, txn, ts, account, to, amount, ref))
        return None

    def close_month(self, month: int) -> None:
        """Credit each account's accrued interest and charge its fee unless waived; start ``month``."""
        day = first_day(month)
        ts = day * DAY
        zero, money, old = self.zero, self.money, self.month
        for account, st in self.accounts.items():
            amount = st.accrued
            days = day - st.accrual_day
            bps = st.rules.rate(st.balance)
            if days > 0 and bps:
                amount += money.daily_interest(st.balance, bps) * days
            if amount != zero:
                self.emit((INTEREST, f"interest:{old}:{account}", ts, account, "", amount, ""))
            if st.low < st.rules.waiver:
                self.emit((FEE, f"fee:{old}:{account}", ts, account, "", st.rules.fee, "monthly"))
        self.emit((CLOSED, f"close:{old}", ts, "", "", zero, str(month)))

    # -- what the state says ----------------------------------------------------------------

    def balance_total(self) -> Any:
        return sum((st.balance for st in self.accounts.values()), self.zero)

    def expected_total(self) -> Any:
        """What the balances must add up to: deposits - withdrawals - fees + interest."""
        return self.deposits - self.withdrawals - self.fees + self.interest

    def view(self) -> tuple:
        """Everything replay must reproduce, in one comparable value."""
        balances = {k: st.balance for k, st in self.accounts.items()}
        totals = (self.deposits, self.withdrawals, self.fees, self.interest)
        return (balances, totals, self.status, set(self.held), self.reasons, self.flags, self.month)


_FOLD: dict[str, Callable[[Ledger, Event], None]] = {
    OPENED: Ledger._opened,
    DEPOSITED: Ledger._moved,
    WITHDRAWN: Ledger._moved,
    TRANSFERRED: Ledger._moved,
    FEE: Ledger._fee,
    INTEREST: Ledger._interest,
    REJECTED: Ledger._rejected,
    FLAGGED: Ledger._flagged,
    REVERSED: Ledger._reversed,
    CLOSED: Ledger._closed,
}
