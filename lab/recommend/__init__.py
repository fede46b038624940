"""Lesson 3, a recommendation engine: similar products of a million-product catalogue behind
cache tiers (in-process, Redis, a SQLite table), blended and explained recommendations for
users drawn from a Zipf law; segments, churn, LTV and A/B tests beside it.

The scenario :func:`run` serves ``requests`` recommendations; it is the one way every
caller runs this system (through :class:`lab.scenario.Scenario`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lab import services, strategies
from lab.errors import UsageError
from lab.outcome import Outcome, fingerprint
from lab.recommend import command, insights
from lab.recommend.caches import Chain
from lab.recommend.serve import recommend, zipf_draws
from lab.recommend.similarity import make_similarity
from lab.recommend.stores import RedisTier, SqliteTier, build_table, pack
from lab.recommend.workload import TABLE_K, Workload, prepare
from lab.strategies import Axis, Command, Strategy, Sweep, System

__all__ = ["SYSTEM", "PARAMS", "State", "prepare", "setup", "run", "reset", "teardown"]

#: Tunable parameters (``--set NAME=VALUE``), whole numbers.
PARAMS = {
    "requests": 1000,  # recommendations served per run
    "k": 10,  # recommendations per request, and neighbours per product
    "history": 5,  # recent purchases a recommendation is blended from
    "zipf_x100": 110,  # the Zipf exponent of requests over users, times 100
    "cache_size": 10_000,  # maxsize of the lru tiers (the course's @lru_cache(maxsize=10_000))
    "compact_size": 1_000_000,  # entries of the compact tier
    "redis_warm": 10_000,  # most popular products preloaded into Redis in setup
    "ef": 64,  # hnswlib search breadth
    "nprobe": 16,  # faiss inverted lists searched
}
#: Strategies of the similarity axis that search an approximate index.
APPROXIMATE = ("hnswlib", "faiss")
#: Request samples shown in the answer.
SAMPLE = 3


@dataclass
class State:
    """What a run needs, made in :func:`setup`: the lookup chain, its tiers and the request stream."""

    workload: Workload
    chain: Chain
    users: np.ndarray
    params: dict[str, int]
    redis: RedisTier | None = None
    sqlite: SqliteTier | None = None
    computed: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    approximate: bool = False


def _check(workload: Workload, params: Mapping[str, int]) -> None:
    k = params["k"]
    if not 1 <= k <= min(TABLE_K, workload.products - 1):
        raise UsageError(
            f"k={k} is out of range: 1..{min(TABLE_K, workload.products - 1)} "
            f"(the neighbour table holds {TABLE_K}; the catalogue has {workload.products} products)"
        )
    for name in ("requests", "history", "zipf_x100", "cache_size", "compact_size", "ef", "nprobe"):
        if params[name] < 1:
            raise UsageError(f"{name} must be at least 1, not {params[name]}")


def setup(workload: Workload, choices: Mapping[str, str], params: Mapping[str, Any]) -> State:
    """Build the similarity strategy, connect the lower tiers, preload Redis and draw the requests."""
    _check(workload, params)
    similarity, cache = choices["similarity"], choices["cache"]
    similar = make_similarity(similarity, workload, params["ef"], params["nprobe"])
    state_computed: list[tuple[int, tuple[int, ...]]] = []
    if similarity in APPROXIMATE:
        inner = similar

        def similar(product: int, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
            ids, scores = inner(product, k)
            state_computed.append((product, ids))
            return ids, scores

    lower: list[Any] = []
    redis = sqlite = None
    k = params["k"]
    try:
        if cache in ("two-tier", "three-tier"):
            redis = RedisTier(services.url("redis"))
            by_rank = workload.array("by_rank")[: params["redis_warm"]]
            ids, scores = workload.array("neighbours"), workload.array("scores")
            redis.preload((int(p), pack([*ids[p, :k], *scores[p, :k]])) for p in by_rank)
            lower.append(redis)
        if cache == "three-tier":
            path = build_table(workload.folder / "neighbours.sqlite", ids, scores)
            sqlite = SqliteTier(path, ids.shape[1], k)
            lower.append(sqlite)
    except Exception:
        for tier in (redis, sqlite):
            if tier is not None:
                tier.close()
        raise
    sizes = {"cache_size": params["cache_size"], "compact_size": params["compact_size"]}
    chain = Chain(cache, similar, k, lower, {**sizes, "products": workload.products})
    users = zipf_draws(workload.users, params["requests"], params["zipf_x100"] / 100, workload.seed)
    return State(
        workload, chain, users, dict(params), redis, sqlite, state_computed, similarity in APPROXIMATE
    )


def _snapshot(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = state.workload
    return w.array("by_rank")[: state.params["compact_size"]], w.array("neighbours"), w.array("scores")


def run(state: State, *, similarity: str, cache: str, **params: Any) -> Outcome:
    """Serve the requests: start the in-process tier, then recommend for each user drawn."""
    k, history = state.params["k"], state.params["history"]
    started = time.perf_counter_ns()
    state.chain.start(lambda: _snapshot(state))
    filled = time.perf_counter_ns()
    digest = hashlib.sha256()
    latencies = np.empty(len(state.users), dtype=np.int64)
    sample = []
    for i, user in enumerate(state.users.tolist()):
        t0 = time.perf_counter_ns()
        items = recommend(state.workload, user, k, history, state.chain.lookup)
        latencies[i] = time.perf_counter_ns() - t0
        digest.update(repr((user, items)).encode())
        if i < SAMPLE:
            sample.append({"user": user, "items": [list(item) for item in items]})
    finished = time.perf_counter_ns()
    return _outcome(state, digest.hexdigest()[:16], sample, latencies, filled - started, finished - started)


def _outcome(
    state: State, digest: str, sample: list, latencies: np.ndarray, fill_ns: int, total_ns: int
) -> Outcome:
    chain = state.chain
    l1 = chain.l1_info()
    tiers: dict[str, dict[str, int]] = {"l1": l1}
    counts = {"requests": len(state.users), "cache_hits": l1["hits"], "cache_misses": l1["misses"]}
    held = [l1["currsize"]]
    for name, tier in (("redis", state.redis), ("sqlite", state.sqlite)):
        if tier is not None:
            tiers[name] = {"hits": tier.hits, "misses": tier.misses, "currsize": tier.entries()}
            counts[f"{name}_hits"], counts[f"{name}_misses"] = tier.hits, tier.misses
            held.append(tier.entries())
    if state.redis is not None:
        counts["redis_errors"] = tiers["redis"]["errors"] = state.redis.errors
    counts["computed"] = chain.computed
    counts["lookups"] = l1["hits"] + l1["misses"]
    counts["similarities_cached"] = max(held)
    answer = {"requests": len(state.users), "k": state.params["k"], "digest": digest, "sample": sample}
    details: dict[str, Any] = {
        "tiers": tiers,
        "fill_ms": fill_ns / 1e6,
        "latency_us": {q: float(np.percentile(latencies, q)) / 1e3 for q in (50, 99)},
        "elapsed_s": total_ns / 1e9,
    }
    if chain.kind == "compact":
        details["l1_bytes"] = chain.l1.nbytes()
    extras: dict[str, Any] = {}
    if state.approximate:
        extras["recall_at_k"] = recall(state)
        state.computed.clear()
    return Outcome(answer, fingerprint(answer), len(state.users), counts, details, extras)


def recall(state: State) -> float | None:
    """The share of the exact top-k the approximate strategy found, over the lookups it computed."""
    if not state.computed:
        return None
    k = state.params["k"]
    table = state.workload.array("neighbours")
    found = sum(len(set(ids) & set(table[p, :k].tolist())) for p, ids in state.computed)
    return found / (k * len(state.computed))


def reset(state: State) -> None:
    """Between repeats: Redis back to its preload, counters zeroed, computed lookups forgotten."""
    if state.redis is not None:
        state.redis.forget_writes()
    if state.sqlite is not None:
        state.sqlite.hits = state.sqlite.misses = 0
    state.computed.clear()


def teardown(state: State) -> None:
    """Delete the Redis namespace and close every connection."""
    for tier in (state.redis, state.sqlite):
        if tier is not None:
            tier.close()


REDIS = ("redis",)
S = Strategy
SYSTEM = System(
    name="recommend",
    description="similar products and blended recommendations behind cache tiers (lesson 3)",
    unit="recommendations",
    axes=(
        Axis(
            "similarity",
            "how a product's top-k similar products are computed on a cache miss",
            (
                S("python", "exact: cosine per pair in pure Python loops, heapq top-k"),
                S("numpy", "exact: one float32 matrix-vector product, argpartition, exact rescoring"),
                S(
                    "hnswlib",
                    "approximate: an HNSW graph (hnswlib), candidates rescored",
                    packages=("hnswlib",),
                ),
                S(
                    "faiss",
                    "approximate: faiss IVF-flat inverted lists, candidates rescored",
                    packages=("faiss",),
                ),
            ),
            reference="numpy",
        ),
        Axis(
            "cache",
            "where neighbour lists are looked up before they are computed",
            (
                S("none", "every lookup computes"),
                S("lru", "functools.lru_cache(maxsize=cache_size), empty at start"),
                S(
                    "cachetools",
                    "cachetools.LRUCache(cache_size), empty at start (peer)",
                    packages=("cachetools",),
                ),
                S("two-tier", "lru, then real Redis (preloaded with redis_warm products)", ("redis",), REDIS),
                S(
                    "three-tier",
                    "lru, Redis, then a SQLite table of precomputed neighbours",
                    ("redis",),
                    REDIS,
                ),
                S("compact", "flat int32 arrays with CLOCK eviction, loaded with compact_size entries"),
            ),
            reference="lru",
        ),
    ),
    params=PARAMS,
    prepare=prepare,
    setup=setup,
    run=run,
    reset=reset,
    teardown=teardown,
    options=command.OPTIONS,
    settings_from=command.settings_from,
    render=command.render,
    sweep=Sweep(("tiny", "small"), ("similarity", "cache"), 5),
    commands=(
        Command(
            "recommend-insights",
            "a tier's users: segments, churn against the generating model, LTV, A/B tests",
            lambda argv, prog: insights.main(argv, prog),
        ),
    ),
)
strategies.register(SYSTEM)
