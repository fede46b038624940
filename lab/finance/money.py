"""Money kept to 4 decimal places inside, shown to 2, in three representations.

One validator decides, from the text of an amount, whether it is money at all
(finite, positive, at most 4 decimal places); each :class:`Money` backend then
holds it its own way: ``decimal`` (``Decimal``), ``int`` (whole units of 1/10,000)
or ``float`` (binary floating point, which drifts). Rounding is half-even, at two
documented points only: the daily interest accrual (to 4 dp) and display (to 2 dp).

>>> DECIMAL.parse("12.5"), INT.parse("12.5"), FLOAT.parse("12.5")
(Decimal('12.5'), 125000, 12.5)
>>> show(Decimal("2.345")), show(Decimal("2.355"))
('2.34', '2.36')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "UNITS",
    "AmountError",
    "Money",
    "DECIMAL",
    "INT",
    "FLOAT",
    "MONEY",
    "canonical",
    "interest_units",
    "show",
]

#: Units of the smallest amount kept (4 decimal places).
UNITS = 10_000
Q4 = Decimal("0.0001")
Q2 = Decimal("0.01")
#: The largest amount accepted (exclusive): 10^15 currency units.
LIMIT = Decimal(10) ** 15
DAYS_PER_YEAR = 365
_YEAR = Decimal(UNITS * DAYS_PER_YEAR)
_PLAIN = re.compile(r"\d{1,15}(?:\.\d{1,4})?")


class AmountError(ValueError):
    """An amount that is not money; ``str(error)`` is the rejection reason."""


def canonical(text: str) -> str:
    """The amount as plain text with at most 4 decimals, or :class:`AmountError` with the reason.

    >>> canonical("1e2"), canonical("0.10")
    ('100.0000', '0.10')
    """
    if _PLAIN.fullmatch(text):
        return text
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        raise AmountError("amount is not a number") from None
    if not value.is_finite():
        raise AmountError("amount is not finite")
    if value <= 0:
        raise AmountError("amount must be positive")
    if value >= LIMIT:
        raise AmountError("amount too large")
    if value.quantize(Q4) != value:
        raise AmountError("more than 4 decimal places")
    return format(value.quantize(Q4), "f")


def interest_units(balance_units: int, bps: int) -> int:
    """One day's interest on ``balance_units`` at ``bps`` basis points a year, in units,
    rounded half-even (the documented accrual rounding point).

    >>> interest_units(365 * 10_000 * UNITS, 100)   # 1% a year on 3.65M for one day
    1000000
    """
    num = balance_units * bps
    den = UNITS * DAYS_PER_YEAR
    q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q % 2):
        q += 1
    return q


def show(value: Decimal) -> str:
    """An exact amount as shown: 2 decimal places, rounded half-even."""
    return str(value.quantize(Q2, rounding=ROUND_HALF_EVEN))


class Money:
    """A representation of money: how amounts are parsed, added, accrued, stored and reported."""

    name = ""
    zero: Any = 0

    def parse(self, text: str) -> Any:
        """The amount of ``text``; :class:`AmountError` with the reason when it is not money."""
        value = self.convert(text if _PLAIN.fullmatch(text) else canonical(text))
        if not value > self.zero:
            raise AmountError("amount must be positive")
        return value

    def convert(self, text: str) -> Any:
        raise NotImplementedError

    def of_units(self, units: int) -> Any:
        """The value of ``units`` (1/10,000) in this representation."""
        raise NotImplementedError

    def units(self, value: Any) -> int:
        """``value`` in whole units of 1/10,000 (rounded half-even for float)."""
        raise NotImplementedError

    def daily_interest(self, balance: Any, bps: int) -> Any:
        """One day's interest on ``balance`` at ``bps`` a year, rounded half-even to 4 dp."""
        return self.of_units(interest_units(self.units(balance), bps))

    #: ``value`` in currency units as the nearest float (what the anomaly statistics take); a
    #: builtin where one does it, so that the hot path calls no Python function for it.
    to_float: Callable[[Any], float] = staticmethod(float)

    def exact(self, value: Any) -> Decimal:
        """``value`` as an exact 4 dp decimal (what answers and displays are made of)."""
        return Decimal(self.units(value)).scaleb(-4)

    #: Text that :meth:`load` turns back into exactly ``value`` (stores and snapshots keep this);
    #: a builtin, which ``map`` calls without a Python frame.
    dump: Callable[[Any], str] = staticmethod(str)

    def load(self, text: str) -> Any:
        raise NotImplementedError


class DecimalMoney(Money):
    name = "decimal"
    zero = Decimal(0)

    convert = staticmethod(Decimal)  # type: ignore[assignment]

    def of_units(self, units: int) -> Decimal:
        return Decimal(units).scaleb(-4)

    def units(self, value: Decimal) -> int:
        return int(value.scaleb(4))

    def daily_interest(self, balance: Decimal, bps: int) -> Decimal:
        # exact whenever the quotient is a tie (it then terminates within 28 digits), so the
        # result equals interest_units' (tested)
        return (balance * bps / _YEAR).quantize(Q4, rounding=ROUND_HALF_EVEN)

    def exact(self, value: Decimal) -> Decimal:
        return value

    def load(self, text: str) -> Decimal:
        return Decimal(text)


class IntMoney(Money):
    name = "int"
    zero = 0

    def convert(self, text: str) -> int:
        whole, _, frac = text.partition(".")
        return int(whole + frac.ljust(4, "0"))

    def of_units(self, units: int) -> int:
        return units

    def to_float(self, value: int) -> float:
        return value / UNITS

    def units(self, value: int) -> int:
        return value

    def load(self, text: str) -> int:
        return int(text)


class FloatMoney(Money):
    name = "float"
    zero = 0.0

    convert = staticmethod(float)  # type: ignore[assignment]

    def of_units(self, units: int) -> float:
        return units / UNITS

    def units(self, value: float) -> int:
        return round(value * UNITS)

    def daily_interest(self, balance: float, bps: int) -> float:
        return round(balance * bps / (UNITS * DAYS_PER_YEAR), 4)

    dump = staticmethod(repr)

    def load(self, text: str) -> float:
        return float(text)


DECIMAL, INT, FLOAT = DecimalMoney(), IntMoney(), FloatMoney()
#: The money axis: name -> representation.
MONEY: dict[str, Money] = {m.name: m for m in (DECIMAL, INT, FLOAT)}
