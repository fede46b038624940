"""A tier's recommendation workload, made once and kept under the data folder.

The folder holds numpy arrays (read memory-mapped): the catalogue (embeddings, clusters,
categories, popularity), the users (features, the hidden churn outcome, purchases) and
the exact neighbour table. The workload object itself holds only names and paths, so
it pickles small (asv hands it between processes).
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lab.errors import UsageError
from lab.paths import data_dir
from lab.recommend import behaviour, catalogue
from lab.recommend.table import neighbour_table
from lab.tiers import Tier

__all__ = ["TABLE_K", "VERSION", "Workload", "prepare"]

#: Neighbours per product in the precomputed table (the largest cached k).
TABLE_K = 10
#: Bumped when the generated data changes, so old folders are not reused.
VERSION = 1


@functools.cache
def _load(path: Path) -> np.ndarray:
    return np.load(path, mmap_mode="r")


@dataclass(frozen=True)
class Workload:
    """The names and folder of one tier's data; arrays are read on first use."""

    name: str
    folder: Path
    products: int
    users: int
    seed: int

    def array(self, name: str) -> np.ndarray:
        """The stored array ``name`` (memory-mapped, read-only)."""
        return _load(self.folder / f"{name}.npy")

    @property
    def embeddings(self) -> np.ndarray:
        return self.array("embeddings")

    def history(self, user: int) -> np.ndarray:
        """The products ``user`` bought, oldest first."""
        offsets = self.array("offsets")
        return self.array("items")[offsets[user] : offsets[user + 1]]

    def check_product(self, product: int) -> int:
        if not 0 <= product < self.products:
            raise UsageError(f"unknown product {product} (products are 0..{self.products - 1})")
        return int(product)

    def check_user(self, user: int) -> int:
        if not 0 <= user < self.users:
            raise UsageError(f"unknown user {user} (users are 0..{self.users - 1})")
        return int(user)


def prepare(tier: Tier, seed: int = 0, progress: Callable[[int, int], None] | None = None) -> Workload:
    """The workload of ``tier``: generated once (with ``progress(done, total)``), then reused."""
    name = f"recommend-v{VERSION}-{tier.name}-seed{seed}"
    folder = data_dir() / name
    workload = Workload(name, folder, tier.products, tier.users, seed)
    if (folder / "done").exists():
        return workload
    building = folder.with_name(f"{name}.partial-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    arrays = _generate(tier.products, tier.users, seed, progress)
    for key, value in arrays.items():
        np.save(building / f"{key}.npy", value)
    (building / "done").write_text("ok\n")
    try:
        building.rename(folder)
    except OSError:  # made meanwhile by another process: keep theirs
        shutil.rmtree(building, ignore_errors=True)
    return workload


def _generate(
    products: int, users: int, seed: int, progress: Callable[[int, int], None] | None
) -> dict[str, np.ndarray]:
    embeddings, cluster_of, categories = catalogue.make_embeddings(products, seed)
    by_rank, weights = catalogue.popularity(products, seed)
    people = behaviour.make_users(users, seed)
    offsets, items = behaviour.purchases(people["frequency"], by_rank, weights, seed)
    clusters = int(cluster_of.max()) + 1

    def step(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)

    ids, scores = neighbour_table(embeddings, cluster_of, min(TABLE_K, products - 1), step)
    rank_of = np.empty(products, dtype=np.int32)
    rank_of[by_rank] = np.arange(products, dtype=np.int32)
    step(clusters, clusters)
    return {
        "embeddings": embeddings,
        "cluster_of": cluster_of,
        "categories": categories,
        "by_rank": by_rank,
        "rank_of": rank_of,
        "neighbours": ids,
        "scores": scores,
        "offsets": offsets,
        "items": items.astype(np.int32),
        **{f"user_{key}": value for key, value in people.items()},
    }
