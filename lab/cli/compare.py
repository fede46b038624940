"""``lab compare A B``: per benchmark, the ratio B/A and whether it is significant.

A and B are record files or folders (JSON lines), or git commits, whose records
are taken from ``results/runs/`` by their ``commit`` field.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

from rich.table import Table

from lab.cli.common import out
from lab.errors import InputError, UsageError
from lab.measure import load_records
from lab.report.compare import ALPHA, FACTOR, compare, slowdowns
from lab.report.planning import completed
from lab.report.summary import human_seconds, ratio_text

__all__ = ["add_parser", "records_of"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="ratio B/A per benchmark, with a Mann-Whitney U test")
    p.add_argument("a", help="records file or folder, or a git commit")
    p.add_argument("b", help="records file or folder, or a git commit")
    p.add_argument(
        "--fail-above",
        type=float,
        metavar="RATIO",
        help="exit 1 if a significant slowdown B/A exceeds RATIO (for CI)",
    )
    p.add_argument("--alpha", type=float, default=ALPHA, help=f"significance level (default {ALPHA})")
    p.add_argument(
        "--factor",
        type=float,
        default=FACTOR,
        help=f"a significant change within this factor is reported as such, not as slower/faster "
        f"(default {FACTOR}, as asv)",
    )
    p.add_argument("--system", help="only this system's benchmarks")
    p.set_defaults(func=cmd_compare)


def _commit(ref: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "--short=12", f"{ref}^{{commit}}"],
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def records_of(ref: str) -> tuple[list[dict[str, Any]], str]:
    """The records ``ref`` names (a path, or a commit's records in results/runs) and a description."""
    path = Path(ref)
    if path.exists():
        return load_records([path]), str(path)
    commit = _commit(ref)
    if commit is None:
        raise UsageError(f"{ref!r} is neither a records file or folder nor a git commit")
    records = [r for r in load_records() if str(r.get("commit", "")).split("+")[0].startswith(commit)]
    if not records:
        raise InputError(f"no records of commit {commit} under results/runs")
    return records, f"commit {commit}"


def cmd_compare(args: argparse.Namespace) -> int:
    a, a_name = records_of(args.a)
    b, b_name = records_of(args.b)
    a, b = completed(a), completed(b)
    if args.system:
        a = [r for r in a if r["system"] == args.system]
        b = [r for r in b if r["system"] == args.system]
    changes = compare(a, b, args.alpha, args.factor)
    table = Table(
        title=f"B/A: A = {a_name}, B = {b_name} (Mann-Whitney U, two-sided, alpha {args.alpha}, "
        f"factor {args.factor})"
    )
    for col in ("system", "tier", "strategies", "A median", "B median", "B/A", "p", "samples", "change"):
        table.add_column(
            col, justify="left" if col in ("system", "tier", "strategies", "change") else "right"
        )
    colour = {"slower": "red", "faster": "green"}
    for c in changes:
        change = f"[{colour[c.verdict]}]{c.verdict}[/]" if c.verdict in colour else c.verdict
        table.add_row(
            c.system,
            c.tier,
            c.label,
            human_seconds(c.a_median_s),
            human_seconds(c.b_median_s),
            ratio_text(c.ratio),
            "-" if c.p_value is None else f"{c.p_value:.3g}",
            f"{c.a_samples}+{c.b_samples}",
            change,
        )
    out.print(table)
    matched = [c for c in changes if c.ratio is not None]
    if matched:
        flagged = sum(c.verdict in ("slower", "faster") for c in matched)
        significant = sum(c.verdict in ("slower", "faster", "within factor") for c in matched)
        ratios = sorted(c.ratio for c in matched if c.ratio is not None)
        out.print(
            f"{len(matched)} benchmarks in both: {significant} significant at alpha {args.alpha}, "
            f"{flagged} of them beyond factor {args.factor}; B/A from {ratios[0]:.2f}x to {ratios[-1]:.2f}x"
        )
    if any(c.verdict == "too few samples" for c in changes):
        out.print("too few samples: the test cannot reach significance (3+3 never can; use 5+ repeats)")
    if args.fail_above is not None:
        slow = slowdowns(changes, args.fail_above)
        if slow:
            worst = max(slow, key=lambda c: c.ratio or 0)
            out.print(
                f"[red]{len(slow)} significant slowdown(s) above {args.fail_above}x[/]; "
                f"worst {worst.system} {worst.tier} {worst.label}: {ratio_text(worst.ratio)}"
            )
            return 1
    return 0
