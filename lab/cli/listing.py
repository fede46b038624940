"""``lab list [SYSTEM]``: systems, axes, strategies, and why any is unavailable."""

from __future__ import annotations

import argparse

from rich.table import Table

from lab.cli.common import out
from lab.systems import get_system, systems

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="systems, axes, strategies, and why any is unavailable")
    p.add_argument("system", nargs="?")
    p.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    chosen = [get_system(args.system)] if args.system else systems()
    table = Table(title="systems, axes and strategies")
    for col in ("system", "axis", "strategy", "description", "available here"):
        table.add_column(col)
    for system in chosen:
        table.add_row(f"[bold]{system.name}[/]", "", "", system.description, "")
        for axis in system.axes:
            for s in axis.strategies:
                reason = s.unavailable()
                ref = " (reference)" if s.name == axis.reference else ""
                table.add_row(
                    "",
                    axis.name,
                    s.name + ref,
                    s.description,
                    "yes" if reason is None else f"[red]no[/]: {reason}",
                )
        if system.params:
            params = ", ".join(f"{k}={v}" for k, v in system.params.items())
            table.add_row("", "[dim]params[/]", params, "set with --set NAME=VALUE", "")
    out.print(table)
    return 0
