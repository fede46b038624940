"""The ``quantiles`` axis: p50, p95 and p99 of the column, overall and per group.

``none`` computes nothing (the reference cost). ``exact`` keeps every value, then
takes numpy's ``lower`` quantile: the sorted value at index ``floor(q * (n - 1))``,
the rank-based definition DDSketch's guarantee is stated against. ``ddsketch``
keeps one DDSketch per group (the ``ddsketch`` package, relative accuracy
``alpha``): each quantile it returns is within ``alpha * |x|`` of that exact value
``x``, and its size grows with the logarithm of the range of values, not with
their number. Values within the sketch's smallest indexable magnitude count as 0.

Row readers add one value at a time with the library's own ``add``; block
readers map a whole numpy block to the sketch's bucket keys with the formula of
the library's :class:`~ddsketch.mapping.LogarithmicMapping` and add the count of
each key at once. Accumulators merge in place, so byte ranges read in parallel
give the same sketch as one pass.

>>> q = Quantiles("ddsketch", 100)
>>> acc = q.new()
>>> for x in range(1, 101): acc.update(float(x))
>>> p = acc.quantiles()
>>> abs(p["p50"] - 50.0) <= 0.01 * 50.0
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from ddsketch import DDSketch
from ddsketch.ddsketch import BaseDDSketch
from ddsketch.mapping import LogarithmicMapping
from ddsketch.store import DenseStore

from lab.analytics.readers import Block, Reader

__all__ = [
    "METHODS",
    "LEVELS",
    "DEFAULT_ACCURACY_BP",
    "Quantiles",
    "NO_QUANTILES",
    "Exact",
    "Sketch",
    "Tap",
    "sketch_keys",
    "Counts",
    "exact_quantiles",
    "merge_into",
]

#: The strategies of the axis, reference first.
METHODS = ("none", "exact", "ddsketch")
#: The quantiles every method reports, by name.
LEVELS = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
#: DDSketch's relative accuracy in basis points (100 = 1%, the library's default).
DEFAULT_ACCURACY_BP = 100
#: A key whose log is this close to a whole number is recomputed with the library's own
#: ``math.log``, so numpy's log (which may differ by an ulp) never picks another bucket.
_EDGE = 1e-7


class Accumulator(Protocol):
    def update(self, x: float) -> None: ...
    def update_block(self, values: np.ndarray) -> None: ...
    def merge(self, other: Any) -> None: ...
    def quantiles(self) -> dict[str, float | None]: ...
    def held(self) -> int: ...


def exact_quantiles(values: np.ndarray) -> dict[str, float | None]:
    """p50, p95, p99 of ``values`` by the ``lower`` rank definition (``None`` when empty)."""
    if len(values) == 0:
        return dict.fromkeys(LEVELS)
    found = np.quantile(values, list(LEVELS.values()), method="lower")
    return {name: float(v) for name, v in zip(LEVELS, found, strict=True)}


class Exact:
    """Every value kept (a list for rows, arrays for blocks): memory O(n), the reference."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.blocks: list[np.ndarray] = []

    def update(self, x: float) -> None:
        self.values.append(x)

    def update_block(self, values: np.ndarray) -> None:
        self.blocks.append(np.array(values, dtype=np.float64))  # a copy: never pins a parser's buffer

    def merge(self, other: Exact) -> None:
        self.values += other.values
        self.blocks += other.blocks

    def array(self) -> np.ndarray:
        return np.concatenate([*self.blocks, np.asarray(self.values, dtype=np.float64)])

    def quantiles(self) -> dict[str, float | None]:
        return exact_quantiles(self.array())

    def held(self) -> int:
        """Values kept."""
        return len(self.values) + sum(len(b) for b in self.blocks)


def sketch_keys(mapping: LogarithmicMapping, magnitudes: np.ndarray) -> np.ndarray:
    """The bucket keys of positive ``magnitudes``, equal to ``mapping.key`` of each one.

    ``key(v) = ceil(log2(v) * multiplier)`` with the multiplier built as the library
    builds it; logs within a hair of a whole number take the library's own path.
    """
    gamma_mantissa = 2 * mapping.relative_accuracy / (1 - mapping.relative_accuracy)
    multiplier = 1 / math.log1p(gamma_mantissa) * math.log(2)
    scaled = np.log(magnitudes) / math.log(2) * multiplier
    keys = np.ceil(scaled).astype(np.int64)
    edge = np.flatnonzero(np.abs(scaled - np.rint(scaled)) < _EDGE)
    for i in edge.tolist():
        keys[i] = mapping.key(float(magnitudes[i]))
    return keys


class Counts:
    """Counts per bucket key in a numpy array, grown as keys arrive (a block's keys at once)."""

    def __init__(self) -> None:
        self.low = 0
        self.counts = np.zeros(0, dtype=np.int64)

    def add(self, keys: np.ndarray) -> None:
        if not len(keys):
            return
        lo, hi = int(keys.min()), int(keys.max())
        if not len(self.counts):
            self.low, self.counts = lo, np.zeros(hi - lo + 1, dtype=np.int64)
        elif lo < self.low or hi >= self.low + len(self.counts):
            low = min(lo, self.low)
            grown = np.zeros(max(hi, self.low + len(self.counts) - 1) - low + 1, dtype=np.int64)
            grown[self.low - low : self.low - low + len(self.counts)] = self.counts
            self.low, self.counts = low, grown
        self.counts += np.bincount(keys - self.low, minlength=len(self.counts))

    def store(self) -> DenseStore:
        """The counts as the library's store (its range set by the extreme keys first)."""
        store = DenseStore()
        found = np.flatnonzero(self.counts)
        for i in [*found[[0, -1]].tolist(), *found[1:-1].tolist()] if len(found) > 1 else found.tolist():
            store.add(self.low + i, float(self.counts[i]))
        return store


class Sketch:
    """A DDSketch of relative accuracy ``alpha``: memory grows with the log of the value range.

    Blocks are counted per bucket key in numpy arrays and handed to the sketch,
    as a sketch of their own merged into it, before it is read, merged or pickled;
    the sketch's own sum, min and max are not kept on that path (the statistics
    axis computes those exactly).
    """

    def __init__(self, alpha: float) -> None:
        self.sketch = DDSketch(alpha)
        self.mapping = LogarithmicMapping(alpha)  # the sketch's own: same gamma, same keys
        self.update = self.sketch.add  # one value at a time: the library's own path
        self._pending: tuple[Counts, Counts, list[int]] | None = None

    def update_block(self, values: np.ndarray) -> None:
        """Add every value of ``values``: the same buckets as ``update`` of each."""
        if self._pending is None:
            self._pending = (Counts(), Counts(), [0])
        positive, negative, zeros = self._pending
        tiny = self.mapping.min_possible
        up, down = values[values > tiny], values[values < -tiny]
        positive.add(sketch_keys(self.mapping, up))
        negative.add(sketch_keys(self.mapping, -down))
        zeros[0] += len(values) - len(up) - len(down)

    def flush(self) -> BaseDDSketch:
        """The sketch, with every block added so far."""
        if self._pending is not None:
            positive, negative, zeros = self._pending
            self._pending = None
            part = BaseDDSketch(self.mapping, positive.store(), negative.store(), float(zeros[0]))
            self.sketch.merge(part)
        return self.sketch

    def merge(self, other: Sketch) -> None:
        self.flush().merge(other.flush())

    def quantiles(self) -> dict[str, float | None]:
        sketch = self.flush()
        found = {name: sketch.get_quantile_value(q) for name, q in LEVELS.items()}
        return {name: None if v is None else float(v) for name, v in found.items()}

    def held(self) -> int:
        """Buckets allocated in the positive and negative stores."""
        sketch = self.flush()
        return sketch._store.length() + sketch._negative_store.length()

    def __getstate__(self) -> dict[str, Any]:
        self.flush()
        return {k: v for k, v in self.__dict__.items() if k != "update"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, update=state["sketch"].add)


@dataclass(frozen=True)
class Quantiles:
    """The chosen quantile method and DDSketch's accuracy (basis points): makes accumulators,
    taps readers, and reports."""

    method: str = "none"
    accuracy_bp: int = DEFAULT_ACCURACY_BP

    @property
    def alpha(self) -> float:
        return self.accuracy_bp / 10_000

    @property
    def active(self) -> bool:
        return self.method != "none"

    def new(self) -> Accumulator:
        if self.method == "exact":
            return Exact()
        if self.method == "ddsketch":
            return Sketch(self.alpha)
        raise ValueError(f"quantiles={self.method} keeps no accumulator")

    def tap(self, reader: Reader) -> tuple[Reader | Tap, dict[str, Accumulator]]:
        """The reader to hand the statistics method, and the accumulators per group it fills
        as it is read: ``reader`` itself and nothing when no quantiles are asked for."""
        if not self.active:
            return reader, {}
        tap = Tap(reader, self)
        return tap, tap.groups

    def report(self, groups: dict[str, Accumulator], grouped: bool) -> dict[str, Any]:
        """The quantiles overall and per group, with what the method held to compute them."""
        total = self.new()
        for acc in groups.values():
            total.merge(acc)
        out: dict[str, Any] = {"method": self.method}
        if self.method == "ddsketch":
            out["relative_accuracy"] = self.alpha
        out["overall"] = total.quantiles()
        out["groups"] = {k: groups[k].quantiles() for k in sorted(groups)} if grouped else {}
        out["held"] = sum(acc.held() for acc in groups.values())
        out["held_unit"] = "buckets" if self.method == "ddsketch" else "values"
        return out


#: No quantiles: the reference, at no cost.
NO_QUANTILES = Quantiles()


def merge_into(total: dict[str, Accumulator], part: dict[str, Accumulator]) -> None:
    """Merge the accumulators of ``part`` into ``total``, key by key, in place."""
    for key, acc in part.items():
        if key in total:
            total[key].merge(acc)
        else:
            total[key] = acc


class Tap:
    """A reader that feeds its first pass into per-group quantile accumulators on the way
    to the statistics method (later passes, as two-pass reads, go straight through)."""

    def __init__(self, reader: Reader, quantiles: Quantiles) -> None:
        self.reader = reader
        self.kind = reader.kind
        self.quantiles = quantiles
        self.groups: dict[str, Accumulator] = {}
        self._passes = 0

    def read(self) -> Iterator:
        self._passes += 1
        if self._passes > 1:
            return self.reader.read()
        return self._rows() if self.kind == "rows" else self._blocks()

    def _rows(self) -> Iterator[tuple[str, float]]:
        adders = {k: acc.update for k, acc in self.groups.items()}
        for key, x in self.reader.read():
            add = adders.get(key)
            if add is None:
                acc = self.groups[key] = self.quantiles.new()
                add = adders[key] = acc.update
            add(x)
            yield key, x

    def _blocks(self) -> Iterator[Block]:
        groups, new = self.groups, self.quantiles.new
        for block in self.reader.read():
            order = np.argsort(block.codes, kind="stable")
            counts = np.bincount(block.codes, minlength=len(block.keys))
            ends = np.cumsum(counts)
            starts = ends - counts
            ordered = block.values[order]
            for i, key in enumerate(block.keys):
                if ends[i] > starts[i]:
                    acc = groups.get(key)
                    if acc is None:
                        acc = groups[key] = new()
                    acc.update_block(ordered[starts[i] : ends[i]])
            yield block
