"""``compact``: an in-process cache of neighbour lists in flat int32 arrays, evicting by CLOCK.

An entry is ``2k`` int32 values (k ids, then their k exact scores) in one row of a
preallocated array; a product's row is found through an int32 slot array over the
catalogue. A million entries of ten neighbours take 84 MB, against well over a gigabyte
as tuples in a dict. A hit is two memoryview reads and a slice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CompactCache"]


class CompactCache:
    """Neighbour lists of up to ``capacity`` products of a ``products``-sized catalogue."""

    def __init__(self, products: int, capacity: int, k: int) -> None:
        self.capacity, self.k = max(1, min(capacity, products)), k
        self._slot = np.full(products, -1, dtype=np.int32)
        self._rows = np.zeros((self.capacity, 2 * k), dtype=np.int32)
        self._owner = np.full(self.capacity, -1, dtype=np.int32)
        self._ref = bytearray(self.capacity)
        self._slot_mv = memoryview(self._slot)
        self._rows_mv = memoryview(self._rows).cast("B").cast("i")
        self.size = 0
        self._hand = 0
        self.hits = self.misses = 0

    def load(self, products: np.ndarray, ids: np.ndarray, scores: np.ndarray, chunk: int = 1 << 16) -> None:
        """Fill the free rows with ``products`` (in order) and their ``ids``/``scores`` rows, by chunks."""
        take = min(len(products), self.capacity - self.size)
        for start in range(0, take, chunk):
            chosen = np.asarray(products[start : min(start + chunk, take)])
            rows = slice(self.size, self.size + len(chosen))
            self._rows[rows, : self.k] = ids[chosen, : self.k]
            self._rows[rows, self.k :] = scores[chosen, : self.k]
            self._owner[rows] = chosen
            self._slot[chosen] = np.arange(rows.start, rows.stop, dtype=np.int32)
            self.size += len(chosen)

    def get(self, product: int) -> Sequence[int] | None:
        """The entry of ``product`` (k ids then k scores), or ``None``."""
        slot = self._slot_mv[product]
        if slot < 0:
            self.misses += 1
            return None
        self.hits += 1
        self._ref[slot] = 1
        start = slot * 2 * self.k
        return self._rows_mv[start : start + 2 * self.k]

    def put(self, product: int, entry: Sequence[int]) -> None:
        """Keep ``entry`` for ``product``, evicting by CLOCK when full."""
        if self._slot_mv[product] >= 0:
            return
        if self.size < self.capacity:
            slot = self.size
            self.size += 1
        else:
            while self._ref[self._hand]:
                self._ref[self._hand] = 0
                self._hand = (self._hand + 1) % self.capacity
            slot = self._hand
            self._hand = (self._hand + 1) % self.capacity
            self._slot[self._owner[slot]] = -1
        self._rows[slot] = entry
        self._owner[slot] = product
        self._slot[product] = slot

    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return self._slot.nbytes + self._rows.nbytes + self._owner.nbytes + len(self._ref)
