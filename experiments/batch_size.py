"""ETL throughput and peak heap against batch size: the tier's CSV streamed into a SQLite file
(``load=batch``), one transaction per batch, and into PostgreSQL with COPY when it is reachable.

    python experiments/batch_size.py [--tier large] [--sizes 100,1000,5000,20000,100000] [--repeat 3]

Writes ``results/experiments/batch_size.md`` (a table) and ``batch_size.png`` (a plot). Each
run's answer is checked against the reference's (same loaded rows); the peak heap is memray's,
in a run of its own; ratios are within this one run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from repeats import checked_timings, median

from lab import tiers
from lab.etl import SYSTEM
from lab.etl.workload import prepare
from lab.measure.memory import peak_heap
from lab.outcome import Outcome
from lab.scenario import Scenario, run_once

OUT = Path("results/experiments")
MiB = 1 << 20


def total_s(outcome: Outcome) -> float:
    return outcome.details["stage_s"]["total"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="large")
    p.add_argument("--sizes", default="100,1000,5000,20000,100000")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    workload = prepare(tiers.get(args.tier))
    reference = run_once(SYSTEM, workload, SYSTEM.reference()).answer
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for destination, load in (("sqlite", "batch"), ("postgres", "copy")):
        choices = SYSTEM.complete({"destination": destination, "load": load})
        reason = SYSTEM.unavailable(choices)
        if reason:
            print(f"{destination}: skipped, {reason}")
            continue
        for size in sizes:
            with Scenario(SYSTEM, workload, choices, {"batch_size": size}) as scenario:
                times, outcome = checked_timings(
                    scenario, args.repeat, total_s, reference, f"{destination} batch {size}"
                )
                scenario.reset()
                peak, _ = peak_heap(scenario)
            rate = outcome.n / median(times)
            rows.append((f"{destination} {load}", size, rate, peak))
            print(f"{destination:8} {load:5} batch {size:>7,}: {rate:>10,.0f} rows/s, {peak / MiB:.1f} MiB")
    command = (
        f"python experiments/batch_size.py --tier {args.tier} --sizes {args.sizes} --repeat {args.repeat}"
    )
    write(rows, args.tier, workload.rows or 0, command)


def write(rows: list[tuple[str, int, float, int]], tier: str, n: int, command: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# ETL throughput and peak heap against batch size ({tier}, {n:,} records)",
        "",
        "CSV streamed, validated, cleaned and upserted, one transaction per batch of records "
        "(batch size in input records). Rows/s: the median of the repeats of the whole pipeline; "
        "peak heap: memray, in a run of its own; ratio to the same destination's first size, in this run.",
        "",
        "| destination, load | batch size | rows/s | vs first | peak heap MiB |",
        "|---|---|---|---|---|",
    ]
    for name, size, rate, peak in rows:
        first = next(r for s, _, r, _ in rows if s == name)
        lines.append(f"| {name} | {size:,} | {rate:,.0f} | {rate / first:.2f}x | {peak / MiB:.1f} |")
    lines += ["", f"Made by `{command}`."]
    (OUT / "batch_size.md").write_text("\n".join(lines) + "\n")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == name]
        left.plot([r[1] for r in mine], [r[2] for r in mine], marker="o", label=name)
        right.plot([r[1] for r in mine], [r[3] / MiB for r in mine], marker="o", label=name)
    for ax, label in ((left, "rows/s"), (right, "peak heap (MiB, memray)")):
        ax.set_xscale("log")
        ax.set_xlabel("records per batch (one transaction each)")
        ax.set_ylabel(label)
        ax.legend()
    left.set_title(f"etl: throughput, {tier}")
    right.set_title(f"etl: peak heap, {tier}")
    fig.tight_layout()
    fig.savefig(OUT / "batch_size.png", dpi=100)


if __name__ == "__main__":
    main()
