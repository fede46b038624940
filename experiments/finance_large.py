"""The finance closing-note figures: one run at a tier (default ``large``) of each strategy that
the note compares, in one process, one after another; ratios within this run.

    python experiments/finance_large.py [--tier large]

Writes ``results/experiments/finance_large.md``: transactions per second of the processing phase
(every rule, check and event; durable stores committing every ``commit_batch`` operations), the
replay time, whether each agrees with the reference, and float's drift in cents.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lab import tiers
from lab.finance import SYSTEM, prepare
from lab.outcome import agree
from lab.scenario import run_once

OUT = Path("results/experiments")
COMPARED = (
    {},
    {"money": "int"},
    {"money": "float"},
    {"apply": "batch"},
    {"replay": "snapshot"},
    {"store": "sqlite"},
    {"store": "postgres"},
)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="large")
    args = p.parse_args()
    workload = prepare(tiers.get(args.tier))
    n = len(workload.rows)
    rows, reference, base = [], None, None
    for given in COMPARED:
        choices = SYSTEM.complete(given)
        reason = SYSTEM.unavailable(choices)
        if reason:
            print(f"{given}: skipped, {reason}")
            continue
        outcome = run_once(SYSTEM, workload, choices)
        reference = reference or outcome.answer
        rate = n / outcome.details["process_s"]
        base = base or rate
        drift = outcome.extras.get("drift")
        rows.append(
            (
                " ".join(f"{k}={v}" for k, v in given.items())
                or "reference (decimal, memory, full, dict, row)",
                rate,
                rate / base,
                outcome.details["replay_s"],
                "yes" if agree(outcome.answer, reference) else "no",
                f"{drift['max_account_cents']:.2g} max, {drift['total_cents']:.2g} total" if drift else "",
            )
        )
        print(*rows[-1])
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# finance at {args.tier}: {n:,} transactions, one run of each",
        "",
        "| strategy | transactions/s | vs reference | replay s | agrees | float drift (cents) |",
        "|---|---|---|---|---|---|",
        *(f"| {s} | {r:,.0f} | {x:.2f}x | {t:.2f} | {a} | {d} |" for s, r, x, t, a, d in rows),
    ]
    (OUT / f"finance_{args.tier}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
