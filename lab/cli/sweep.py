"""``lab sweep [SYSTEM ...]``: each available strategy on each tier, compared in one run.

Without a system, every registered system; without ``--tiers`` or ``--axis``, each
system's own default sweep (:attr:`lab.strategies.System.sweep`).
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from lab import harness, tiers
from lab.cli.common import err, out, progress_bar
from lab.errors import UsageError
from lab.measure import Record, new_run_id
from lab.paths import results_dir
from lab.report.publish import write_sweep
from lab.report.summary import columns, row_cells, summarize
from lab.strategies import System, label
from lab.systems import get_system, systems

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="each available strategy on each tier, compared")
    p.add_argument(
        "systems",
        nargs="*",
        metavar="SYSTEM",
        help="the systems to sweep (names, or comma-separated); default: every registered system",
    )
    p.add_argument("--tiers", help="comma-separated tier names (default: each system's own)")
    p.add_argument(
        "--axis",
        help="vary only these axes (comma-separated), one at a time, the others at their reference "
        "(default: each system's own); --axis all: every valid combination",
    )
    p.add_argument("--repeat", type=int, help="timed repeats (default: each system's own)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before the repeats (default: 1)")
    p.add_argument("--no-memory", action="store_true", help="skip the memray runs")
    p.add_argument(
        "--metric",
        choices=("time", "instructions"),
        default="time",
        help="instructions: also count the instructions of one call under valgrind (a figure that "
        "does not move with the machine's load; about 20-50x slower than a timed call: small tiers)",
    )
    p.add_argument(
        "--calls",
        type=int,
        default=10,
        help="calls whose instructions are counted, in one child process (default: 10: the few "
        "thousand instructions a process varies by are spread over them)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_sweep)


def chosen_systems(names: list[str]) -> list[System]:
    """The systems named (each may be comma-separated), or every registered one."""
    wanted = [n.strip() for name in names for n in name.split(",") if n.strip()]
    return [get_system(n) for n in wanted] if wanted else systems()


def cmd_sweep(args: argparse.Namespace) -> int:
    chosen = chosen_systems(args.systems)
    for system in chosen:
        sweep_one(system, args)
    return 0


def _axes(system: System, text: str | None) -> list[str] | None:
    if text == "all":
        return None
    if text:
        names = [a.strip() for a in text.split(",") if a.strip()]
    else:
        names = list(system.sweep.axes) or [a.name for a in system.axes]
    for axis in names:
        system.axis(axis)
    return names


def sweep_one(system: System, args: argparse.Namespace) -> list[Record]:
    """Sweep one system as ``args`` say; print and write its summary; return its records."""
    axes = _axes(system, args.axis)
    chosen_tiers = tiers.parse_tiers(args.tiers or ",".join(system.sweep.tiers))
    repeat = args.repeat or system.sweep.repeat
    runnable, skipped = harness.sweep_plan(system, axes)
    for choices, reason in skipped:
        err.print(f"[yellow]skipped[/] {system.name} {label(choices)}: {reason}")
    run_id = new_run_id()
    records: list[Record] = []
    steps_each = args.warmup + repeat + (0 if args.no_memory else 1)
    with progress_bar() as progress:
        overall = progress.add_task(
            f"sweep {system.name}", total=len(chosen_tiers) * len(runnable) * steps_each
        )
        for tier in chosen_tiers:
            prep = progress.add_task(f"preparing {system.name} {tier.name}", total=None)
            workload = harness.workload_for(
                system,
                tier,
                args.seed,
                progress=lambda done, total, t=prep: progress.update(t, completed=done, total=total),
            )
            progress.remove_task(prep)
            for choices in runnable:
                progress.update(overall, description=f"{system.name} {tier.name}: {label(choices)}")
                try:
                    measured = harness.measure_run(
                        system,
                        workload,
                        tier.name,
                        choices,
                        repeat=repeat,
                        warmup=args.warmup,
                        memory=not args.no_memory,
                        on_step=lambda phase: progress.advance(overall),
                        run_id=run_id,
                        instructions=args.calls if args.metric == "instructions" else 0,
                        seed=args.seed,
                    )
                except UsageError as exc:  # a combination the system refuses at this tier
                    err.print(f"[yellow]skipped[/] {system.name} {tier.name} {label(choices)}: {exc}")
                    skipped.append((choices, f"{tier.name}: {exc}"))
                    progress.advance(overall, steps_each)
                    continue
                records.append(measured.record)
    rows = summarize(records, system.reference())
    _print(system, rows)
    command = f"lab sweep {system.name} --tiers {','.join(t.name for t in chosen_tiers)}"
    command += f" --axis {','.join(axes) if axes else 'all'} --repeat {repeat}"
    command += " --metric instructions" if args.metric == "instructions" else ""
    path = write_sweep(results_dir(), system, command, rows, records, skipped, repeat)
    out.print(f"summary written to {path}")
    return records


def _print(system: System, rows: Any) -> None:
    table = Table(title=f"{system.name} sweep: ratios to the reference, same run")
    for col in columns(rows):
        name = f"{system.unit}/s" if col == "items/s" else col
        table.add_column(name, justify="left" if col in ("tier", "strategies") else "right")
    for cells in row_cells(rows):
        table.add_row(*cells)
    out.print(table)
