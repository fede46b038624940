"""``lab run SYSTEM``: one measured run, on a tier or on an input the system's own options name.

The options every system shares are declared here; a system adds its own
(:attr:`lab.strategies.System.options`), and ``lab run SYSTEM --help`` shows only
those of that system.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lab import harness, tiers
from lab.cli.common import bytes_bar, err, out, progress_bar
from lab.errors import UsageError
from lab.measure import Record, new_run_id
from lab.measure.records import encode
from lab.outcome import Outcome
from lab.report.summary import human_bytes, human_seconds
from lab.strategies import System, label, parse_settings
from lab.systems import get_system, systems

__all__ = ["add_parser", "system_parser", "load_workload", "print_run", "alerted", "ALERT_EXIT"]

#: The tier a run uses when none is named.
DEFAULT_TIER = "small"


def add_parser(sub: argparse._SubParsersAction) -> None:
    names = ", ".join(s.name for s in systems())
    p = sub.add_parser(
        "run",
        help="one measured run",
        description=f"One measured run of SYSTEM ({names}). `lab run SYSTEM --help` lists its options.",
        add_help=False,
    )
    p.add_argument("system", nargs="?", help=f"one of: {names}")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.add_argument("-h", "--help", action="store_true", help="show this help (or a system's, after its name)")
    p.set_defaults(func=cmd_run, run_parser=p)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """The options of a measured run that every system shares (``lab run``, ``lab profile``)."""
    p.add_argument("--tier", help=f"data size: {', '.join(tiers.TIERS)} (default: {DEFAULT_TIER})")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="AXIS=NAME",
        help="choose a strategy (AXIS=NAME) or a parameter (NAME=NUMBER); repeatable; "
        "unset axes take their reference",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the generated data (default: 0)")


def system_parser(system: System, prog: str = "lab run") -> argparse.ArgumentParser:
    """The parser of ``lab run SYSTEM``: the shared options, then the system's own."""
    p = argparse.ArgumentParser(prog=f"{prog} {system.name}", description=system.description)
    add_run_options(p)
    p.add_argument("--repeat", type=int, default=5, help="timed repeats (default: 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before the repeats (default: 1)")
    p.add_argument("--memory", action="store_true", help="also measure the peak heap (memray, separate run)")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    if system.options:
        own = p.add_argument_group(f"{system.name} options")
        for option in system.options:
            own.add_argument(
                option.flag, dest=option.dest, type=option.type, metavar=option.metavar, help=option.help
            )
    return p


def load_workload(
    system: System,
    args: argparse.Namespace,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Any, str]:
    """The workload ``args`` names (the system's own input options, else a tier) and the tier
    name to record."""
    tier = tiers.get(args.tier) if args.tier else None
    values = _own_values(system, args)
    for option in system.options:
        if option.instead_of_tier and tier is not None and values[option.dest]:
            raise UsageError(f"--tier and {option.flag} name two inputs: give one")
    if system.open_input is not None:
        opened = system.open_input(values, tier, args.seed, progress)
        if opened is not None:
            return opened
    tier = tier or tiers.get(DEFAULT_TIER)
    return harness.workload_for(system, tier, args.seed, progress=progress), tier.name


def _own_values(system: System, args: argparse.Namespace) -> dict[str, Any]:
    return {o.dest: getattr(args, o.dest, None) for o in system.options}


def _prepare(system: System, args: argparse.Namespace) -> tuple[Any, str]:
    with progress_bar() as progress:
        task = progress.add_task(f"preparing {args.tier or DEFAULT_TIER}", total=None)
        return load_workload(
            system, args, lambda done, total: progress.update(task, completed=done, total=total)
        )


@contextmanager
def graceful_stop() -> Iterator[threading.Event]:
    """The first Ctrl-C sets the event (the run ends early, its answer partial); the second aborts."""
    event = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        event.set()
        err.print("[yellow]stopping after this block; Ctrl-C again to abort[/]")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress_lines(every_s: float = 1.0) -> Callable[[int], None]:
    """Where no progress bar shows (stderr is not a terminal): a line of bytes read, at most
    once every ``every_s`` seconds."""
    last = [0.0]

    def report(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= every_s:
            last[0] = now
            print(f"lab: progress: {done:,} bytes read", file=err.file, flush=True)

    return report


def cmd_run(args: argparse.Namespace) -> int:
    if args.system is None:
        args.run_parser.print_help()
        return 0 if args.help else 2
    system = get_system(args.system)
    args = system_parser(system).parse_args([*args.rest, *(["--help"] if args.help else [])])
    if args.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    if args.warmup < 0:
        raise UsageError("--warmup cannot be negative")
    settings = parse_settings(args.set)
    if system.settings_from is not None:
        settings.update(system.settings_from(_own_values(system, args)))
    choices, params = system.resolve(settings)
    workload, tier_name = _prepare(system, args)
    streamed = bool(getattr(workload, "streamed", False))
    size = getattr(workload, "expected_bytes", None)
    if streamed:  # made on the fly, maybe a billion rows: one timed pass, no warm-up
        args.warmup, args.repeat = 0, 1
    steps = args.warmup + args.repeat + (1 if args.memory else 0)
    with bytes_bar() as progress, graceful_stop() as stopping:
        if streamed:
            rows = f"{workload.rows:,} generated {system.unit}" if workload.rows else system.unit
            err.print(f"streaming {rows} once; Ctrl-C stops with a partial answer")
        title = f"{system.name} {label(choices)}"
        runs = progress.add_task(title, total=steps)
        read = progress.add_task("reading", total=size)
        lines = _progress_lines() if streamed and not err.is_terminal else None

        def on_bytes(done: int) -> None:
            progress.update(read, completed=done)
            if lines is not None:
                lines(done)

        def on_step(phase: str) -> None:
            progress.update(runs, advance=1, description=f"{title} ({phase})")
            progress.update(read, completed=0)

        measured = harness.measure_run(
            system,
            workload,
            tier_name,
            choices,
            params,
            repeat=args.repeat,
            warmup=args.warmup,
            memory=args.memory,
            progress=on_bytes if size else None,
            on_step=on_step,
            options={"stop": stopping.is_set} if streamed else None,
            run_id=new_run_id(),
        )
    record, outcome = measured.record, measured.outcome
    if args.json:
        document = {**encode(dict(record)), "details": encode(outcome.details)}
        print(json.dumps(document, indent=2, default=str, allow_nan=False))
    else:
        print_run(system, record, outcome)
    return alerted(outcome)


#: The exit code of a run whose outcome raised an alert (``details["alerts"]``).
ALERT_EXIT = 3


def alerted(outcome: Outcome) -> int:
    """0, or :data:`ALERT_EXIT` when the outcome's details hold alerts (each printed on stderr)."""
    alerts = outcome.details.get("alerts") or []
    for alert in alerts:
        err.print(f"[bold red]alert[/]: {json.dumps(encode(alert), sort_keys=True, default=str)}")
    return ALERT_EXIT if alerts else 0


def print_run(system: System, record: Record, outcome: Outcome) -> None:
    """A measured run for people: timing, memory, counts, then what the system shows of its answer."""
    out.print(f"[bold]{record.system}[/] on [bold]{record.tier}[/] with {label(record.choices)}")
    if record.partial:
        out.print(f"  [bold red]PARTIAL[/]: stopped early after {record.n:,} {system.unit}")
    per_s = f"{record.per_s or 0:,.0f} {system.unit}/s"
    out.print(
        f"  median {human_seconds(record.median_s)} (IQR {human_seconds(record.iqr_s)}, "
        f"{len(record.samples)} repeats) for {record.n:,} {system.unit}: {per_s}"
    )
    if record.peak_bytes is not None:
        out.print(f"  peak heap {human_bytes(record.peak_bytes)} (memray)")
    elif record.peak_note:
        out.print(f"  no peak heap: {record.peak_note}")
    counts = ", ".join(f"{k} {v:,}" for k, v in record.counts.items())
    out.print(f"  {counts}; fingerprint {record.fingerprint}")
    for item in _rendered(system, outcome):
        out.print(item)


def _rendered(system: System, outcome: Outcome) -> Sequence[Any]:
    if system.render is None:
        return [json.dumps(encode(outcome.answer), indent=2, sort_keys=True)]
    return system.render(outcome)
