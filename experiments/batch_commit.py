"""Durable throughput against commit batch size: the finance ledger loading a tier into SQLite
and into PostgreSQL, one commit per batch of operations.

    python experiments/batch_commit.py [--tier small] [--sizes 1,10,100,1000,10000]

Writes ``results/experiments/batch_commit.md`` (a table) and ``batch_commit.png`` (a plot).
Every run is checked against the memory store's answer; ratios are within this one run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from repeats import checked_timings, median

from lab import tiers
from lab.finance import SYSTEM, prepare
from lab.scenario import Scenario, run_once

OUT = Path("results/experiments")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="small")
    p.add_argument("--sizes", default="1,10,100,1000,10000")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    workload = prepare(tiers.get(args.tier))
    reference = run_once(SYSTEM, workload, SYSTEM.reference()).answer
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for store in ("sqlite", "postgres"):
        choices = SYSTEM.complete({"store": store})
        reason = SYSTEM.unavailable(choices)
        if reason:
            print(f"{store}: skipped, {reason}")
            continue
        for size in sizes:
            with Scenario(SYSTEM, workload, choices, {"commit_batch": size}) as scenario:
                times, _ = checked_timings(
                    scenario,
                    args.repeat,
                    lambda o: o.details["process_s"],
                    reference,
                    f"{store} batch {size}",
                )
            best = median(times)
            rows.append((store, size, len(workload.rows) / best, best))
            print(f"{store:8} batch {size:>6}: {len(workload.rows) / best:>10,.0f} transactions/s")
    write(rows, args.tier, len(workload.rows))


def write(rows: list[tuple[str, int, float, float]], tier: str, n: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Durable throughput against commit batch size ({tier}, {n:,} transactions)",
        "",
        "Median of the repeats of the processing phase (every rule, check and event, each batch "
        "committed); ratio to the same store's batch of 1, in this run.",
        "",
        "| store | commit batch | transactions/s | vs batch 1 |",
        "|---|---|---|---|",
    ]
    for store, size, rate, _ in rows:
        first = next(r for s, _, r, _ in rows if s == store)
        lines.append(f"| {store} | {size:,} | {rate:,.0f} | {rate / first:.2f}x |")
    (OUT / "batch_commit.md").write_text("\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(6, 4))
    for store in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == store]
        ax.plot([r[1] for r in mine], [r[2] for r in mine], marker="o", label=store)
    ax.set_xscale("log")
    ax.set_xlabel("operations per commit")
    ax.set_ylabel("transactions/s (durable)")
    ax.set_title(f"finance: durable throughput, {tier}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "batch_commit.png", dpi=100)


if __name__ == "__main__":
    main()
