"""lab's fastest strategies against duckdb and polars, side by side in one run.

Each combination runs through the harness on one tier: time (median of the
repeats) in one run, peak heap (memray) in another. Prints each time as a ratio
to the faster peer, and writes the table under ``results/experiments/``.

    python experiments/versus_peers.py [--tier xlarge] [--repeat 3]
"""

from __future__ import annotations

import argparse

from lab import harness, tiers
from lab.analytics import SYSTEM
from lab.paths import results_dir
from lab.strategies import label

COMBINATIONS = (
    {"engine": "duckdb"},
    {"engine": "polars"},
    {"reader": "bytes", "executor": "serial", "stats": "chan"},
    {"reader": "bytes", "executor": "processes", "stats": "chan"},
)


def _peak(record: dict) -> str:
    """The peak heap in MiB, or why this process could not measure it."""
    if record.get("peak_bytes") is None:
        return f"n/a ({record.get('peak_note') or 'not measured'})"
    return f"{record['peak_bytes'] / 2**20:.1f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="xlarge")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    workload = harness.workload_for(SYSTEM, tiers.get(args.tier))
    rows = []
    for given in COMBINATIONS:
        choices = SYSTEM.complete(given)
        record = harness.measure_run(
            SYSTEM, workload, args.tier, choices, repeat=args.repeat, memory=True, store=False
        ).record
        rows.append((label(given), record))
        print(f"{rows[-1][0]:45} {record['median_s']:7.3f} s  {_peak(record)}")
    best_peer = min(r["median_s"] for name, r in rows if name.startswith("engine="))
    lines = [
        f"# analytics on `{args.tier}`: lab against its peers, one run, median of {args.repeat}",
        "",
        "| combination | median s | ratio to faster peer | rows/s | peak heap MiB (memray) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['median_s']:.3f} | {r['median_s'] / best_peer:.2f} | {r['per_s']:,.0f} "
            f"| {_peak(r)} |"
        )
    folder = results_dir() / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"versus_peers-{args.tier}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
