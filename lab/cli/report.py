"""``lab report``: ``REPORT.md`` and ``report.html`` in the results folder, from the records of
this machine (``--all-machines`` for every one), and, with ``--readme``, the README's claims
section from ``claims.md``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lab.cli.common import add_record_options, err, out, records_for_report
from lab.paths import results_dir
from lab.report import pytest_benchmark
from lab.report.claims import CLAIMS
from lab.report.model import Layout, build
from lab.report.planning import claim_setup
from lab.report.publish import update_readme, write_report
from lab.report.verdicts import judge_all
from lab.systems import systems

__all__ = ["add_parser", "layouts"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write REPORT.md and report.html from the records")
    p.add_argument(
        "--pytest-benchmark",
        action="append",
        default=[],
        metavar="PATH",
        help="also show pytest-benchmark JSON results (a file, or a --benchmark-storage folder)",
    )
    p.add_argument(
        "--readme",
        metavar="PATH",
        help="also rewrite the claims section of this README from claims.md (publishing)",
    )
    add_record_options(p)
    p.set_defaults(func=cmd_report)


def layouts() -> dict[str, Layout]:
    """Each registered system's reference, the combinations of each axis, and its unit."""
    return {
        s.name: Layout(
            s.name,
            s.reference(),
            {a.name: s.combinations(a.name) for a in s.axes},
            s.unit,
            {a.name: a.reference for a in s.axes},
        )
        for s in systems()
    }


def cmd_report(args: argparse.Namespace) -> int:
    records = records_for_report(args, pytest_benchmark.load(args.pytest_benchmark))
    if not records:
        err.print("[yellow]no records yet[/]: run lab sweep or lab verify first")
    choices, reasons = claim_setup(CLAIMS, records)
    report = build(records, layouts(), judge_all(CLAIMS, records, choices, reasons))
    folder = results_dir()
    for path in write_report(report, folder):
        out.print(f"written {path}")
    if args.readme:
        out.print(update_readme(Path(args.readme), folder / "claims.md"))
    return 0
