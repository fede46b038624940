"""``lab sweep SYSTEM``: every available strategy on each tier, compared in one run."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from rich.table import Table

from lab import harness, tiers
from lab.cli.common import err, out, progress_bar
from lab.paths import results_dir
from lab.report.model import machine_text
from lab.report.summary import COLUMNS, cells, summarize, to_markdown
from lab.strategies import System, label
from lab.systems import get_system

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="every available strategy on each tier, compared")
    p.add_argument("system")
    p.add_argument("--tiers", help="comma-separated tier names (default: small,medium,large)")
    p.add_argument(
        "--axis",
        help="vary only these axes (comma-separated), one at a time, the others at their reference; "
        "without it, every valid combination",
    )
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--no-memory", action="store_true", help="skip the memray runs")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    system = get_system(args.system)
    axes = [a.strip() for a in args.axis.split(",") if a.strip()] if args.axis else None
    for axis in axes or []:
        system.axis(axis)
    chosen_tiers = tiers.parse_tiers(args.tiers)
    runnable, skipped = harness.sweep_plan(system, axes)
    for choices, reason in skipped:
        err.print(f"[yellow]skipped[/] {label(choices)}: {reason}")
    records: list[dict[str, Any]] = []
    steps_each = args.warmup + args.repeat + (0 if args.no_memory else 1)
    with progress_bar() as progress:
        overall = progress.add_task(
            f"sweep {system.name}", total=len(chosen_tiers) * len(runnable) * steps_each
        )
        for tier in chosen_tiers:
            prep = progress.add_task(f"preparing {tier.name}", total=None)
            workload = harness.workload_for(
                system,
                tier,
                args.seed,
                progress=lambda done, total, t=prep: progress.update(t, completed=done, total=total),
            )
            progress.remove_task(prep)
            for choices in runnable:
                progress.update(overall, description=f"{tier.name}: {label(choices)}")
                measured = harness.measure_run(
                    system,
                    workload,
                    tier.name,
                    choices,
                    repeat=args.repeat,
                    warmup=args.warmup,
                    memory=not args.no_memory,
                    on_step=lambda phase: progress.advance(overall),
                )
                records.append(measured.record)
    rows = summarize(records, system.reference())
    table = Table(title=f"{system.name} sweep: ratios to the reference, same run")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("tier", "strategies") else "right")
    for row in rows:
        table.add_row(*cells(row))
    out.print(table)
    path = _write_summary(system, args, chosen_tiers, rows, records, skipped)
    out.print(f"summary written to {path}")
    return 0


def _write_summary(
    system: System,
    args: argparse.Namespace,
    chosen_tiers: list[tiers.Tier],
    rows: Any,
    records: Any,
    skipped: Any,
) -> Path:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sweep-{system.name}.md"
    machine = records[0]["machine"] if records else {}
    tier_names = ",".join(t.name for t in chosen_tiers)
    command = f"lab sweep {system.name} --tiers {tier_names}"
    command += (f" --axis {args.axis}" if args.axis else "") + f" --repeat {args.repeat}"
    head = [
        f"# {system.name} sweep",
        "",
        f"`{command}`",
        "",
        f"Commit {records[0]['commit'] if records else '-'}; {machine_text(machine)}; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Medians of {args.repeat} repeats "
        "after a warm-up; peak heap by memray in a separate run; ratios are to the reference "
        "strategies measured in this same run.",
        "",
    ]
    tail = [""] + [f"- skipped {label(c)}: {r}" for c, r in skipped]
    path.write_text("\n".join(head) + to_markdown(rows) + "\n".join(tail) + "\n")
    return path
