"""Compliance and fraud rules: the thresholds, and the checks made before a transaction posts.

- Currency transaction report (``ctr``): a customer's cash (deposits and withdrawals)
  in one business day (a UTC calendar day) over $10,000.00, aggregated; filed once per
  customer and day, the transaction still posts.
- Structuring: a cash deposit under $10,000 that, with the customer's other posted
  cash deposits under $10,000 in the 24 hours before it (``ts - 86400 < t <= ts``),
  passes $10,000.00. Held for review.
- Velocity: more than :data:`VELOCITY_MAX` transactions started by one account within
  :data:`VELOCITY_WINDOW` seconds. Held for review.
- Amount anomaly: an amount more than :data:`ANOMALY_SIGMAS` standard deviations above
  the account's own running mean (Welford's accumulator, :class:`lab.analytics.stats.Moments`),
  once the account has :data:`ANOMALY_MIN_HISTORY` posted amounts. Held for review.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lab.analytics.stats import Moments

__all__ = [
    "CTR_THRESHOLD",
    "STRUCTURING_WINDOW",
    "VELOCITY_MAX",
    "VELOCITY_WINDOW",
    "ANOMALY_SIGMAS",
    "ANOMALY_MIN_HISTORY",
    "velocity",
    "anomalous",
    "structuring",
]

CTR_THRESHOLD = 10_000  # currency units; "over" means strictly more
STRUCTURING_WINDOW = 86_400
VELOCITY_MAX = 10
VELOCITY_WINDOW = 3_600
ANOMALY_SIGMAS = 5.0
ANOMALY_MIN_HISTORY = 20


def velocity(recent: Sequence[int], ts: int) -> bool:
    """True when ``recent`` (start times, oldest first) holds :data:`VELOCITY_MAX` or more
    inside the window ending at ``ts``: this one would be one too many. Sorted, they do
    exactly when the :data:`VELOCITY_MAX`-th latest is inside: one comparison, however
    long the history."""
    return len(recent) >= VELOCITY_MAX and recent[-VELOCITY_MAX] > ts - VELOCITY_WINDOW


def anomalous(moments: Moments, amount: float) -> bool:
    """True when ``amount`` lies more than :data:`ANOMALY_SIGMAS` deviations above the mean."""
    n = moments.n
    if n < ANOMALY_MIN_HISTORY:
        return False
    spread = math.sqrt(moments.m2 / (n - 1))
    return amount - moments.mean > ANOMALY_SIGMAS * spread


def structuring(window: Sequence[tuple[int, Any]], ts: int, amount: Any, threshold: Any) -> bool:
    """True when ``amount`` and the cash deposits in ``window`` (``(ts, amount)``, oldest first)
    from the 24 hours before ``ts`` together pass ``threshold``; needs one earlier deposit."""
    start = ts - STRUCTURING_WINDOW
    total = amount
    earlier = 0
    for t, a in window:
        if t > start:
            total += a
            earlier += 1
    return earlier > 0 and total > threshold
