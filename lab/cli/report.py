"""``lab report``: ``results/REPORT.md`` and ``results/report.html`` from every stored record,
and the README's claims section from ``results/claims.md``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lab.cli.common import err, out
from lab.cli.verify import claim_setup, completed
from lab.measure import load_records
from lab.paths import results_dir
from lab.report import pytest_benchmark
from lab.report.claims import CLAIMS
from lab.report.model import Layout, build
from lab.report.publish import update_readme, write_report
from lab.report.verdicts import judge_all
from lab.systems import systems

__all__ = ["add_parser", "layouts"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write results/REPORT.md and results/report.html from the records")
    p.add_argument(
        "--pytest-benchmark",
        action="append",
        default=[],
        metavar="PATH",
        help="also show pytest-benchmark JSON results (a file, or a --benchmark-storage folder)",
    )
    p.add_argument("--readme", default="README.md", help="the README whose claims section to rewrite")
    p.set_defaults(func=cmd_report)


def layouts() -> dict[str, Layout]:
    """Each registered system's reference and the combinations of each axis."""
    return {
        s.name: Layout(s.name, s.reference(), {a.name: s.combinations(a.name) for a in s.axes})
        for s in systems()
    }


def cmd_report(args: argparse.Namespace) -> int:
    records = completed(load_records() + pytest_benchmark.load(args.pytest_benchmark))
    if not records:
        err.print("[yellow]no records yet[/]: run lab sweep SYSTEM or lab verify first")
    choices, reasons = claim_setup(CLAIMS, records)
    report = build(records, layouts(), judge_all(CLAIMS, records, choices, reasons))
    folder = results_dir()
    for path in write_report(report, folder):
        out.print(f"written {path}")
    out.print(update_readme(Path(args.readme), folder / "claims.md"))
    return 0
