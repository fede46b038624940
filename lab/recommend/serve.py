"""Recommendations: blended from the neighbours of what a user bought, explained, owned items left out.

A recommendation for a user takes the neighbour lists of their ``history`` most recent
distinct purchases, adds up the exact similarities of each candidate the user does not
own, and keeps the ``k`` best (ties by the smaller product id); each item names the
purchases that led to it. A user with no purchases gets the most popular products.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

import numpy as np

from lab.recommend.catalogue import draw_ranks
from lab.recommend.workload import Workload

__all__ = ["Item", "recommend", "recent", "zipf_draws"]

#: (product, summed exact similarity, the purchases that led to it)
Item = tuple[int, int, tuple[int, ...]]


def recent(purchases: Sequence[int], history: int) -> list[int]:
    """The ``history`` most recent distinct products of ``purchases`` (oldest first), newest first."""
    seen: list[int] = []
    for product in reversed(purchases):
        if product not in seen:
            seen.append(product)
            if len(seen) == history:
                break
    return seen


def recommend(
    workload: Workload,
    user: int,
    k: int,
    history: int,
    lookup: Callable[[int], Sequence[int]],
) -> list[Item]:
    """The ``k`` best products for ``user``, with their scores and the purchases behind them."""
    purchases = workload.history(user).tolist()
    owned = set(purchases)
    basis = recent(purchases, history)
    if not basis:
        popular = workload.array("by_rank")[: k + len(owned)].tolist()
        return [(p, 0, ()) for p in popular if p not in owned][:k]
    totals: dict[int, int] = {}
    because: dict[int, list[int]] = {}
    for product in basis:
        entry = lookup(product)
        width = len(entry) // 2
        for i in range(width):
            other = entry[i]
            if other in owned:
                continue
            totals[other] = totals.get(other, 0) + entry[width + i]
            because.setdefault(other, []).append(product)
    best = heapq.nsmallest(k, totals.items(), key=lambda t: (-t[1], t[0]))
    return [(p, s, tuple(because[p])) for p, s in best]


def zipf_draws(population: int, count: int, exponent: float, seed: int) -> np.ndarray:
    """``count`` draws from ``0..population-1``, rank ``r`` with probability proportional to
    ``1 / (r + 1) ** exponent``, ranks shuffled so that the hot ids are spread out."""
    rng = np.random.default_rng([seed, population, count, int(exponent * 1000)])
    ranks = draw_ranks(1.0 / np.arange(1, population + 1) ** exponent, count, rng)
    return np.random.default_rng([seed, population, 5]).permutation(population)[ranks]
