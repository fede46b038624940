"""Segments of users from recency, frequency and monetary value (RFM), thresholds in one place.

A user is, in this order of precedence: ``DORMANT`` (no purchase, or none for
``dormant_days``); ``AT_RISK`` (none for ``at_risk_days``); ``VIP`` (spent at least
``vip_monetary`` over at least ``vip_frequency`` purchases); else ``ACTIVE``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SEGMENTS", "THRESHOLDS", "Thresholds", "segment", "counts"]

#: The segments, in the order of their codes.
SEGMENTS = ("DORMANT", "ACTIVE", "VIP", "AT_RISK")
DORMANT, ACTIVE, VIP, AT_RISK = range(len(SEGMENTS))


@dataclass(frozen=True)
class Thresholds:
    """Where one segment ends and the next begins (days, purchases, money)."""

    dormant_days: float = 180.0  # recency at or above this: dormant
    at_risk_days: float = 60.0  # recency at or above this (and below dormant_days): at risk
    vip_monetary: float = 1000.0  # spent at least this ...
    vip_frequency: int = 10  # ... over at least this many purchases: VIP


#: The thresholds every caller uses.
THRESHOLDS = Thresholds()


def segment(
    recency: np.ndarray, frequency: np.ndarray, monetary: np.ndarray, t: Thresholds = THRESHOLDS
) -> np.ndarray:
    """Each user's segment code (an index into :data:`SEGMENTS`)."""
    recency, frequency, monetary = (np.asarray(a, dtype=np.float64) for a in (recency, frequency, monetary))
    codes = np.full(recency.shape, ACTIVE, dtype=np.int8)
    codes[(monetary >= t.vip_monetary) & (frequency >= t.vip_frequency)] = VIP
    codes[recency >= t.at_risk_days] = AT_RISK
    codes[(recency >= t.dormant_days) | (frequency == 0)] = DORMANT
    return codes


def counts(codes: np.ndarray) -> dict[str, int]:
    """Users per segment, every segment named (zero included)."""
    found = np.bincount(codes, minlength=len(SEGMENTS))
    return {name: int(n) for name, n in zip(SEGMENTS, found, strict=True)}
