"""``lab web-load``: each configuration under gunicorn on loopback, loaded for a fixed time by a
generator in its own process; requests/s, p50, p99 and errors written as records (source
``load``) and as ``web-load.md`` in the results folder. ``--sustained SECONDS`` then holds one
configuration at a fraction of its measured maximum for that long, with the p99 of each window.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from lab.errors import UsageError
from lab.measure import Record, append_record, new_run_id
from lab.measure.records import machine_text
from lab.paths import results_dir
from lab.web import loadgen
from lab.web.load import SOURCE, SUSTAINED, Plan, measure, record, stability
from lab.web.loadapps import CONFIGS, PATH
from lab.web.loadgen import LoadError, Result
from lab.web.workload import ROUTES

__all__ = ["main", "summary"]

SUMMARY = "web-load.md"
err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 160)


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, of: {', '.join(CONFIGS)}")
    p.add_argument(
        "--tier", default="small", help="the route table: tiny 10, small 100, medium 1,000 routes..."
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn's sync worker processes")
    p.add_argument("--connections", type=int, default=8, help="requests in flight")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load a round")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of untimed load first")
    p.add_argument("--rounds", type=int, default=3, help="runs of each configuration, interleaved")
    p.add_argument("--tool", default="auto", choices=loadgen.TOOLS, help="wrk when installed, else Python")
    p.add_argument(
        "--sustained", type=float, default=0.0, metavar="SECONDS", help="then a paced run this long"
    )
    p.add_argument("--sustained-config", default="composed", help="the configuration of the paced run")
    p.add_argument("--fraction", type=float, default=0.5, help="of the measured maximum, for the paced run")
    p.add_argument("--rate", type=float, help="requests/s of the paced run (instead of --fraction)")
    p.add_argument("--window", type=float, default=10.0, help="seconds per window of the paced run's p99")
    return p


def _check(args: argparse.Namespace) -> list[str]:
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    unknown = [n for n in names + [args.sustained_config] if n not in CONFIGS]
    if unknown or not names:
        raise UsageError(
            f"unknown configuration {', '.join(unknown) or '(none)'} (choose from: {', '.join(CONFIGS)})"
        )
    if args.tier not in ROUTES:
        raise UsageError(f"--tier is one of {', '.join(ROUTES)}, not {args.tier!r}")
    if min(args.workers, args.connections, args.rounds) < 1 or args.duration <= 0 or args.window <= 0:
        raise UsageError("--workers, --connections, --rounds, --duration and --window must be positive")
    if args.warmup < 0 or args.sustained < 0 or not 0 < args.fraction <= 1 or (args.rate or 1) <= 0:
        raise UsageError("--warmup and --sustained are 0 or more, --fraction in (0, 1], --rate positive")
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
    command = " ".join([prog, shlex.join(argv if argv is not None else sys.argv[2:])]).strip()
    folder = results_dir()
    records = Kept(folder / "runs")
    steps = args.rounds * len(names) * (args.duration + args.warmup)
    try:
        with _progress() as progress:
            runner = Runner(plan, new_run_id(), command, progress, steps + args.sustained + args.warmup)
            for name, results in runner.rounds(names, args.rounds).items():
                records.append(runner.record(name, results))
            if args.sustained:
                name = args.sustained_config
                rate = args.rate or args.fraction * _maximum(records, name, runner)
                records.append(runner.record(name, [runner.once(name, rate, args.sustained)], args.sustained))
    except KeyboardInterrupt:
        print("lab: interrupted (the server was stopped)", file=sys.stderr)
        return 130
    text = summary(records)
    (folder / SUMMARY).parent.mkdir(parents=True, exist_ok=True)
    (folder / SUMMARY).write_text(text, encoding="utf-8")
    out.print(_table(records))
    for line in _sustained_lines(records):
        out.print(line)
    out.print(f"written {folder / 'runs' / 'web.jsonl'} and {folder / SUMMARY}")
    return 0


class Runner:
    """Measures configurations of one run (shared ``run_id``), showing progress in seconds."""

    def __init__(self, plan: Plan, run_id: str, command: str, progress: Progress, total: float) -> None:
        self.plan, self.run_id, self.command, self.progress = plan, run_id, command, progress
        self.task = progress.add_task("load", total=total)
        self.fingerprints: dict[str, str] = {}

    def rounds(self, names: Sequence[str], rounds: int) -> dict[str, list[Result]]:
        """Each configuration ``rounds`` times, interleaved (a, b, c, a, b, c...)."""
        results: dict[str, list[Result]] = {name: [] for name in names}
        for number in range(rounds):
            for name in names:
                results[name].append(self.once(name, None, None, f" (round {number + 1} of {rounds})"))
        return results

    def once(self, name: str, rate: float | None, duration_s: float | None, note: str = "") -> Result:
        """One load run of ``name``: at its maximum rate, or paced at ``rate``."""
        plan = self.plan
        duration = duration_s or plan.duration_s
        what = f"{name}: " + (
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

    def record(self, name: str, results: list[Result], duration_s: float | None = None) -> Record:
        config = CONFIGS[name]
        extra: dict[str, Any] = {"description": config.description}
        if results[0].target_rate:
            extra["mode"] = "sustained"
            extra |= {f"p99_windows_{k}": v for k, v in stability(results[0]).items()}
        duration = duration_s or self.plan.duration_s
        return record(
            config, self.plan, results, self.fingerprints[name], self.run_id, self.command, duration, extra
        )


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


def _maximum(records: list[Record], name: str, runner: Runner) -> float:
    """The maximum rate of ``name`` measured in this run (measured now, once, if it was not)."""
    found = [r for r in records if r.extras and r.extras["configuration"] == name]
    if not found:
        plan = runner.plan
        runner.progress.update(
            runner.task, total=(runner.progress.tasks[0].total or 0) + plan.duration_s + plan.warmup_s
        )
        found = [runner.record(name, [runner.once(name, None, None)])]
        records.append(found[0])
    return float(found[0].per_s or 0.0)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f} ms"


def _rows(records: Sequence[Record]) -> list[list[str]]:
    peaks = [r for r in records if r.extras and r.extras.get("mode") != "sustained"]
    by_name = {r.extras["configuration"]: r.per_s for r in peaks if r.extras}
    rows = []
    for r in peaks:
        x = r.extras or {}
        rows.append(
            [
                x["configuration"],
                x.get("description", ""),
                f"{r.per_s or 0:,.0f}",
                _range(x.get("rounds", [])),
                _ms(x["p50_s"]),
                _ms(x["p99_s"]),
                f"{r.counts['errors']:,}",
                f"{r.counts['requests']:,}",
                _ratio(r.per_s, by_name.get("composed")),
                _ratio(r.per_s, by_name.get("falcon")),
                _load(x),
            ]
        )
    return rows


COLUMNS = [
    "configuration",
    "app",
    "requests/s",
    "rounds",
    "p50",
    "p99",
    "errors",
    "requests",
    "/ composed",
    "/ falcon",
    "load avg",
]


def _range(rounds: Sequence[dict]) -> str:
    """The lowest and highest requests/s of the rounds (``1 round`` alone)."""
    rates = [r["requests_per_s"] for r in rounds]
    if len(rates) < 2:
        return f"{len(rates)} round"
    return f"{len(rates)}: {min(rates):,.0f} to {max(rates):,.0f}"


def _load(found: dict) -> str:
    """The machine's 1-minute load average when a run or window ended (other work on its cores)."""
    value = found.get("load_average_1min")
    return "-" if value is None else f"{value:.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def _table(records: Sequence[Record]) -> Table:
    table = Table(title=f"under gunicorn on loopback: {PATH}")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("configuration", "app") else "right")
    for row in _rows(records):
        table.add_row(*row)
    return table


def _sustained_lines(records: Sequence[Record]) -> list[str]:
    lines = []
    for r in records:
        x = r.extras or {}
        if x.get("mode") != "sustained":
            continue
        p99s = ", ".join(_ms(p) for p in x["p99_windows_p99_s"])
        spread = x["p99_windows_spread"]
        lines.append(
            f"sustained {x['configuration']}: {r.params['rate']:,} requests/s asked, "
            f"{r.per_s or 0:,.0f} done "
            f"for {r.params['duration_s']:g} s ({r.n:,} requests), {r.counts['errors']:,} errors; "
            f"p99 per {x['window_s']:g} s window: {p99s}; spread (max / min) "
            f"{'-' if spread is None else f'{spread:.2f}x'}, "
            f"{'stable' if x['p99_windows_stable'] else 'NOT stable'} (each within 2x of the median window); "
            f"load average {_load(x)} at the end"
        )
    return lines


def _markdown(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def summary(records: Sequence[Record]) -> str:
    """``web-load.md``: the run's configurations side by side, then the sustained run's windows."""
    if not records:
        return "# web: load under a real server\n\nNo records.\n"
    first = records[0]
    x = first.extras or {}
    when = first.timestamp[:16].replace("T", " ")
    duration = first.params.get("duration_s")
    text = [
        "# web: load under a real server",
        "",
        f"`{x.get('command', 'lab web-load')}`: run {first.run_id}, {when} UTC, "
        f"commit {first.commit}, on {machine_text(first.machine)}.",
        "",
        f"{x.get('server', 'gunicorn')}, a table of {x.get('routes', '?'):,} routes, one JSON GET "
        f"(`{PATH}`, with a bearer token) on a new connection each time (sync workers close it); "
        f"{first.params.get('generator')} in its own process, {first.params.get('connections')} connections, "
        f"{duration:g} s a round after {x.get('warmup_s', 0):g} s of warm-up, the configurations' "
        "rounds interleaved. requests/s, p50 and p99 are medians over the rounds; ratios are of "
        "requests/s within this run; `load avg` is the machine's 1-minute load average when a round "
        "ended (the median; other work shares its cores).",
        "",
        _markdown(COLUMNS, _rows(records)),
    ]
    for r in records:
        s = r.extras or {}
        if s.get("mode") != "sustained":
            continue
        line = _sustained_lines([r])[0]
        text += [line[0].upper() + line[1:] + ".", ""]
        rows = [
            [
                f"{w['start_s']:g}-{w['start_s'] + s['window_s']:g} s",
                f"{w['requests']:,}",
                f"{w['errors']:,}",
                _ms(w["p50_s"]),
                _ms(w["p99_s"]),
                _load(w),
            ]
            for w in s["windows"]
        ]
        text.append(_markdown(["window", "requests", "errors", "p50", "p99", "load avg"], rows))
    text.append(f"Records: `runs/web.jsonl` (sources `{SOURCE}` and `{SUSTAINED}`).\n")
    return "\n".join(text)


if __name__ == "__main__":
    sys.exit(main())
