"""The ``stats`` axis: how count, mean, variance, min and max are computed.

Each method takes a reader and returns one accumulator per group key; the
overall answer is their merge. Values near the float range can overflow a sum or
a square: numpy then stays quiet, and the summary reports which statistic
overflowed. Row methods loop in Python over ``(key, value)``
pairs; block methods reduce each :class:`~lab.analytics.readers.Block` with
numpy, grouping by key with ``bincount``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from lab.analytics.readers import Block, Reader
from lab.analytics.stats import Moments, NaiveSums, Values

__all__ = ["METHODS", "ROW_ONLY", "BLOCK_ONLY"]

Accumulators = dict[str, Any]


def _block_extremes(block: Block, k: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.full(k, math.inf)
    hi = np.full(k, -math.inf)
    np.minimum.at(lo, block.codes, block.values)
    np.maximum.at(hi, block.codes, block.values)
    return lo, hi


def _quiet(method: Callable[[Reader], Accumulators]) -> Callable[[Reader], Accumulators]:
    """``method`` with numpy's overflow warnings off (the summary reports overflow itself)."""

    @functools.wraps(method)
    def quiet(reader: Reader) -> Accumulators:
        with np.errstate(over="ignore", invalid="ignore"):
            return method(reader)

    return quiet


@_quiet
def naive(reader: Reader) -> Accumulators:
    """Sum and sum of squares in one pass: fast, and wrong when the mean dwarfs the spread."""
    out: Accumulators = {}
    if reader.kind == "rows":
        state: dict[str, list[float]] = {}
        get = state.get
        for key, x in reader.read():
            s = get(key)
            if s is None:
                s = state[key] = [0, 0.0, 0.0, x, x]
            s[0] += 1
            s[1] += x
            s[2] += x * x
            if x < s[3]:
                s[3] = x
            elif x > s[4]:
                s[4] = x
        return {k: NaiveSums(int(s[0]), s[1], s[2], s[3], s[4]) for k, s in state.items()}
    for block in reader.read():
        k = len(block.keys)
        n = np.bincount(block.codes, minlength=k)
        sums = np.bincount(block.codes, weights=block.values, minlength=k)
        squares = np.bincount(block.codes, weights=block.values * block.values, minlength=k)
        lo, hi = _block_extremes(block, k)
        for i, key in enumerate(block.keys):
            part = NaiveSums(int(n[i]), float(sums[i]), float(squares[i]), float(lo[i]), float(hi[i]))
            out[key] = out[key] + part if key in out else part
    return out


def welford(reader: Reader) -> Accumulators:
    """Welford's online update, one value at a time: O(1) memory, numerically stable."""
    state: dict[str, list[float]] = {}
    get = state.get
    for key, x in reader.read():
        s = get(key)
        if s is None:
            s = state[key] = [0, 0.0, 0.0, x, x]
        n = s[0] + 1
        delta = x - s[1]
        mean = s[1] + delta / n
        s[2] += delta * (x - mean)
        s[0] = n
        s[1] = mean
        if x < s[3]:
            s[3] = x
        elif x > s[4]:
            s[4] = x
    return {k: Moments(int(s[0]), s[1], s[2], s[3], s[4]) for k, s in state.items()}


def _block_moments(block: Block) -> list[tuple[str, Moments]]:
    k = len(block.keys)
    n = np.bincount(block.codes, minlength=k)
    sums = np.bincount(block.codes, weights=block.values, minlength=k)
    means = sums / np.maximum(n, 1)
    dev = block.values - means[block.codes]
    m2 = np.bincount(block.codes, weights=dev * dev, minlength=k)
    lo, hi = _block_extremes(block, k)
    return [
        (key, Moments(int(n[i]), float(means[i]), float(m2[i]), float(lo[i]), float(hi[i])))
        for i, key in enumerate(block.keys)
        if n[i]
    ]


@_quiet
def chan(reader: Reader) -> Accumulators:
    """Per-block moments computed vectorised, merged with Chan's parallel formula."""
    out: Accumulators = {}
    for block in reader.read():
        for key, part in _block_moments(block):
            out[key] = out[key] + part if key in out else part
    return out


@_quiet
def two_pass(reader: Reader) -> Accumulators:
    """The mean first, then the squared deviations from it: a second pass over the data."""
    n: dict[str, int] = {}
    sums: dict[str, float] = {}
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    if reader.kind == "rows":
        for key, x in reader.read():
            if key in n:
                n[key] += 1
                sums[key] += x
                if x < lo[key]:
                    lo[key] = x
                elif x > hi[key]:
                    hi[key] = x
            else:
                n[key], sums[key], lo[key], hi[key] = 1, x, x, x
        means = {k: sums[k] / n[k] for k in n}
        m2 = dict.fromkeys(n, 0.0)
        for key, x in reader.read():
            d = x - means[key]
            m2[key] += d * d
    else:
        for block in reader.read():
            k = len(block.keys)
            counts = np.bincount(block.codes, minlength=k)
            block_sums = np.bincount(block.codes, weights=block.values, minlength=k)
            block_lo, block_hi = _block_extremes(block, k)
            for i, key in enumerate(block.keys):
                if not counts[i]:
                    continue
                n[key] = n.get(key, 0) + int(counts[i])
                sums[key] = sums.get(key, 0.0) + float(block_sums[i])
                lo[key] = min(lo.get(key, math.inf), float(block_lo[i]))
                hi[key] = max(hi.get(key, -math.inf), float(block_hi[i]))
        means = {k: sums[k] / n[k] for k in n}
        m2 = dict.fromkeys(n, 0.0)
        for block in reader.read():
            centre = np.array([means[k] for k in block.keys])
            dev = block.values - centre[block.codes]
            parts = np.bincount(block.codes, weights=dev * dev, minlength=len(block.keys))
            for i, key in enumerate(block.keys):
                m2[key] += float(parts[i])
    return {k: Moments(n[k], means[k], m2[k], lo[k], hi[k]) for k in n}


def stdlib(reader: Reader) -> Accumulators:
    """Every value kept in a list, then ``statistics.mean`` and ``statistics.variance``."""
    out: dict[str, Values] = {}
    for key, x in reader.read():
        acc = out.get(key)
        if acc is None:
            acc = out[key] = Values()
        acc.values.append(x)
    return out


METHODS: dict[str, Callable[[Reader], Accumulators]] = {
    "naive": naive,
    "two-pass": two_pass,
    "welford": welford,
    "chan": chan,
    "stdlib": stdlib,
}
#: Methods that need one value at a time, and methods that need blocks.
ROW_ONLY = {"welford", "stdlib"}
BLOCK_ONLY = {"chan"}
