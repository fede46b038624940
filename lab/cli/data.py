"""``lab data TIER``: prepare the workloads of a tier, with a progress bar."""

from __future__ import annotations

import argparse
from typing import Any

from lab import harness, tiers
from lab.cli.common import out, progress_bar
from lab.systems import get_system, systems

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="prepare the workloads of a tier")
    p.add_argument("tier")
    p.add_argument("--system")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_data)


def cmd_data(args: argparse.Namespace) -> int:
    tier = tiers.get(args.tier)
    chosen = [get_system(args.system)] if args.system else systems()
    with progress_bar() as progress:
        for system in chosen:
            reason = system.refuses(tier)
            if reason and not args.system:
                out.print(f"{system.name} {tier.name}: skipped ({reason})")
                continue
            task = progress.add_task(f"{system.name} {tier.name}", total=None)

            def report(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            workload = harness.workload_for(system, tier, args.seed, progress=report)
            out.print(f"{system.name} {tier.name}: {workload}")
    return 0
