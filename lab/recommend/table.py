"""The exact neighbour table of a whole catalogue: every product's top-k, without an all-pairs scan.

Products are ranked within their own cluster first; another cluster is searched only
when a cone bound (the angle from a product to that cluster's centre, less the
cluster's angular radius) leaves room for one of its members to beat the k-th
neighbour found so far. The result is exact: the same table :func:`exact.topk` gives
over the whole catalogue, at a fraction of its cost.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lab.recommend.catalogue import SCALE
from lab.recommend.exact import MARGIN, topk

__all__ = ["neighbour_table"]


def _cones(embeddings: np.ndarray, members: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """Unit centre and angular radius of each cluster, and the largest embedding norm."""
    centres = np.stack([embeddings[m].astype(np.float64).mean(axis=0) for m in members])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    radii = np.empty(len(members))
    top = 0.0
    for c, m in enumerate(members):
        rows = embeddings[m].astype(np.float64)
        norms = np.linalg.norm(rows, axis=1)
        top = max(top, float(norms.max()))
        radii[c] = np.arccos(np.clip(rows @ centres[c] / norms, -1, 1)).max()
    return centres, radii, top


def neighbour_table(
    embeddings: np.ndarray,
    cluster_of: np.ndarray,
    k: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, scores)``: the exact top-``k`` of every product, int32 ``(n, k)`` each (scores
    are exact integer similarities, which fit in int32 for unit vectors)."""
    n = len(embeddings)
    order = np.argsort(cluster_of, kind="stable")
    bounds = np.searchsorted(cluster_of[order], np.arange(cluster_of.max() + 2))
    members = [order[bounds[c] : bounds[c + 1]] for c in range(len(bounds) - 1)]
    members = [m for m in members if len(m)]
    centres, radii, top = _cones(embeddings, members)
    ids = np.empty((n, k), dtype=np.int32)
    scores = np.empty((n, k), dtype=np.int32)
    for c, m in enumerate(members):
        pool = m if len(m) > k else np.arange(n)
        got_ids, got = topk(m, embeddings, k, pool)
        rows = embeddings[m].astype(np.float64)
        angle = np.arccos(np.clip(rows @ centres.T / np.linalg.norm(rows, axis=1)[:, None], -1, 1))
        bound = np.cos(np.clip(angle - radii[None, :], 0, np.pi)) * top * top
        reach = bound >= (got[:, -1] / SCALE**2)[:, None] - MARGIN
        reach[:, c] = False
        if reach.any():
            wider = np.concatenate([m, *(members[o] for o in np.flatnonzero(reach.any(axis=0)))])
            got_ids, got = topk(m, embeddings, k, np.sort(wider))
        ids[m], scores[m] = got_ids, got
        if progress is not None:
            progress(c + 1, len(members))
    return ids, scores
