"""``lab web-load``: each configuration under gunicorn on loopback, loaded for a fixed time by a
generator in its own process; requests/s, p50, p99 and errors written as records (source
``load``) and as ``web-load.md`` in the results folder. ``--sustained SECONDS`` then holds one
configuration at a fraction of its measured maximum for that long, with the p99 of each window;
with ``--search`` at the sustainable maximum found by bisection (:mod:`lab.web.sustain`).
``--server sync,gthread`` measures every configuration under each worker class, the rounds
interleaved: sync workers close every connection, gthread workers keep them alive.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from lab.errors import UsageError
from lab.measure import Record, append_record, new_run_id
from lab.paths import results_dir
from lab.web import loadgen
from lab.web.load import Plan, measure, record, stability
from lab.web.loadapps import CONFIGS
from lab.web.loadgen import LoadError, Result
from lab.web.loadsummary import SUMMARY, summary, sustained_lines, table
from lab.web.serve import WORKER_CLASSES
from lab.web.sustain import GROWTH, WINDOWS, bisect_rate, sustainable
from lab.web.workload import ROUTES

__all__ = ["main"]

err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 160)


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Load lab's app in each middleware configuration, and Falcon's, under gunicorn on "
        "loopback; record requests/s, p50, p99 and errors of each.",
    )
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, of: {', '.join(CONFIGS)}")
    p.add_argument(
        "--tier", default="small", help="the route table: tiny 10, small 100, medium 1,000 routes..."
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn's worker processes")
    p.add_argument(
        "--server",
        type=_servers,
        default=WORKER_CLASSES,
        help="gunicorn's worker classes, comma-separated, each measured: sync closes every "
        "connection, gthread keeps them alive (default: sync,gthread)",
    )
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    p.add_argument("--connections", type=int, default=8, help="requests in flight")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load a round")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of untimed load first")
    p.add_argument("--rounds", type=int, default=3, help="runs of each configuration, interleaved")
    p.add_argument("--tool", default="auto", choices=loadgen.TOOLS, help="wrk when installed, else Python")
    p.add_argument(
        "--sustained", type=float, default=0.0, metavar="SECONDS", help="then a paced run this long"
    )
    p.add_argument("--sustained-config", default="composed", help="the configuration of the paced run")
    p.add_argument(
        "--sustained-server", help="the worker class of the paced run (default: the last --server)"
    )
    p.add_argument(
        "--search",
        action="store_true",
        help="find the sustainable maximum (the highest paced rate with a stable p99) by bisection, "
        "and hold that rate for --sustained seconds (instead of --fraction)",
    )
    p.add_argument("--search-steps", type=int, default=6, help="paced steps of the search")
    p.add_argument("--search-step", type=float, default=5.0, help="seconds a step of the search")
    p.add_argument(
        "--fraction",
        type=_fractions,
        default=(0.5,),
        help="of the measured maximum, for the paced run (comma-separated: one paced run each)",
    )
    p.add_argument("--rate", type=float, help="requests/s of the paced run (instead of --fraction)")
    p.add_argument("--window", type=float, default=10.0, help="seconds per window of the paced run's p99")
    return p


def _fractions(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes numbers in (0, 1], not {text!r}") from None
    if not values or not all(0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"takes numbers in (0, 1], not {text!r}")
    return values


def _servers(text: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))
    if not values or any(v not in WORKER_CLASSES for v in values):
        raise argparse.ArgumentTypeError(f"takes {', '.join(WORKER_CLASSES)} (comma-separated), not {text!r}")
    return values


def _check(args: argparse.Namespace) -> list[str]:
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    unknown = [n for n in names + [args.sustained_config] if n not in CONFIGS]
    if unknown or not names:
        raise UsageError(
            f"unknown configuration {', '.join(unknown) or '(none)'} (choose from: {', '.join(CONFIGS)})"
        )
    if args.tier not in ROUTES:
        raise UsageError(f"--tier is one of {', '.join(ROUTES)}, not {args.tier!r}")
    if min(args.workers, args.connections, args.rounds, args.threads, args.search_steps) < 1:
        raise UsageError("--workers, --connections, --rounds, --threads and --search-steps must be positive")
    if min(args.duration, args.window, args.search_step) <= 0:
        raise UsageError("--duration, --window and --search-step must be positive")
    if args.sustained_server not in (None, *args.server):
        raise UsageError(f"--sustained-server is one of --server ({', '.join(args.server)})")
    if args.search and args.rate:
        raise UsageError("--search finds the rate itself: give --search or --rate, not both")
    if args.warmup < 0 or args.sustained < 0 or (args.rate or 1) <= 0:
        raise UsageError("--warmup and --sustained are 0 or more, --rate positive")
    return names


def main(argv: Sequence[str] | None = None, prog: str = "lab web-load") -> int:
    """Parse ``argv``, load each configuration, write records and the summary."""
    args = _parser(prog).parse_args(argv)
    names = _check(args)
    plan = Plan(
        args.tier,
        ROUTES[args.tier],
        args.workers,
        args.connections,
        args.duration,
        args.warmup,
        loadgen.tool(args.tool),
        args.window,
    )
    plans = {w: dataclasses.replace(plan, worker_class=w, threads=args.threads) for w in args.server}
    command = " ".join([prog, shlex.join(argv if argv is not None else sys.argv[2:])]).strip()
    folder = results_dir()
    records = Kept(folder / "runs")
    steps = args.rounds * len(names) * len(plans) * (args.duration + args.warmup)
    try:
        with _progress() as progress:
            paced = [args.rate] if args.rate else [None] if args.search else list(args.fraction)
            total = steps + len(paced) * (args.sustained + args.warmup)
            if args.search and args.sustained:
                total += args.search_steps * (args.search_step + args.warmup)
            runner = Runner(plans, new_run_id(), command, progress, total)
            for (server, name), results in runner.rounds(names, args.rounds).items():
                records.append(runner.record(name, server, results))
            name, server = args.sustained_config, args.sustained_server or args.server[-1]
            for value in paced if args.sustained else []:
                if args.rate:
                    rate, more = value, {}
                else:
                    peak = _maximum(records, name, server, runner)
                    maximum = float(peak.per_s or 0.0)
                    if args.search:
                        rate, more = _search(runner, name, server, peak, args)
                        if not rate:
                            err.print("lab: the search found no sustainable rate; no sustained run")
                            break
                    else:
                        rate, more = value * maximum, {"fraction": value}
                result = runner.once(name, server, rate, args.sustained)
                records.append(runner.record(name, server, [result], args.sustained, more))
    except KeyboardInterrupt:
        print("lab: interrupted (the server was stopped)", file=sys.stderr)
        return 130
    text = summary(records)
    (folder / SUMMARY).parent.mkdir(parents=True, exist_ok=True)
    (folder / SUMMARY).write_text(text, encoding="utf-8")
    out.print(table(records))
    for line in sustained_lines(records):
        out.print(line)
    out.print(f"written {folder / 'runs' / 'web.jsonl'} and {folder / SUMMARY}")
    return 0


class Runner:
    """Measures configurations of one run (shared ``run_id``) under one or more servers (a
    :class:`Plan` per worker class), showing progress in seconds."""

    def __init__(
        self, plans: dict[str, Plan], run_id: str, command: str, progress: Progress, total: float
    ) -> None:
        self.plans, self.run_id, self.command, self.progress = plans, run_id, command, progress
        self.task = progress.add_task("load", total=total)
        self.fingerprints: dict[str, str] = {}

    def rounds(self, names: Sequence[str], rounds: int) -> dict[tuple[str, str], list[Result]]:
        """Each configuration under each server ``rounds`` times, interleaved (a, b, c, a, b, c...)."""
        results: dict[tuple[str, str], list[Result]] = {(s, n): [] for s in self.plans for n in names}
        for number in range(rounds):
            for server, name in results:
                note = f" (round {number + 1} of {rounds})"
                results[server, name].append(self.once(name, server, None, None, note))
        return results

    def once(
        self,
        name: str,
        server: str,
        rate: float | None,
        duration_s: float | None,
        note: str = "",
        window_s: float | None = None,
    ) -> Result:
        """One load run of ``name`` under ``server``: at its maximum rate, or paced at ``rate``."""
        plan = self.plans[server]
        if window_s is not None:
            plan = dataclasses.replace(plan, window_s=window_s)
        duration = duration_s or plan.duration_s
        what = f"{name} ({server}): " + (
            f"{rate:,.0f} requests/s paced" if rate else f"{plan.tool}, {plan.connections} connections"
        )
        self.progress.update(self.task, description=what + note)
        if not err.is_terminal:
            err.print(f"{what}, {plan.warmup_s:g} + {duration:g} s{note}")
        last = [time.monotonic()]

        def tick() -> None:
            now = time.monotonic()
            self.progress.advance(self.task, now - last[0])
            last[0] = now

        result, fingerprint = measure(CONFIGS[name], plan, rate, duration, tick)
        if self.fingerprints.setdefault(name, fingerprint) != fingerprint:
            raise LoadError(f"{name} answered another body than before")
        return result

    def record(
        self,
        name: str,
        server: str,
        results: list[Result],
        duration_s: float | None = None,
        more: dict | None = None,
    ) -> Record:
        config, plan = CONFIGS[name], self.plans[server]
        extra: dict[str, Any] = {"description": config.description, **(more or {})}
        if results[0].target_rate:
            extra["mode"] = "sustained"
            extra |= {f"p99_windows_{k}": v for k, v in stability(results[0]).items()}
        duration = duration_s or plan.duration_s
        return record(
            config, plan, results, self.fingerprints[name], self.run_id, self.command, duration, extra
        )


def _search(
    runner: Runner, name: str, server: str, peak: Record, args: argparse.Namespace
) -> tuple[float, dict[str, Any]]:
    """The sustainable maximum of ``name`` by bisection below its closed-loop maximum (the
    record ``peak``), and what the sustained record keeps of the search."""
    window = args.search_step / WINDOWS
    maximum = float(peak.per_s or 0.0)
    ceiling = GROWTH * peak.extras["p99_s"]  # type: ignore[index]

    def step(rate: float) -> Result:
        result = runner.once(name, server, rate, args.search_step, " (search)", window)
        p99s = ", ".join(f"{w['p99_s'] * 1e3:.2f}" for w in result.windows)
        verdict = "sustainable" if sustainable(result, ceiling) else "not sustainable"
        err.print(f"  {result.error_count} errors, p99 per window {p99s} ms: {verdict}")
        return result

    rate, trail = bisect_rate(step, maximum, args.search_steps, lambda r: sustainable(r, ceiling))
    more = {
        "search": [s.to_dict() for s in trail],
        "search_step_s": args.search_step,
        "search_window_s": window,
        "closed_loop_max_per_s": maximum,
        "p99_ceiling_s": ceiling,
        "fraction": rate / maximum if maximum else 0.0,
    }
    return rate, more


class Kept(list):
    """The run's records, each appended to ``runs/web.jsonl`` as soon as it is measured."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def append(self, record: Record) -> None:
        append_record(record, self.folder)
        super().append(record)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _maximum(records: list[Record], name: str, server: str, runner: Runner) -> Record:
    """The record of ``name``'s maximum rate under ``server`` in this run (measured now, once,
    if it was not)."""
    found = [
        r
        for r in records
        if r.extras and r.extras["configuration"] == name and r.params.get("worker_class") == server
    ]
    if not found:
        plan = runner.plans[server]
        runner.progress.update(
            runner.task, total=(runner.progress.tasks[0].total or 0) + plan.duration_s + plan.warmup_s
        )
        found = [runner.record(name, server, [runner.once(name, server, None, None)])]
        records.append(found[0])
    return found[0]


if __name__ == "__main__":
    sys.exit(main())
