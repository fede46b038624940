"""One JSON GET through lab's full stack against its peers, and the cost of each middleware
layer, all measured in one run with the candidates interleaved.

    python experiments/web_stack.py [--rounds 15] [--batch 2000] [--out results/experiments]

Each round times a batch of ``--batch`` calls of every candidate in turn (the same
``/api/r3/42/items/a`` with a bearer token, 100 routes, in-process through WSGI); a figure is
the median over rounds of the microseconds a call took, with the interquartile range. Writes
``web_stack.md`` under ``--out``, with the command and the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from web_figures import SECRET, app_candidates, layer_candidates, request_of

from lab.web.table import specs
from lab.web.tokens import issue
from lab.web.workload import EXPIRES

FULL = "lab, full stack composed (trie)"


def interleaved(calls: dict[str, Callable[[], object]], rounds: int, batch: int) -> dict[str, list[float]]:
    """Microseconds a call of each candidate took, one batch per candidate per round."""
    for call in calls.values():  # warm-up: caches, the token remembered, the router built
        for _ in range(100):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter_ns()
            for _ in range(batch):
                call()
            samples[name].append((time.perf_counter_ns() - started) / batch / 1000)
    return samples


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4)
    return q1, statistics.median(values), q3


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--batch", type=int, default=2000)
    p.add_argument("--out", default="results/experiments")
    args = p.parse_args()
    table = specs(100)
    token = issue(SECRET, "client", "admin", EXPIRES)
    apps = app_candidates(table)
    layers = layer_candidates(table)
    calls = {name: request_of(app, token) for name, app in apps.items()}
    calls |= {f"layers: {name}": request_of(app, token) for name, app in layers}
    before = os.getloadavg()[0]
    samples = interleaved(calls, args.rounds, args.batch)
    after = os.getloadavg()[0]
    us = {name: quartiles(values) for name, values in samples.items()}
    full = us[FULL][1]
    command = f"python experiments/web_stack.py --rounds {args.rounds} --batch {args.batch}"
    lines = [
        "# web: one request through the full stack",
        "",
        f"`{command}`; load average {before:.2f} before, {after:.2f} after (other work shares the 2 cores).",
        "",
        f"One JSON GET (`/api/r3/42/items/a`, a bearer token, 100 routes), in-process through WSGI; "
        f"{args.rounds} rounds, each timing {args.batch:,} calls of every candidate in turn; medians "
        "over rounds, with the interquartile range.",
        "",
        "| app | us a request | IQR | this / lab full stack | lab full stack / this |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in apps:
        q1, median, q3 = us[name]
        lines.append(
            f"| {name} | {median:.2f} | {q1:.2f} to {q3:.2f} | {median / full:.2f}x | {full / median:.2f}x |"
        )
    lines += [
        "",
        "The stack built up one layer at a time (innermost first), each row the whole stack so far; "
        "a layer's cost is the difference of two medians of the same run:",
        "",
        "| stack | us a request | IQR | this layer adds |",
        "|---|---:|---:|---:|",
    ]
    previous = None
    for name, _ in layers:
        q1, median, q3 = us[f"layers: {name}"]
        added = "" if previous is None else f"{median - previous:+.2f}"
        lines.append(f"| {name} | {median:.2f} | {q1:.2f} to {q3:.2f} | {added} |")
        previous = median
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "web_stack.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
