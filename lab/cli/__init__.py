"""The ``lab`` command. Each subcommand lives in its own module with an ``add_parser``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lab.cli import compare, data, listing, profile, report, run, sweep, verify
from lab.cli.common import fail
from lab.errors import LabError, UsageError
from lab.strategies import Command
from lab.systems import systems

__all__ = ["main", "COMMANDS"]

#: The modules that add a subcommand, in the order ``lab --help`` lists them.
COMMANDS = (listing, data, run, sweep, verify, report, compare, profile)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description="Measure the performance patterns of data systems.")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    for own in system_commands().values():
        sub.add_parser(own.name, help=own.help, add_help=False)  # listed here, parsed by its own main
    return p


def system_commands() -> dict[str, Command]:
    """The subcommands the systems add, by name."""
    return {own.name: own for system in systems() for own in system.commands}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lab`` command: exit 2 on a usage error, 1 on bad input."""
    argv = list(sys.argv[1:] if argv is None else argv)
    own = system_commands().get(argv[0]) if argv else None
    if own is not None:
        try:
            return own.main(argv[1:], f"lab {own.name}")
        except LabError as exc:
            return fail(str(exc), 1)
    args = parser().parse_args(argv)
    try:
        if (getattr(args, "repeat", None) or 1) < 1 or getattr(args, "repeat", 1) == 0:
            raise UsageError("--repeat must be at least 1")
        if (getattr(args, "warmup", None) or 0) < 0:
            raise UsageError("--warmup cannot be negative")
        return args.func(args)
    except UsageError as exc:
        return fail(str(exc), 2)
    except LabError as exc:
        return fail(str(exc), 1)
    except KeyboardInterrupt:
        print("lab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
