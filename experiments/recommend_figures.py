"""The recommend system's figures, measured in one run: the compact cache's memory and hit
against ``lru_cache`` and ``dict.get``, a recommendation's latency from each tier, hit rate per
tier on the Zipf workload, exact top-10 with numpy and pure Python, and the approximate indexes
at their recall@10.

    python experiments/recommend_figures.py [--tier large] [--requests 2000] [--miss-requests 20]
                                            [--queries 50] [--repeat 5] [--out results/experiments]

Writes ``recommend_figures-TIER.md`` under ``--out``. Everything runs through the system's own
code: :class:`lab.scenario.Scenario` for recommendations, :class:`Chain` for the in-process
tiers, the Redis and SQLite tiers and the similarity strategies as the system makes them.
Peak heap is memray's (never in the same call as a timing); ratios are within this one run.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lab import services, tiers
from lab.measure.memory import peak_heap
from lab.recommend import SYSTEM, prepare
from lab.recommend.caches import Chain
from lab.recommend.similarity import PYTHON_LIMIT, make_similarity
from lab.recommend.stores import RedisTier, SqliteTier, build_table, pack
from lab.recommend.workload import Workload
from lab.scenario import Scenario

OUT = Path("results/experiments")
K = 10
#: Entries the in-process caches are filled with (the course's "1M product similarities").
ENTRIES = 1_000_000
#: Every row label the table carries, section by section (the test checks each is written).
ROWS = (
    "peak heap: lru_cache",
    "peak heap: compact",
    "lookup: dict.get",
    "lookup: lru_cache hit",
    "lookup: compact hit",
    "lookup: L2 Redis hit",
    "lookup: L3 SQLite hit",
    "lookup: miss computed by numpy",
    "recommendation: cached (compact)",
    "recommendation: lru",
    "recommendation: two-tier",
    "recommendation: three-tier",
    "recommendation: miss computed by numpy",
    "hit rate: lru",
    "hit rate: two-tier",
    "hit rate: three-tier",
    "top-10: numpy",
    "top-10: python",
    "top-10: hnswlib",
    "top-10: faiss",
)


def per_call_ns(fn: Callable[[int], object], keys: list[int], repeat: int) -> float:
    """Median over ``repeat`` passes of the nanoseconds one ``fn(key)`` takes, over all ``keys``."""
    for key in keys[:1000]:
        fn(key)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        for key in keys:
            fn(key)
        samples.append((time.perf_counter_ns() - started) / len(keys))
    return statistics.median(samples)


def each_call_us(fn: Callable[[int], object], keys: Sequence[int]) -> tuple[float, float]:
    """Median and p99 in microseconds of ``fn(key)`` timed one call at a time."""
    took = []
    for key in keys:
        t0 = time.perf_counter_ns()
        fn(key)
        took.append(time.perf_counter_ns() - t0)
    return float(np.percentile(took, 50)) / 1e3, float(np.percentile(took, 99)) / 1e3


def table_entries(workload: Workload) -> Callable[[int, int], tuple[tuple[int, ...], tuple[int, ...]]]:
    """A similarity that reads the precomputed exact table (to fill caches without computing)."""
    ids, scores = workload.array("neighbours"), workload.array("scores")

    def similar(product: int, k: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return tuple(ids[product, :k].tolist()), tuple(scores[product, :k].tolist())

    return similar


def memory_and_lookups(workload: Workload, args: argparse.Namespace, rows: dict[str, dict]) -> None:
    """Peak heap of lru and compact holding the same entries; a hit of each against ``dict.get``."""
    n = min(ENTRIES, workload.products)
    products = workload.array("by_rank")[:n]
    ids, scores = workload.array("neighbours"), workload.array("scores")
    keys = products.tolist()
    sizes = {"cache_size": n, "compact_size": n, "products": workload.products}
    lru = Chain("lru", table_entries(workload), K, [], sizes)
    compact = Chain("compact", table_entries(workload), K, [], sizes)

    def fill_lru() -> None:
        lru.start()
        for p in keys:
            lru.lookup(p)

    gc.collect()
    lru_peak, _ = peak_heap(fill_lru)
    gc.collect()
    compact_peak, _ = peak_heap(lambda: compact.start(lambda: (products, ids, scores)))
    assert lru.l1_info()["currsize"] == n and compact.l1_info()["currsize"] == n
    rows["peak heap: lru_cache"] = {"entries": n, "MB": lru_peak / 1e6, "vs lru": 1.0}
    rows["peak heap: compact"] = {
        "entries": n,
        "MB": compact_peak / 1e6,
        "vs lru": compact_peak / lru_peak,
        "lru / compact": lru_peak / compact_peak,
        "arrays MB": compact.l1.nbytes() / 1e6,
    }
    print(f"peak heap, {n:,} entries: lru {lru_peak / 1e6:,.1f} MB, compact {compact_peak / 1e6:,.1f} MB")
    plain = {p: lru.lookup(p) for p in keys}
    rng = np.random.default_rng(0)
    sample = rng.choice(np.asarray(keys), size=min(200_000, 20 * n)).tolist()
    dict_ns = per_call_ns(plain.get, sample, args.repeat)
    for label, fn in (
        ("lookup: dict.get", plain.get),
        ("lookup: lru_cache hit", lru.lookup),
        ("lookup: compact hit", compact.lookup),
    ):
        ns = dict_ns if label == "lookup: dict.get" else per_call_ns(fn, sample, args.repeat)
        rows[label] = {"ns": ns, "vs dict.get": ns / dict_ns}
        print(f"{label}: {ns:,.0f} ns")
    rows["lookup: compact hit"]["compact.get alone ns"] = per_call_ns(compact.l1.get, sample, args.repeat)


def lower_tiers(workload: Workload, rows: dict[str, dict]) -> None:
    """A hit in Redis (L2) and in the SQLite table (L3), one lookup at a time."""
    ids, scores = workload.array("neighbours"), workload.array("scores")
    rng = np.random.default_rng(2)
    some = rng.choice(workload.array("by_rank")[:ENTRIES], size=min(5000, workload.products), replace=False)
    some = some.tolist()
    reason = services.reachable("redis")
    if reason:
        rows["lookup: L2 Redis hit"] = {"note": reason}
    else:
        redis = RedisTier(services.url("redis"))
        try:
            redis.preload((p, pack([*ids[p, :K], *scores[p, :K]])) for p in some)
            p50, p99 = each_call_us(redis.get, some)
            assert redis.hits == len(some)
        finally:
            redis.close()
        rows["lookup: L2 Redis hit"] = {"p50 us": p50, "p99 us": p99}
    sqlite = SqliteTier(build_table(workload.folder / "neighbours.sqlite", ids, scores), ids.shape[1], K)
    try:
        p50, p99 = each_call_us(sqlite.get, some)
    finally:
        sqlite.close()
    rows["lookup: L3 SQLite hit"] = {"p50 us": p50, "p99 us": p99}


def top10(workload: Workload, args: argparse.Namespace, rows: dict[str, dict]) -> None:
    """One product's exact top-10 by numpy and by Python, and the indexes' lookups."""
    rng = np.random.default_rng(1)
    queries = rng.choice(workload.products, size=min(args.queries, workload.products), replace=False).tolist()
    timed: dict[str, tuple[float, float]] = {}
    for name in ("numpy", "hnswlib", "faiss"):
        similar = make_similarity(name, workload)
        timed[name] = each_call_us(lambda p, s=similar: s(p, K), queries)
    numpy_ms = timed["numpy"][0] / 1e3
    rows["lookup: miss computed by numpy"] = {"p50 us": timed["numpy"][0], "p99 us": timed["numpy"][1]}
    rows["top-10: numpy"] = {
        "products": workload.products,
        "p50 ms": numpy_ms,
        "p99 ms": timed["numpy"][1] / 1e3,
    }
    # pure Python is refused above PYTHON_LIMIT: timed at the largest tier it allows, with numpy
    # beside it there, then scaled by the catalogue size (each query scans every product once)
    small = workload if workload.products <= PYTHON_LIMIT else prepare(tiers.get("medium"))
    python = make_similarity("python", small)
    numpy_small = make_similarity("numpy", small)
    few = rng.choice(small.products, size=min(5, small.products), replace=False).tolist()
    py_ms = each_call_us(lambda p: python(p, K), few)[0] / 1e3
    np_small_ms = each_call_us(lambda p: numpy_small(p, K), few)[0] / 1e3
    scale = workload.products / small.products
    rows["top-10: python"] = {
        "products": small.products,
        "p50 ms": py_ms,
        "vs numpy, same tier": py_ms / np_small_ms,
        "scaled to this tier, ms": py_ms * scale,
        "scaled vs numpy": py_ms * scale / numpy_ms,
    }
    print(f"top-10: numpy {numpy_ms:.2f} ms; python {py_ms:.1f} ms at {small.products:,} (x{scale:,.0f})")
    for name in ("hnswlib", "faiss"):
        choices = SYSTEM.complete({"similarity": name, "cache": "none"})
        with Scenario(SYSTEM, workload, choices, {"requests": args.miss_requests * 5}) as scenario:
            outcome = scenario()
        rows[f"top-10: {name}"] = {
            "products": workload.products,
            "p50 ms": timed[name][0] / 1e3,
            "p99 ms": timed[name][1] / 1e3,
            "vs numpy": timed[name][0] / 1e3 / numpy_ms,
            "recall@10": outcome.extras["recall_at_k"],
            "lookups for recall": outcome.counts["computed"],
        }
        print(f"top-10: {name} {timed[name][0] / 1e3:.3f} ms, recall {outcome.extras['recall_at_k']:.4f}")


def serving(workload: Workload, args: argparse.Namespace, rows: dict[str, dict]) -> None:
    """Recommendations through each cache strategy on the Zipf workload: latency and hits per tier."""
    redis_reason = services.reachable("redis")
    for cache in ("compact", "lru", "two-tier", "three-tier", "none"):
        label = "cached (compact)" if cache == "compact" else cache
        if cache == "none":
            label = "miss computed by numpy"
        if cache in ("two-tier", "three-tier") and redis_reason:
            rows[f"recommendation: {label}"] = rows[f"hit rate: {cache}"] = {"note": redis_reason}
            continue
        requests = args.miss_requests if cache == "none" else args.requests
        choices = SYSTEM.complete({"similarity": "numpy", "cache": cache})
        with Scenario(SYSTEM, workload, choices, {"requests": requests}) as scenario:
            outcome = scenario()
        c, d = outcome.counts, outcome.details
        rows[f"recommendation: {label}"] = {
            "requests": requests,
            "p50 us": d["latency_us"][50],
            "p99 us": d["latency_us"][99],
            "lookups": c["lookups"],
            "computed": c["computed"],
        }
        print(f"recommendation {label}: p50 {d['latency_us'][50]:,.1f} us, p99 {d['latency_us'][99]:,.1f} us")
        if cache in ("lru", "two-tier", "three-tier"):
            rate = {"L1 lru": _rate(c["cache_hits"], c["cache_misses"])}
            for tier, name in (("redis", "L2 Redis"), ("sqlite", "L3 SQLite")):
                if f"{tier}_hits" in c:
                    rate[name] = _rate(c[f"{tier}_hits"], c[f"{tier}_misses"])
            rows[f"hit rate: {cache}"] = {
                **rate,
                "lookups": c["lookups"],
                "computed": c["computed"],
                "answered without computing": _rate(c["lookups"] - c["computed"], c["computed"]),
            }


def _rate(hits: int, misses: int) -> str:
    return f"{hits / (hits + misses):.1%} ({hits:,}/{hits + misses:,})" if hits + misses else "-"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write(rows: dict[str, dict], args: argparse.Namespace, workload: Workload, out: Path) -> Path:
    """The table, one section per kind of figure, every row of :data:`ROWS` present."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"recommend_figures-{args.tier}.md"
    lines = [
        f"# recommend: figures at {args.tier} ({workload.products:,} products, {workload.users:,} users)",
        "",
        f"`python experiments/recommend_figures.py --tier {args.tier} --requests {args.requests} "
        f"--miss-requests {args.miss_requests} --queries {args.queries} --repeat {args.repeat}`",
        "",
        "k = 10. Peak heap by memray (`lab.measure.peak_heap`) while each cache is filled with the same "
        "entries (the most popular products' exact neighbour lists, 10 ids and 10 scores each). Lookup "
        "ns: median over the repeats of a pass over the same sampled keys (the loop included). Latencies "
        "per call: p50 and p99 of calls timed one by one; a recommendation blends 5 neighbour lists "
        "(Zipf 1.1 over users, numpy computing a miss; `lru` at its default 10,000 entries, `compact` "
        "loaded with every product, Redis preloaded with the 10,000 most popular). Python's top-10 is "
        "refused above 100,000 products: timed at the tier named, then scaled linearly by the "
        "catalogue size (one scan of every product per query). Ratios are within this one run.",
    ]
    section = None
    for label in ROWS:
        kind = label.split(":")[0]
        mine = [r for r in ROWS if r.split(":")[0] == kind]
        columns = list(dict.fromkeys(key for r in mine for key in rows.get(r, {})))
        if kind != section:
            section = kind
            header = "| | " + " | ".join(columns) + " |"
            lines += ["", f"## {kind}", "", header, "|---" * (len(columns) + 1) + "|"]
        row = rows.get(label, {"note": "not measured"})
        cells = [_cell(row[c]) if c in row else "" for c in columns]
        lines.append(f"| {label.split(': ', 1)[1]} | " + " | ".join(cells) + " |")
    lines += ["", "## goals (the issue's)", "", "| goal | measured | met |", "|---|---|---|"]
    for goal, measured, met in goals(rows):
        lines.append(f"| {goal} | {measured} | {'yes' if met else 'no'} |")
    path.write_text("\n".join(lines) + "\n")
    return path


def goals(rows: dict[str, dict]) -> list[tuple[str, str, bool]]:
    """Each goal of the issue, what this run measured, and whether it is met."""
    lru, compact = rows["peak heap: lru_cache"], rows["peak heap: compact"]
    hit = rows["lookup: compact hit"]
    cached = rows["recommendation: cached (compact)"]
    numpy_ms = rows["top-10: numpy"]["p50 ms"]
    lru_rate = rows["hit rate: lru"]["L1 lru"]
    return [
        (
            "compact at most 1/15 of lru's peak heap",
            f"1/{compact['lru / compact']:.1f} ({compact['MB']:,.1f} MB against {lru['MB']:,.0f} MB)",
            compact["lru / compact"] >= 15,
        ),
        ("compact under 128 MB", f"{compact['MB']:,.1f} MB", compact["MB"] < 128),
        ("a compact hit at most 2x a dict.get", f"{hit['vs dict.get']:.2f}x", hit["vs dict.get"] <= 2),
        (
            "a cached recommendation under 1 ms, p50 and p99",
            f"p50 {cached['p50 us']:,.1f} us, p99 {cached['p99 us']:,.1f} us",
            cached["p99 us"] < 1000,
        ),
        ("exact numpy top-10 at most 20 ms", f"{numpy_ms:,.1f} ms", numpy_ms <= 20),
        ("lru hit rate 70% or more (the course's target)", lru_rate, float(lru_rate.split("%")[0]) >= 70),
    ]


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="large")
    p.add_argument("--requests", type=int, default=2000, help="recommendations per cached run")
    p.add_argument("--miss-requests", type=int, default=20, help="recommendations that compute every lookup")
    p.add_argument("--queries", type=int, default=50, help="products whose top-10 is timed")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    workload = prepare(tiers.get(args.tier))
    rows: dict[str, dict] = {}
    memory_and_lookups(workload, args, rows)
    gc.collect()
    lower_tiers(workload, rows)
    serving(workload, args, rows)
    top10(workload, args, rows)
    path = write(rows, args, workload, args.out)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
