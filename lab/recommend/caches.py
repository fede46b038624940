"""The ``cache`` axis: where a product's neighbour list is looked up before it is computed.

A :class:`Chain` is an in-process tier (L1: none, ``functools.lru_cache``, cachetools'
``LRUCache`` or :class:`CompactCache`) in front of lower tiers (Redis, the SQLite
table) in front of the ``similarity`` strategy. A value found below is written back to
every tier above it; a computed one to every tier. Each tier counts its hits and misses,
as ``cache_info()`` does.

The in-process tier is made when a run starts (:meth:`Chain.start`), as a serving process
makes it: ``lru`` and ``cachetools`` start empty; ``compact`` starts from the snapshot of
the precomputed neighbours of the ``compact_size`` most popular products.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lab.recommend.compact import CompactCache
from lab.recommend.similarity import Similar

__all__ = ["L1_KINDS", "Chain"]

Entry = Sequence[int]

#: The in-process tier of each ``cache`` strategy (``None``: no in-process tier).
L1_KINDS: dict[str, str | None] = {
    "none": None,
    "lru": "lru",
    "cachetools": "cachetools",
    "two-tier": "lru",
    "three-tier": "lru",
    "compact": "compact",
}


class Chain:
    """The lookup path of one ``cache`` strategy."""

    def __init__(
        self, cache: str, similar: Similar, k: int, lower: Sequence[Any], sizes: dict[str, int]
    ) -> None:
        self.kind = L1_KINDS[cache]
        self.similar, self.k, self.lower, self.sizes = similar, k, list(lower), sizes
        self.computed = 0
        self.hits = self.misses = 0
        self.l1: Any = None
        self.lookup: Callable[[int], Entry] = self._below

    def start(self, snapshot: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None) -> None:
        """Make the in-process tier afresh (``snapshot()``: products by popularity, ids, scores)."""
        self.computed = self.hits = self.misses = 0
        size = self.sizes["cache_size"]
        if self.kind == "lru":
            self.l1 = functools.lru_cache(maxsize=size)(self._below)
            self.lookup = self.l1
        elif self.kind == "cachetools":
            import cachetools

            self.l1 = cachetools.LRUCache(maxsize=size)
            self.lookup = self._mapping
        elif self.kind == "compact":
            self.l1 = CompactCache(self.sizes["products"], self.sizes["compact_size"], self.k)
            if snapshot is not None:
                self.l1.load(*snapshot())
            self.lookup = self._compact
        else:
            self.lookup = self._below

    def _mapping(self, product: int) -> Entry:
        entry = self.l1.get(product)
        if entry is None:
            self.misses += 1
            entry = self.l1[product] = self._below(product)
        else:
            self.hits += 1
        return entry

    def _compact(self, product: int) -> Entry:
        entry = self.l1.get(product)
        if entry is None:
            entry = self._below(product)
            self.l1.put(product, entry)
        return entry

    def _below(self, product: int) -> Entry:
        for depth, tier in enumerate(self.lower):
            entry = tier.get(product)
            if entry is not None:
                for upper in self.lower[:depth]:
                    upper.put(product, entry)
                return tuple(entry)
        ids, scores = self.similar(product, self.k)
        self.computed += 1
        entry = ids + scores
        for tier in self.lower:
            tier.put(product, entry)
        return entry

    def l1_info(self) -> dict[str, int]:
        """The in-process tier as ``cache_info()`` reports it: hits, misses, maxsize, currsize."""
        if self.kind == "lru":
            info = self.l1.cache_info()
            return {
                "hits": info.hits,
                "misses": info.misses,
                "maxsize": info.maxsize,
                "currsize": info.currsize,
            }
        if self.kind == "cachetools":
            return {
                "hits": self.hits,
                "misses": self.misses,
                "maxsize": self.l1.maxsize,
                "currsize": len(self.l1),
            }
        if self.kind == "compact":
            c = self.l1
            return {"hits": c.hits, "misses": c.misses, "maxsize": c.capacity, "currsize": c.size}
        lookups = self.computed + sum(t.hits for t in self.lower)
        return {"hits": 0, "misses": lookups, "maxsize": 0, "currsize": 0}
