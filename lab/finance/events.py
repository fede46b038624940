"""The immutable events of the ledger: every change is one of these, and state is their fold.

An event is a plain tuple ``(kind, txn, ts, account, to, amount, info)`` (cheap to make,
to compare and to store); ``info`` carries the channel, a reason, a rule or the
account's description, by kind.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Event",
    "OPENED",
    "DEPOSITED",
    "WITHDRAWN",
    "TRANSFERRED",
    "FEE",
    "INTEREST",
    "REJECTED",
    "FLAGGED",
    "REVERSED",
    "CLOSED",
    "KINDS",
]

Event = tuple[str, str, int, str, str, Any, str]

OPENED = "AccountOpened"
DEPOSITED = "Deposited"
WITHDRAWN = "Withdrawn"
TRANSFERRED = "Transferred"
FEE = "FeeCharged"
INTEREST = "InterestAccrued"
REJECTED = "TransactionRejected"
FLAGGED = "Flagged"
REVERSED = "Reversed"
#: The month's fees and interest are settled: its counters start again.
CLOSED = "MonthClosed"
KINDS = (OPENED, DEPOSITED, WITHDRAWN, TRANSFERRED, FEE, INTEREST, REJECTED, FLAGGED, REVERSED, CLOSED)
