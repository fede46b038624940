"""Streaming quantiles: DDSketch against exact (every value kept), time, peak heap and error.

For each tier, each reader path (``bytes`` blocks with ``chan``, ``generator`` rows with
``welford``) runs with ``quantiles=none`` (the cost of the statistics alone), ``exact``
and ``ddsketch`` through the harness: time in one run, peak heap (memray) in another.
The relative error of each DDSketch quantile (p50, p95, p99, overall and per category)
is taken against the exact run of the same tier. Writes ``quantiles-<tier>.md`` per tier
and ``quantiles.png`` under ``results/experiments/``.

    python experiments/quantiles.py [--tiers small,medium,large] [--repeat 3] [--accuracy-bp 100]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lab import harness, tiers
from lab.analytics import SYSTEM
from lab.analytics.quantiles import LEVELS
from lab.paths import results_dir

PATHS = {"blocks": {"reader": "bytes", "stats": "chan"}, "rows": {"reader": "generator", "stats": "welford"}}
METHODS = ("none", "exact", "ddsketch")


def relative_errors(found: dict, exact: dict) -> dict[str, float]:
    """The largest relative error of each quantile, overall and over every group."""
    pairs = [(found["overall"], exact["overall"])]
    pairs += [(found["groups"][k], exact["groups"][k]) for k in exact["groups"]]
    worst = dict.fromkeys(LEVELS, 0.0)
    for got, want in pairs:
        for name in LEVELS:
            if want[name]:
                worst[name] = max(worst[name], abs(got[name] - want[name]) / abs(want[name]))
    return worst


def study(tier: str, repeat: int, accuracy_bp: int) -> list[dict]:
    """One row per (reader path, method): median seconds, peak heap, held, relative errors."""
    workload = harness.workload_for(SYSTEM, tiers.get(tier))
    rows = []
    for path, given in PATHS.items():
        runs = {}
        for method in METHODS:
            choices = SYSTEM.complete({**given, "quantiles": method})
            params = {"quantile_accuracy_bp": accuracy_bp}
            runs[method] = harness.measure_run(
                SYSTEM, workload, tier, choices, params, repeat=repeat, memory=True, store=False
            ).record
        exact = runs["exact"]["extras"]["quantiles"]
        for method, record in runs.items():
            quantiles = record.get("extras", {}).get("quantiles")
            row = {
                "tier": tier,
                "path": path,
                "method": method,
                "n": record["n"],
                "median_s": record["median_s"],
                "peak_bytes": record["peak_bytes"],
                "time_vs_none": record["median_s"] / runs["none"]["median_s"],
                "held": f"{quantiles['held']:,} {quantiles['held_unit']}" if quantiles else "-",
                "errors": relative_errors(quantiles, exact) if quantiles else None,
                "alpha": quantiles.get("relative_accuracy") if quantiles else None,
            }
            rows.append(row)
            print(
                f"{tier:7} {path:6} {method:9} {row['median_s']:8.3f} s  {row['peak_bytes'] / 2**20:8.2f} MiB"
                f"  {row['errors'] or ''}"
            )
    return rows


def write_table(rows: list[dict], tier: str, repeat: int, accuracy_bp: int, path: Path) -> None:
    mine = [r for r in rows if r["tier"] == tier]
    lines = [
        f"# Streaming quantiles on `{tier}` ({mine[0]['n']:,} rows): DDSketch against exact",
        "",
        f"`python experiments/quantiles.py --tiers {tier} --repeat {repeat} --accuracy-bp {accuracy_bp}`",
        "",
        f"Median of {repeat} runs after a warm-up; peak heap by memray in a separate run. Exact: every "
        "value kept, numpy's `lower` quantile (the rank definition DDSketch's guarantee is stated "
        f"against). DDSketch relative accuracy {accuracy_bp / 10_000:g}. Relative error: the largest "
        "over the overall quantile and each category's.",
        "",
        "| reader path | method | median s | time vs none | peak heap MiB | held "
        + "".join(f"| max rel. error {name} " for name in LEVELS)
        + "|",
        "|---|---|---:|---:|---:|---:" + "|---:" * len(LEVELS) + "|",
    ]
    for r in mine:
        errors = r["errors"] or {}
        cells = "".join(f"| {errors[name]:.2e} " if name in errors else "| - " for name in LEVELS)
        lines.append(
            f"| {r['path']} | {r['method']} | {r['median_s']:.3f} | {r['time_vs_none']:.2f}x "
            f"| {r['peak_bytes'] / 2**20:.2f} | {r['held']} {cells}|"
        )
    path.write_text("\n".join(lines) + "\n")


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (heap, cost, error) = plt.subplots(1, 3, figsize=(15, 4.5))
    for reader_path, style in (("blocks", "-"), ("rows", "--")):
        for method in METHODS:
            mine = [r for r in rows if r["path"] == reader_path and r["method"] == method]
            n = [r["n"] for r in mine]
            name = f"{method} ({reader_path})"
            heap.plot(n, [r["peak_bytes"] / 2**20 for r in mine], style, marker="o", label=name)
            cost.plot(n, [r["median_s"] for r in mine], style, marker="o", label=name)
    sketch = [r for r in rows if r["path"] == "blocks" and r["method"] == "ddsketch"]
    for name in LEVELS:
        error.plot([r["n"] for r in sketch], [r["errors"][name] for r in sketch], marker="o", label=name)
    if sketch:
        error.axhline(sketch[0]["alpha"], color="grey", linestyle=":", label="documented bound")
        error.set_ylim(0, sketch[0]["alpha"] * 1.15)
    for ax, title in (
        (heap, "peak heap (MiB, memray)"),
        (cost, "time (s, median)"),
        (error, "DDSketch: max relative error vs exact"),
    ):
        ax.set_xscale("log")
        ax.set_yscale("log" if ax is not error else "linear")
        ax.set_xlabel("rows")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.suptitle("p50, p95, p99 of amount, overall and per category: exact keeps every value, a sketch not")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiers", default="small,medium,large")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--accuracy-bp", type=int, default=100)
    args = p.parse_args()
    names = [t.name for t in tiers.parse_tiers(args.tiers)]
    folder = results_dir() / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for tier in names:
        rows += study(tier, args.repeat, args.accuracy_bp)
        write_table(rows, tier, args.repeat, args.accuracy_bp, folder / f"quantiles-{tier}.md")
    plot(rows, folder / "quantiles.png")
    print(f"written to {folder}")


if __name__ == "__main__":
    main()
