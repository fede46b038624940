"""What ``lab web-load`` shows and writes: the configurations side by side (requests/s, the
rounds' range, p50, p99, errors, ratios within the run, the machine's load average), and the
paced run's windows, as a rich table and as ``web-load.md``."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from lab.measure import Record
from lab.measure.records import machine_text
from lab.web.load import SOURCE, SUSTAINED
from lab.web.loadapps import PATH

__all__ = ["summary", "table", "sustained_lines", "search_lines", "SUMMARY"]

SUMMARY = "web-load.md"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f} ms"


def _server(record: Record) -> str:
    """``sync`` or ``gthread, keep-alive`` (records before the choice: sync)."""
    worker = record.params.get("worker_class", "sync")
    return worker if worker == "sync" else f"{worker}, keep-alive"


def _rows(records: Sequence[Record]) -> list[list[str]]:
    peaks = [r for r in records if r.extras and r.extras.get("mode") != "sustained"]
    by_name = {(_server(r), r.extras["configuration"]): r.per_s for r in peaks if r.extras}
    sync = {name: per_s for (server, name), per_s in by_name.items() if server == "sync"}
    rows = []
    for r in peaks:
        x, server = r.extras or {}, _server(r)
        rows.append(
            [
                x["configuration"],
                x.get("description", ""),
                server,
                f"{r.per_s or 0:,.0f}",
                _range(x.get("rounds", [])),
                _ms(x["p50_s"]),
                _ms(x["p99_s"]),
                f"{r.counts['errors']:,}",
                f"{r.counts['requests']:,}",
                _ratio(r.per_s, by_name.get((server, "composed"))),
                _ratio(r.per_s, by_name.get((server, "falcon"))),
                _ratio(r.per_s, sync.get(x["configuration"])),
                _load(x),
            ]
        )
    return rows


COLUMNS = [
    "configuration",
    "app",
    "server",
    "requests/s",
    "rounds",
    "p50",
    "p99",
    "errors",
    "requests",
    "/ composed",
    "/ falcon",
    "/ sync",
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


def table(records: Sequence[Record]) -> Table:
    table = Table(title=f"under gunicorn on loopback: {PATH}")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("configuration", "app") else "right")
    for row in _rows(records):
        table.add_row(*row)
    return table


def sustained_lines(records: Sequence[Record]) -> list[str]:
    lines = []
    for r in records:
        x = r.extras or {}
        if x.get("mode") != "sustained":
            continue
        p99s = ", ".join(_ms(p) for p in x["p99_windows_p99_s"])
        spread = x["p99_windows_spread"]
        if x.get("search"):
            asked = (
                f"{r.params['rate']:,} requests/s asked (the sustainable maximum: "
                f"{x['fraction']:.2f} of the closed-loop maximum, {x['closed_loop_max_per_s']:,.0f}), "
            )
        elif x.get("fraction"):
            asked = f"{r.params['rate']:,} requests/s asked ({x['fraction']:g} of its maximum), "
        else:
            asked = f"{r.params['rate']:,} requests/s asked, "
        lines.append(
            f"sustained {x['configuration']} ({_server(r)}): {asked}{r.per_s or 0:,.0f} done "
            f"for {r.params['duration_s']:g} s ({r.n:,} requests), {r.counts['errors']:,} errors; "
            f"p99 per {x['window_s']:g} s window: {p99s}; spread (max / min) "
            f"{'-' if spread is None else f'{spread:.2f}x'}, "
            f"{'stable' if x['p99_windows_stable'] else 'NOT stable'} (each within 2x of the median window); "
            f"load average {_load(x)} at the end"
        )
    return lines


def search_lines(record: Record) -> list[str]:
    """The steps of the search that found a sustained run's rate, as a markdown table."""
    x = record.extras or {}
    if not x.get("search"):
        return []
    intro = (
        f"The search: bisection between 0 and the closed-loop maximum "
        f"({x['closed_loop_max_per_s']:,.0f} requests/s), {len(x['search'])} paced steps of "
        f"{x['search_step_s']:g} s in two windows, each sustainable when it had 0 errors, its "
        "p99 did not grow (the second window's at most 2x the first's: a queue that builds up "
        f"grows it) and stayed under {_ms(x['p99_ceiling_s'])} (2x the p99 of the closed-loop run "
        "at the maximum); the highest sustainable rate is the sustainable maximum."
    )
    rows = [
        [
            f"{s['rate']:,}",
            f"{s['requests']:,}",
            f"{s['errors']:,}",
            ", ".join(_ms(p) for p in s["p99_s"]),
            "-" if s["growth"] is None else f"{s['growth']:.2f}x",
            "yes" if s["sustainable"] else "no",
        ]
        for s in x["search"]
    ]
    columns = ["asked /s", "requests", "errors", "p99 per window", "growth", "sustainable"]
    return [intro, "", _markdown(columns, rows)]


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
        f"gunicorn with {first.params.get('workers')} workers, a table of {x.get('routes', '?'):,} routes, "
        f"one JSON GET (`{PATH}`, with a bearer token); `sync` workers close every connection, so "
        "each request pays for a new one; `gthread` workers keep connections alive (as wrk does); "
        f"{first.params.get('generator')} in its own process, {first.params.get('connections')} connections, "
        f"{duration:g} s a round after {x.get('warmup_s', 0):g} s of warm-up, the configurations' "
        "rounds interleaved. requests/s, p50 and p99 are medians over the rounds; ratios are of "
        "requests/s within this run (`/ composed` and `/ falcon` under the same server, `/ sync` "
        "the same configuration under sync workers); `load avg` is the machine's 1-minute load "
        "average when a round ended (the median; other work shares its cores).",
        "",
        _markdown(COLUMNS, _rows(records)),
    ]
    for r in records:
        s = r.extras or {}
        if s.get("mode") != "sustained":
            continue
        line = sustained_lines([r])[0]
        text += search_lines(r)
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
