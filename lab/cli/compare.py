"""``lab compare A B``: per benchmark, the ratio B/A and whether it is significant.

A and B are record files or folders (JSON lines), or git commits, whose records
are taken from ``results/runs/`` by their ``commit`` field.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.table import Table

from lab import tiers
from lab.cli.common import out, progress_bar
from lab.errors import InputError, UsageError
from lab.interleave import interleave, open_side, worker_command
from lab.measure import Record, load_records
from lab.report.compare import ALPHA, FACTORS, METRICS, compare, slowdowns, unjudged
from lab.report.planning import completed
from lab.report.summary import human_seconds, ratio_text
from lab.systems import get_system

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
        "--metric",
        choices=METRICS,
        default="time",
        help="what to compare: wall time (medians, Mann-Whitney U) or instructions executed "
        "(counted under valgrind: deterministic, judged by the factor alone); default: time",
    )
    p.add_argument(
        "--factor",
        type=float,
        help="a change within this factor is not called slower or faster (default: "
        + ", ".join(f"{f} for {m}" for m, f in FACTORS.items())
        + "; as asv)",
    )
    p.add_argument("--system", help="only this system's benchmarks")
    run = p.add_argument_group(
        "interleaved runs",
        "With --run SYSTEM, A and B are not records but two versions to run now, alternating in "
        "fresh processes (A B B A ...): each a git commit ('.' for the working tree) or "
        "env:VAR=VALUE,... (env: for none).",
    )
    run.add_argument("--run", metavar="SYSTEM", help="run SYSTEM's plan on both sides, interleaved")
    run.add_argument("--tiers", default="small", help="tiers of the plan (default: small)")
    run.add_argument("--axis", help="axes of the plan, one strategy at a time (default: the system's own)")
    run.add_argument(
        "--rounds",
        type=int,
        default=8,
        help="worker processes per side (default: 8); rounds are compared in pairs, so at least 5",
    )
    run.add_argument("--repeat", type=int, default=2, help="timed calls per worker (default: 2)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument(
        "--save", metavar="DIR", help="also write the records of A and B to DIR/a.jsonl, DIR/b.jsonl"
    )
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


def run_sides(args: argparse.Namespace) -> tuple[list[Record], str, list[Record], str]:
    """Run the plan on both sides, interleaved; their records and names."""
    system = get_system(args.run)
    axes = args.axis.split(",") if args.axis else list(system.sweep.axes) or None
    tier_names = [t.name for t in tiers.parse_tiers(args.tiers)]
    command = worker_command(system.name, tier_names, axes, args.repeat, 1, args.seed)
    with ExitStack() as stack:
        sides = [stack.enter_context(open_side(spec)) for spec in (args.a, args.b)]
        if sides[0].name == sides[1].name:
            sides[1] = dataclasses.replace(sides[1], name=sides[1].name + " (B)")
        with progress_bar() as progress:
            task = progress.add_task(f"interleaving {system.name}", total=2 * args.rounds)
            done = interleave(system.name, sides, command, args.rounds, lambda side: progress.advance(task))
    a, b = (done[s.name] for s in sides)
    if args.save:
        folder = Path(args.save)
        folder.mkdir(parents=True, exist_ok=True)
        for name, records in (("a", a), ("b", b)):
            (folder / f"{name}.jsonl").write_text("".join(r.to_json() + "\n" for r in records))
    return a, sides[0].name, b, sides[1].name


def cmd_compare(args: argparse.Namespace) -> int:
    if args.run:
        a, a_name, b, b_name = run_sides(args)
    else:
        a, a_name = records_of(args.a)
        b, b_name = records_of(args.b)
    a, b = completed(a), completed(b)
    if args.system:
        a = [r for r in a if r["system"] == args.system]
        b = [r for r in b if r["system"] == args.system]
    for records, name in ((a, a_name), (b, b_name)):
        if not records:
            raise InputError(
                f"no records to compare in {name}" + (f" for {args.system}" if args.system else "")
            )
    factor = args.factor or FACTORS[args.metric]
    changes = compare(a, b, args.alpha, factor, args.metric)
    how = (
        "instructions executed, counted under valgrind"
        if args.metric == "instructions"
        else f"median of per-round ratios; Wilcoxon signed-rank on paired rounds, beyond the factor "
        f"tested one-sided, alpha {args.alpha}"
        if args.run or (changes and all(c.paired for c in changes))
        else f"median wall time; Mann-Whitney U, two-sided, alpha {args.alpha}"
    )
    table = Table(title=f"B/A: A = {a_name}, B = {b_name} ({how}; factor {factor})")
    columns = ["system", "tier", "strategies", "A median", "B median", "B/A", "p", "samples", "change"]
    if args.metric == "instructions":
        columns[3:5] = ["A instructions", "B instructions"]
    for col in columns:
        table.add_column(
            col, justify="left" if col in ("system", "tier", "strategies", "change") else "right"
        )
    colour = {"slower": "red", "faster": "green"}
    for c in changes:
        change = f"[{colour[c.verdict]}]{c.verdict}[/]" if c.verdict in colour else c.verdict
        if args.metric == "instructions":
            a_text, b_text = (f"{x:,}" if x else "-" for x in (c.a_instructions, c.b_instructions))
        else:
            a_text, b_text = human_seconds(c.a_median_s), human_seconds(c.b_median_s)
        table.add_row(
            c.system,
            c.tier,
            c.label,
            a_text,
            b_text,
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
        if args.metric == "instructions":
            judged = f"{flagged} beyond factor {factor}"
        else:
            judged = (
                f"{significant} significant at alpha {args.alpha}, {flagged} of them beyond factor {factor}"
            )
        out.print(
            f"{len(matched)} benchmarks in both: {judged}; B/A from {ratios[0]:.4g}x to {ratios[-1]:.4g}x"
        )
    cannot = unjudged(changes)
    if any(c.verdict == "too few samples" for c in cannot):
        out.print("too few samples: the test cannot reach significance (3+3 never can; use 5+ repeats)")
    if any(c.verdict == "not measured" for c in cannot):
        out.print("not measured: a side has no instruction count (lab sweep --metric instructions)")
    if args.fail_above is not None:
        if all(c.verdict in ("only in A", "only in B") for c in changes):
            raise InputError("cannot judge: no benchmark is measured in both A and B")
        if cannot:
            raise InputError(
                f"cannot judge {len(cannot)} of the benchmarks in both ({cannot[0].verdict}: "
                f"{cannot[0].system} {cannot[0].tier} {cannot[0].label})"
            )
        slow = slowdowns(changes, args.fail_above)
        if slow:
            worst = max(slow, key=lambda c: c.ratio or 0)
            out.print(
                f"[red]{len(slow)} significant slowdown(s) above {args.fail_above}x[/]; "
                f"worst {worst.system} {worst.tier} {worst.label}: {ratio_text(worst.ratio)}"
            )
            return 1
    return 0
