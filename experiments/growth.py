"""Does peak heap stay flat as the data grows? The fitted exponent per strategy.

Peak heap (memray) of one run per tier, and the slope of log(peak) against
log(rows) (``lab.harness.memory_growth``): ~0 is O(1) memory, ~1 is O(n). Writes
``results/experiments/growth.md``.

    python experiments/growth.py [--tiers small,medium,large,xlarge] [--list-tiers small,medium,large]
"""

from __future__ import annotations

import argparse

from lab import harness, tiers
from lab.analytics import SYSTEM
from lab.paths import results_dir
from lab.report.summary import human_bytes
from lab.strategies import label

#: The streaming strategies, whose heap should be flat, and the list reader, whose heap should not.
STREAMING = (
    {"reader": "generator", "stats": "welford"},
    {"reader": "chunked", "stats": "chan"},
    {"reader": "arrow", "stats": "chan"},
    {"reader": "bytes", "stats": "chan"},
    {"reader": "generator", "stats": "welford", "quantiles": "ddsketch"},
)
LOADING = ({"reader": "list", "stats": "welford"},)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiers", default="small,medium,large,xlarge", help="tiers for the streaming strategies")
    p.add_argument("--list-tiers", default="small,medium,large", help="tiers for the list reader")
    args = p.parse_args()
    plan = [(c, tiers.parse_tiers(args.tiers)) for c in STREAMING]
    plan += [(c, tiers.parse_tiers(args.list_tiers)) for c in LOADING]
    lines = [
        "# Peak heap against rows: the fitted growth exponent",
        "",
        f"`python experiments/growth.py --tiers {args.tiers} --list-tiers {args.list_tiers}`",
        "",
        "One memray run per tier; the exponent is the least-squares slope of log(peak heap) on "
        "log(rows): ~0 is O(1) memory, ~1 is O(n).",
        "",
        "| strategies | tiers | peak heap per tier | exponent |",
        "|---|---|---|---:|",
    ]
    for given, chosen in plan:
        choices = SYSTEM.complete(given)
        growth = harness.memory_growth(SYSTEM, chosen, choices)
        peaks = ", ".join(human_bytes(growth.peaks[t.name]) for t in chosen)
        name = label(choices)
        print(f"{name}: {peaks}; exponent {growth.exponent:.3f}")
        lines.append(f"| {name} | {', '.join(t.name for t in chosen)} | {peaks} | {growth.exponent:.3f} |")
    folder = results_dir() / "experiments"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "growth.md").write_text("\n".join(lines) + "\n")
    print(f"written to {folder / 'growth.md'}")


if __name__ == "__main__":
    main()
