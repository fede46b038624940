"""Account types and their rules, in one place.

Amounts here are in units of 1/10,000; :class:`Rules` holds them in a money
representation. Interest is tiered by balance band: the whole end-of-day balance
earns the rate of the highest band it reaches, accrued daily (rounded half-even to
4 dp) and credited at month end. The monthly fee is waived when the month's lowest
balance stays at or above the waiver minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from lab.finance.money import UNITS, Money

__all__ = ["AccountType", "AccountInfo", "Rules", "TYPES", "CURRENCIES"]

U = UNITS
#: Currencies an account may hold.
CURRENCIES = ("USD", "EUR")


@dataclass(frozen=True)
class AccountType:
    """The rules of one kind of account (amounts in units of 1/10,000)."""

    name: str
    bands: tuple[tuple[int, int], ...]  # (lowest balance, annual rate in basis points), ascending
    monthly_fee: int
    fee_waiver_min: int
    overdraft_limit: int
    withdrawals_per_month: int | None
    daily_transfer_limit: int


TYPES: dict[str, AccountType] = {
    t.name: t
    for t in (
        AccountType("checking", ((0, 0), (5_000 * U, 10)), 12 * U, 1_500 * U, 500 * U, None, 10_000 * U),
        AccountType(
            "savings", ((0, 50), (10_000 * U, 100), (100_000 * U, 150)), 5 * U, 300 * U, 0, 6, 5_000 * U
        ),
        AccountType(
            "money_market",
            ((0, 100), (25_000 * U, 200), (100_000 * U, 250)),
            15 * U,
            2_500 * U,
            0,
            6,
            25_000 * U,
        ),
    )
}


class AccountInfo(NamedTuple):
    """What an account is (never changes): the record a lookup returns."""

    id: str
    type: str
    customer: str
    currency: str


class Rules:
    """An account type's rules in one money representation."""

    __slots__ = ("name", "bands", "fee", "waiver", "overdraft", "withdrawals", "transfer_limit")

    def __init__(self, kind: AccountType, money: Money) -> None:
        self.name = kind.name
        self.bands = tuple((money.of_units(low), bps) for low, bps in reversed(kind.bands))
        self.fee = money.of_units(kind.monthly_fee)
        self.waiver = money.of_units(kind.fee_waiver_min)
        self.overdraft = money.of_units(kind.overdraft_limit)
        self.withdrawals = kind.withdrawals_per_month
        self.transfer_limit = money.of_units(kind.daily_transfer_limit)

    def rate(self, balance: Any) -> int:
        """The annual rate (basis points) that ``balance`` earns; nothing at zero or below."""
        if balance <= self.bands[-1][0]:
            return 0
        for low, bps in self.bands:
            if balance >= low:
                return bps
        return 0

    @classmethod
    def all(cls, money: Money) -> dict[str, Rules]:
        return {name: cls(kind, money) for name, kind in TYPES.items()}
