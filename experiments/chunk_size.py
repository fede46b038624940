"""How big should a block be? Time and peak heap of the block readers against ``chunk_size``.

The course's tip, "check chunk_size (too small = overhead, too large = memory)", as a
measured study: each (reader, chunk size) runs through the harness on one tier, its
time in one run and its peak heap (memray) in another. Writes a markdown table and a
plot under ``results/experiments/``.

    python experiments/chunk_size.py [--tier large] [--readers bytes,chunked] [--repeat 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lab import harness, tiers
from lab.analytics import SYSTEM
from lab.outcome import agree
from lab.paths import results_dir
from lab.scenario import run_once

SIZES = (64, 256, 1_024, 4_096, 16_384, 65_536, 262_144)


def study(tier: str, readers: list[str], sizes: tuple[int, ...], repeat: int) -> list[dict]:
    """One row per (reader, chunk size): median seconds, rows per second, peak heap bytes, and
    whether the answer agrees with the reference strategies' (within 1e-9 relative)."""
    workload = harness.workload_for(SYSTEM, tiers.get(tier))
    reference = run_once(SYSTEM, workload, SYSTEM.reference()).answer
    rows = []
    for reader in readers:
        choices = SYSTEM.complete({"reader": reader, "stats": "chan"})
        for size in sizes:
            measured = harness.measure_run(
                SYSTEM, workload, tier, choices, {"chunk_size": size}, repeat=repeat, memory=True, store=False
            )
            record = measured.record
            rows.append(
                {
                    "reader": reader,
                    "chunk_size": size,
                    "median_s": record["median_s"],
                    "rows_per_s": record["per_s"],
                    "peak_bytes": record["peak_bytes"],
                    "agrees": agree(record["answer"], reference),
                }
            )
            mib = record["peak_bytes"] / 2**20
            print(f"{reader:8} {size:>8,} {record['median_s']:8.3f} s {mib:8.1f} MiB")
    return rows


def write_table(rows: list[dict], tier: str, path: Path) -> None:
    lines = [
        f"# chunk_size study: analytics on `{tier}`, stats=chan",
        "",
        "| reader | chunk_size (lines) | median s | rows/s | peak heap MiB | answer vs reference |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['reader']} | {r['chunk_size']:,} | {r['median_s']:.3f} | {r['rows_per_s']:,.0f} "
            f"| {r['peak_bytes'] / 2**20:.1f} | {'same' if r['agrees'] else 'DIFFERS'} |"
        )
    path.write_text("\n".join(lines) + "\n")


def plot(rows: list[dict], tier: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for reader in dict.fromkeys(r["reader"] for r in rows):
        mine = [r for r in rows if r["reader"] == reader]
        sizes = [r["chunk_size"] for r in mine]
        left.plot(sizes, [r["median_s"] for r in mine], marker="o", label=reader)
        right.plot(sizes, [r["peak_bytes"] / 2**20 for r in mine], marker="o", label=reader)
    for ax, title in ((left, "time (s, median)"), (right, "peak heap (MiB, memray)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunk_size (lines per block)")
        ax.set_title(title)
        ax.legend()
    fig.suptitle(f"analytics on {tier}: too small = overhead, too large = memory")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="large")
    p.add_argument("--readers", default="bytes,chunked")
    p.add_argument("--sizes", default=",".join(map(str, SIZES)))
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    rows = study(args.tier, args.readers.split(","), sizes, args.repeat)
    folder = results_dir() / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    write_table(rows, args.tier, folder / f"chunk_size-{args.tier}.md")
    plot(rows, args.tier, folder / f"chunk_size-{args.tier}.png")
    print(f"written to {folder}")


if __name__ == "__main__":
    main()
