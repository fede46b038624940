"""The ``lab`` command. Each subcommand lives in its own module with an ``add_parser``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lab.cli import compare, data, listing, profile, report, run, sweep, verify
from lab.cli.common import fail
from lab.errors import LabError, UsageError

__all__ = ["main", "COMMANDS"]

#: The modules that add a subcommand, in the order ``lab --help`` lists them.
COMMANDS = (listing, data, run, sweep, verify, report, compare, profile)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description="Measure the performance patterns of data systems.")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lab`` command: exit 2 on a usage error, 1 on bad input."""
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
