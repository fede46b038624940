"""The ``similarity`` axis: how the top-k similar products of one product are computed on a miss.

Each strategy is a callable ``similar(product, k) -> (ids, scores)`` (tuples, best first,
ties by the smaller id). ``python`` and ``numpy`` are exact; ``hnswlib`` and ``faiss``
search an approximate index (built once per tier and kept under the data folder), then
rescore their candidates exactly, so they differ from the exact answer only when the
index missed a true neighbour (recall@k, reported beside their speed).
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lab.errors import UsageError
from lab.recommend.catalogue import DIM, as_ints
from lab.recommend.exact import rank, topk
from lab.recommend.workload import Workload

__all__ = ["Similar", "make_similarity", "PYTHON_LIMIT"]

Similar = Callable[[int, int], tuple[tuple[int, ...], tuple[int, ...]]]

#: The most products the pure-Python strategy holds as lists (beyond, it is hours per sweep).
PYTHON_LIMIT = 100_000
#: Candidates an index returns per wanted neighbour, before exact rescoring.
OVERSAMPLE = 2


def _python(workload: Workload) -> Similar:
    if workload.products > PYTHON_LIMIT:
        raise UsageError(
            f"similarity=python holds the catalogue as Python lists and scans it pair by pair: "
            f"refused above {PYTHON_LIMIT:,} products ({workload.products:,} here)"
        )
    rows = as_ints(workload.embeddings).tolist()
    mul = operator.mul

    def similar(product: int, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        query = rows[product]
        scored = ((sum(map(mul, query, row)), -i) for i, row in enumerate(rows) if i != product)
        best = heapq.nlargest(k, scored)
        return tuple(-i for _, i in best), tuple(s for s, _ in best)

    return similar


def _numpy(workload: Workload) -> Similar:
    embeddings = np.ascontiguousarray(workload.embeddings)

    def similar(product: int, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        ids, scores = topk(np.array([product]), embeddings, k)
        return tuple(ids[0].tolist()), tuple(scores[0].tolist())

    return similar


def _rescored(embeddings: np.ndarray, search: Callable[[np.ndarray, int], np.ndarray]) -> Similar:
    """An index search whose candidates are ranked exactly (the query itself dropped)."""

    def similar(product: int, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        found = search(embeddings[product : product + 1], OVERSAMPLE * k + 1)
        found = found[found >= 0][None, :].astype(np.int64)
        ids, scores = rank(np.array([product]), found, embeddings, min(k, found.shape[1] - 1))
        return tuple(ids[0].tolist()), tuple(scores[0].tolist())

    return similar


def _hnswlib(workload: Workload, ef: int) -> Similar:
    import hnswlib

    embeddings = np.ascontiguousarray(workload.embeddings)
    index = hnswlib.Index(space="ip", dim=DIM)
    path = workload.folder / "hnswlib-M16-ef100.bin"
    if path.exists():
        index.load_index(str(path), max_elements=workload.products)
    else:
        index.init_index(max_elements=workload.products, M=16, ef_construction=100, random_seed=workload.seed)
        threads = 1 if workload.products <= PYTHON_LIMIT else -1  # one thread: the same index every time
        index.add_items(embeddings, np.arange(workload.products), num_threads=threads)
        _save(path, lambda p: index.save_index(str(p)))
    index.set_ef(ef)
    index.set_num_threads(1)
    return _rescored(embeddings, lambda q, n: index.knn_query(q, k=min(n, workload.products))[0][0])


def _faiss(workload: Workload, nprobe: int) -> Similar:
    import faiss

    embeddings = np.ascontiguousarray(workload.embeddings)
    lists = max(1, min(int(np.sqrt(workload.products)), workload.products // 39))
    path = workload.folder / f"faiss-ivf{lists}.index"
    if path.exists():
        index = faiss.read_index(str(path))
    else:
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, lists, faiss.METRIC_INNER_PRODUCT)
        sample = embeddings[np.random.default_rng(workload.seed).permutation(len(embeddings))[: lists * 64]]
        index.train(sample)
        index.add(embeddings)
        _save(path, lambda p: faiss.write_index(index, str(p)))
    index.nprobe = nprobe
    faiss.omp_set_num_threads(1)
    return _rescored(embeddings, lambda q, n: index.search(q, min(n, workload.products))[1][0])


def _save(path: Path, write: Callable[[Path], None]) -> None:
    partial = path.with_name(path.name + ".partial")
    write(partial)
    partial.rename(path)


def make_similarity(name: str, workload: Workload, ef: int = 64, nprobe: int = 16) -> Similar:
    """The ``similarity`` strategy ``name`` on ``workload`` (indexes built or loaded here, untimed)."""
    if name == "python":
        return _python(workload)
    if name == "numpy":
        return _numpy(workload)
    if name == "hnswlib":
        return _hnswlib(workload, ef)
    if name == "faiss":
        return _faiss(workload, nprobe)
    raise UsageError(f"unknown similarity strategy {name!r}")
