"""Run one system's scenario once, for a profiler: ``python -m lab.profile_target SYSTEM ...``.

``lab profile`` starts this module in a child process (under py-spy), or with
``--memray FILE`` it records the scenario call alone with memray's Tracker (not
imports, not loading the workload), as lab's memory measurements do.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from lab import harness, tiers
from lab.errors import LabError
from lab.measure import tracking
from lab.scenario import Scenario
from lab.strategies import parse_settings
from lab.systems import get_system

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.profile_target")
    p.add_argument("system")
    p.add_argument("--tier", default="small")
    p.add_argument("--set", action="append", default=[], metavar="AXIS=NAME")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--memray", metavar="FILE", help="record the scenario call with memray into FILE")
    p.add_argument(
        "--calls",
        type=int,
        metavar="N",
        help="after one untimed call, make N more, each after the system's reset (for counting "
        "instructions: compare with --skip-calls)",
    )
    p.add_argument(
        "--skip-calls",
        action="store_true",
        help="with --calls: do every set-up, warm-up and reset, but not the N calls themselves",
    )
    p.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="for a sampling profiler: after set-up and one call, say 'ready' on stdout, wait for a "
        "line on stdin, then call the scenario again and again (reset between) for S seconds",
    )
    args = p.parse_args(argv)
    try:
        system = get_system(args.system)
        choices, params = system.resolve(parse_settings(args.set), here=False)  # the caller checked
        workload = harness.workload_for(system, tiers.get(args.tier), args.seed)
    except LabError as exc:
        print(f"lab.profile_target: error: {exc}", file=sys.stderr)
        return 2
    if args.duration is not None:
        with Scenario(system, workload, choices, params) as scenario:
            scenario()
            print("ready", flush=True)
            sys.stdin.readline()  # the profiler is attached: only the calls are sampled from here
            calls, started = 0, time.perf_counter()
            while calls == 0 or time.perf_counter() - started < args.duration:
                scenario.reset()
                scenario()
                calls += 1
        print(f"{calls} calls in {time.perf_counter() - started:.2f} s", file=sys.stderr)
        return 0
    if args.calls is not None:
        with Scenario(system, workload, choices, params) as scenario:
            scenario()
            for _ in range(args.calls):
                scenario.reset()
                gc.collect()  # each call starts with no garbage of another, with or without calls
                if not args.skip_calls:
                    scenario()
            gc.collect()  # and the last call's garbage is collected in the count
        return 0
    with Scenario(system, workload, choices, params) as scenario:
        started = time.perf_counter()
        with tracking(Path(args.memray), aggregated=False) if args.memray else nullcontext():
            outcome = scenario()
        elapsed = time.perf_counter() - started
    print(f"{system.name} {args.tier}: {outcome.n:,} {system.unit} in {elapsed:.3f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
