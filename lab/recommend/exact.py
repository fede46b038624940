"""Exact cosine top-k, vectorised: float32 scores pick the candidates, exact integers rank them.

float32 products of the embeddings are within :data:`MARGIN` of the exact similarity, so
every product that could belong to the top-k lies within ``MARGIN`` of the k-th float32
score; those candidates are rescored with exact integers and ordered by
(similarity descending, product id ascending). Rows where the margin cannot be vouched
for are rescored over every candidate.
"""

from __future__ import annotations

import numpy as np

from lab.recommend.catalogue import as_ints

__all__ = ["MARGIN", "LOWEST", "topk", "rank"]

#: Bound on |float32 score - exact cosine| for unit vectors of 64 dimensions, with room to spare.
MARGIN = 1e-3
#: The exact score given to a product that must never be chosen (the query itself).
LOWEST = -(1 << 62)
#: Candidates kept beyond k before the margin check.
EXTRA = 8


def rank(queries: np.ndarray, candidates: np.ndarray, embeddings: np.ndarray, k: int) -> tuple:
    """Exact top-``k`` of each query among its row of ``candidates`` (product ids, ``(B, m)``):
    ``(ids, scores)``, int32 and int64 arrays ``(B, k)``; a query never ranks itself."""
    q = as_ints(embeddings[queries])
    c = as_ints(embeddings[candidates.ravel()]).reshape(*candidates.shape, -1)
    exact = np.einsum("bd,bmd->bm", q, c)
    exact[candidates == queries[:, None]] = LOWEST
    order = np.lexsort((candidates, -exact), axis=-1)[:, :k]
    return (
        np.take_along_axis(candidates, order, 1).astype(np.int32),
        np.take_along_axis(exact, order, 1),
    )


def topk(
    queries: np.ndarray, embeddings: np.ndarray, k: int, pool: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` neighbours of each product in ``queries`` among ``pool`` (default: every
    product): ``(ids, scores)`` as :func:`rank` gives them."""
    queries = np.asarray(queries, dtype=np.int64)
    if pool is None:
        pool = np.arange(len(embeddings))
        approx = embeddings[queries] @ embeddings.T  # no copy of the catalogue
        approx[np.arange(len(queries)), queries] = -np.inf
    else:
        pool = np.asarray(pool, dtype=np.int64)
        approx = embeddings[queries] @ embeddings[pool].T
        approx[pool[None, :] == queries[:, None]] = -np.inf
    if k > len(pool) - 1:
        raise ValueError(f"k={k} is more than the {len(pool) - 1} other products to rank")
    m = min(k + EXTRA, len(pool))
    if m < len(pool):
        picked = np.argpartition(-approx, m - 1, axis=1)[:, :m]
    else:
        picked = np.broadcast_to(np.arange(len(pool)), (len(queries), m))
    values = np.take_along_axis(approx, picked, 1)
    kth = -np.partition(-values, k - 1, axis=1)[:, k - 1]
    unsure = (values.min(axis=1) >= kth - MARGIN) & (m < len(pool))
    ids, scores = rank(queries, pool[picked], embeddings, k)
    for row in np.flatnonzero(unsure):
        whole = pool[None, :]
        ids[row], scores[row] = (a[0] for a in rank(queries[row : row + 1], whole, embeddings, k))
    return ids, scores
