"""The transaction lifecycle as a state machine.

PENDING -> APPROVED -> POSTED; PENDING -> REJECTED (with a reason); POSTED -> REVERSED.
A flagged transaction stays PENDING, held for review. Any other move raises
:class:`IllegalTransition` before anything changes.

>>> advance(PENDING, APPROVED)
'APPROVED'
>>> advance(REJECTED, POSTED)
Traceback (most recent call last):
...
lab.finance.lifecycle.IllegalTransition: illegal transition REJECTED -> POSTED
"""

from __future__ import annotations

__all__ = ["PENDING", "APPROVED", "POSTED", "REJECTED", "REVERSED", "ALLOWED", "IllegalTransition", "advance"]

PENDING, APPROVED, POSTED, REJECTED, REVERSED = "PENDING", "APPROVED", "POSTED", "REJECTED", "REVERSED"
#: Every legal (from, to) move.
ALLOWED = frozenset({(PENDING, APPROVED), (APPROVED, POSTED), (PENDING, REJECTED), (POSTED, REVERSED)})


class IllegalTransition(ValueError):
    """A move the lifecycle does not allow."""


def advance(current: str, target: str) -> str:
    """``target`` when ``current -> target`` is legal; else :class:`IllegalTransition`."""
    if (current, target) not in ALLOWED:
        raise IllegalTransition(f"illegal transition {current} -> {target}")
    return target
