"""What a scenario returns: the answer, its fingerprint, and how much work was done."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["Outcome", "fingerprint", "rounded", "agree", "exact_text"]


def rounded(value: Any, digits: int = 9) -> Any:
    """``value`` with every float rounded to ``digits`` significant digits (recursively);
    a ``Decimal`` is kept exact, as its canonical string (``Decimal("1.50")`` is ``"1.5"``)."""
    if isinstance(value, Decimal):
        return "Decimal:" + exact_text(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {str(k): rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value


def exact_text(value: Decimal) -> str:
    """The canonical text of a decimal: no exponent, no trailing zeros (``"1.5"``, ``"-0.0001"``)."""
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def fingerprint(answer: Any, digits: int = 9) -> str:
    """A short hash of ``answer`` with floats rounded to ``digits`` significant digits.

    Two strategies that agree to that precision share a fingerprint.

    >>> fingerprint({"mean": 0.1 + 0.2}) == fingerprint({"mean": 0.3})
    True
    """
    text = json.dumps(rounded(answer, digits), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def agree(a: Any, b: Any, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """True when two answers are equal: decimals and integers exactly, floats within ``rel``
    relative tolerance. A decimal never agrees with a float (exact money against inexact).

    Use this, not fingerprint equality, to decide whether two strategies agree:
    two values a hair apart can round to either side of a 9th-digit boundary.

    >>> agree({"mean": 54.580681449999989}, {"mean": 54.580681450000009})
    True
    >>> agree(Decimal("0.30"), Decimal("0.3")), agree(Decimal("0.3"), 0.3)
    (True, False)
    """
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(agree(a[k], b[k], rel, abs_tol) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(agree(x, y, rel, abs_tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        exact = (Decimal, int)
        return isinstance(a, exact) and isinstance(b, exact) and not isinstance(a, bool) and a == b
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            return False
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol) or (math.isnan(a) and math.isnan(b))
    return a == b


@dataclass
class Outcome:
    """The result of one scenario run.

    ``n`` counts the work items done (rows, transactions, requests); ``counts``
    holds the system's own tallies (``rows_in``, ``rows_ok``, ``rows_quarantined``...);
    ``details`` anything else worth recording (quarantine file, elapsed seconds);
    ``extras`` results beside the answer that strategies need not share (present
    only when asked for, or approximate, as quantile sketches): recorded with the
    answer, never fingerprinted nor compared with :func:`agree`.
    """

    answer: dict[str, Any]
    fingerprint: str
    n: int
    counts: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "answer": self.answer,
            "fingerprint": self.fingerprint,
            "n": self.n,
            "counts": self.counts,
            "details": self.details,
        }
        return {**out, "extras": self.extras} if self.extras else out
