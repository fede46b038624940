"""The deterministic catalogue of a tier: clustered product embeddings, categories and popularity.

Embeddings are unit vectors rounded to multiples of ``1/SCALE`` and stored as float32,
which holds them exactly: the similarity of two products is then the exact integer
``dot(q1, q2)`` of their integer coordinates (cosine times ``SCALE**2``, within 1e-4),
so every exact strategy ranks them identically, ties broken by the smaller product id.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DIM",
    "SCALE",
    "CATEGORIES",
    "PRODUCT_ZIPF",
    "cluster_count",
    "make_embeddings",
    "popularity",
    "as_ints",
    "draw_ranks",
]

#: Embedding dimensions.
DIM = 64
#: Embedding coordinates are multiples of 1/SCALE (exact in float32; integer dot products).
SCALE = 32768
#: Product categories; a cluster belongs to one category.
CATEGORIES = 20
#: The Zipf exponent of product popularity (purchases).
PRODUCT_ZIPF = 1.1
#: Spread of a product around its cluster centre, per dimension.
SPREAD = 0.05


def cluster_count(products: int) -> int:
    """About a thousand products per cluster, at least four clusters."""
    return max(4, products // 1000)


def make_embeddings(
    products: int, seed: int, chunk: int = 1 << 17
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(embeddings, cluster_of, categories)``: float32 ``(products, DIM)`` unit vectors on the
    ``1/SCALE`` grid around random cluster centres, each product's cluster and category."""
    rng = np.random.default_rng([seed, products, 1])
    clusters = cluster_count(products)
    centres = rng.standard_normal((clusters, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    cluster_of = rng.integers(0, clusters, products).astype(np.int32)
    categories = (cluster_of % CATEGORIES).astype(np.int16)
    out = np.empty((products, DIM), dtype=np.float32)
    for start in range(0, products, chunk):
        stop = min(start + chunk, products)
        v = centres[cluster_of[start:stop]] + SPREAD * rng.standard_normal((stop - start, DIM))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[start:stop] = np.rint(v * (SCALE - 1)) / SCALE
    return out, cluster_of, categories


def popularity(products: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(by_rank, weights)``: the products from most to least popular, and each rank's purchase
    probability (Zipf with exponent :data:`PRODUCT_ZIPF`)."""
    rng = np.random.default_rng([seed, products, 2])
    by_rank = rng.permutation(products).astype(np.int32)
    weights = 1.0 / np.arange(1, products + 1) ** PRODUCT_ZIPF
    return by_rank, weights / weights.sum()


def as_ints(rows: np.ndarray) -> np.ndarray:
    """Embedding rows as their exact integer coordinates (int64)."""
    return np.rint(np.asarray(rows, dtype=np.float64) * SCALE).astype(np.int64)


def draw_ranks(weights: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` ranks drawn with probability proportional to ``weights`` (inverse CDF)."""
    cdf = np.cumsum(weights)
    ranks = np.searchsorted(cdf, rng.random(count) * cdf[-1], side="right")
    return np.minimum(ranks, len(weights) - 1)
