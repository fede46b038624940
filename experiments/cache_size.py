"""Hit rate and latency against cache size and Zipf exponent: the recommend system serving a
tier's requests through an in-process cache of each size, requests drawn with each exponent.

    python experiments/cache_size.py [--tier medium] [--caches lru,compact] [--sizes 10,100,1000,10000]
                                     [--zipf 0.8,1.1,1.4] [--requests 5000] [--repeat 3]

``lru`` starts empty (``functools.lru_cache(maxsize=size)``); ``compact`` starts loaded with the
``size`` most popular products. Writes ``results/experiments/cache_size-TIER.md`` (a table) and
``cache_size-TIER.png`` (a plot). Every run's recommendations are checked against the first
run's at the same exponent (a cache never changes an answer); ratios are within this one run.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from lab import tiers
from lab.outcome import agree
from lab.recommend import SYSTEM, prepare
from lab.scenario import Scenario

OUT = Path("results/experiments")
SIZE_PARAM = {"lru": "cache_size", "cachetools": "cache_size", "compact": "compact_size"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="medium")
    p.add_argument("--caches", default="lru,compact")
    p.add_argument("--sizes", default="10,100,1000,10000")
    p.add_argument("--zipf", default="0.8,1.1,1.4")
    p.add_argument("--similarity", default="numpy", help="how a miss is computed (default numpy, exact)")
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    workload = prepare(tiers.get(args.tier))
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for zipf in (float(z) for z in args.zipf.split(",")):
        reference = None
        for cache in args.caches.split(","):
            choices = SYSTEM.complete({"similarity": args.similarity, "cache": cache})
            for size in sizes:
                params = {"requests": args.requests, "zipf_x100": round(zipf * 100), SIZE_PARAM[cache]: size}
                with Scenario(SYSTEM, workload, choices, params) as scenario:
                    runs = []
                    for _ in range(args.repeat):
                        scenario.reset()
                        runs.append(scenario())
                first = runs[0]
                reference = reference or first.answer
                assert all(agree(o.answer, reference) for o in runs), f"{cache} {size} zipf {zipf} disagrees"
                c = first.counts
                row = {
                    "zipf": zipf,
                    "cache": cache,
                    "size": size,
                    "hit_rate": c["cache_hits"] / c["lookups"] if c["lookups"] else 0.0,
                    "lookups": c["lookups"],
                    "computed": c["computed"],
                    "p50": statistics.median(o.details["latency_us"][50] for o in runs),
                    "p99": statistics.median(o.details["latency_us"][99] for o in runs),
                    "mean": statistics.median(o.details["elapsed_s"] * 1e6 / args.requests for o in runs),
                }
                rows.append(row)
                print(
                    f"zipf {zipf:.1f} {cache:8} size {size:>9,}: hit rate {row['hit_rate']:6.1%}, "
                    f"p50 {row['p50']:9.1f} us, p99 {row['p99']:9.1f} us, mean {row['mean']:9.1f} us"
                )
    write(rows, args, workload.products, workload.users)


def write(rows: list[dict], args: argparse.Namespace, products: int, users: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(parents=True, exist_ok=True)
    name = f"cache_size-{args.tier}"
    lines = [
        f"# Hit rate and latency against cache size and Zipf exponent ({args.tier}: {products:,} products, "
        f"{users:,} users)",
        "",
        f"`python experiments/cache_size.py --tier {args.tier} --caches {args.caches} "
        f"--sizes {args.sizes} --zipf {args.zipf} --similarity {args.similarity} "
        f"--requests {args.requests} --repeat {args.repeat}`",
        "",
        f"{args.requests:,} recommendations per run (each blends up to 5 neighbour lists), users drawn "
        f"by a Zipf law; a miss is computed by `{args.similarity}`. Hit rate of the in-process tier "
        "(the same in every repeat); latency per request, median over the repeats of each run's "
        "p50 and p99; mean is the run's time over its requests (compact's loading included). `lru` starts "
        "empty, `compact` starts loaded with the most popular products. Ratios are within this one run.",
        "",
        "| zipf | cache | size | hit rate | lookups | computed | p50 us | p99 us | mean us "
        "| mean vs smallest |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        first = next(o for o in rows if o["zipf"] == r["zipf"] and o["cache"] == r["cache"])
        lines.append(
            f"| {r['zipf']:.1f} | {r['cache']} | {r['size']:,} | {r['hit_rate']:.1%} | {r['lookups']:,} | "
            f"{r['computed']:,} | {r['p50']:,.1f} | {r['p99']:,.1f} | {r['mean']:,.1f} | "
            f"{r['mean'] / first['mean']:.2f}x |"
        )
    (OUT / f"{name}.md").write_text("\n".join(lines) + "\n")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for zipf in dict.fromkeys(r["zipf"] for r in rows):
        for cache, style in zip(dict.fromkeys(r["cache"] for r in rows), ("-", "--", ":"), strict=False):
            mine = [r for r in rows if r["zipf"] == zipf and r["cache"] == cache]
            label = f"{cache}, zipf {zipf:.1f}"
            sizes = [r["size"] for r in mine]
            left.plot(sizes, [r["hit_rate"] for r in mine], style, marker="o", label=label)
            right.plot(sizes, [r["p50"] for r in mine], style, marker="o", label=label)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("cache size (entries)")
    left.set_ylabel("hit rate")
    left.axhline(0.7, color="grey", linewidth=0.8)
    right.set_yscale("log")
    right.set_ylabel("latency per request, p50 (us)")
    left.set_title(f"recommend: hit rate, {args.tier}")
    right.set_title(f"recommend: latency, {args.tier}")
    left.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / f"{name}.png", dpi=100)


if __name__ == "__main__":
    main()
