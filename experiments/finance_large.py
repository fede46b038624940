"""The finance closing-note figures: runs at a tier (default ``large``) of each strategy that
the note compares, in one process, interleaved round by round (each round in another order);
medians, and each strategy's ratio to the reference's run of the same round.

    python experiments/finance_large.py [--tier large] [--rounds 3]

Writes ``results/experiments/finance_large.md``: transactions per second of the processing phase
(every rule, check and event; durable stores committing every ``commit_batch`` operations), the
replay time, whether each agrees with the reference, and float's drift in cents. Then, for the
reference, how the time per transaction grows: by tier (more accounts and a longer history), and
along the run at the tier itself (the history alone), tenth by tenth.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal
from pathlib import Path
from statistics import median

from lab import tiers
from lab.finance import SYSTEM, prepare
from lab.finance.workload import Workload
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
    p.add_argument("--rounds", type=int, default=3, help="runs of each strategy, interleaved (default 3)")
    args = p.parse_args()
    workload = prepare(tiers.get(args.tier))
    n = len(workload.rows)
    compared = []
    for given in COMPARED:
        reason = SYSTEM.unavailable(SYSTEM.complete(given))
        if reason:
            print(f"{given}: skipped, {reason}")
        else:
            compared.append(given)
    # compared[0] is the reference ({}): it opens the first round, and its answer is the one
    # every run is checked against
    rates: list[list[float]] = [[] for _ in compared]
    replays: list[list[float]] = [[] for _ in compared]
    agrees = [True for _ in compared]
    drifts: list[dict | None] = [None for _ in compared]
    order, reference = list(range(len(compared))), None
    for r in range(args.rounds):
        shift = r % len(order)  # each round in another order: no strategy always first or last
        for i in order[shift:] + order[:shift]:
            outcome = run_once(SYSTEM, workload, SYSTEM.complete(compared[i]))
            reference = reference or outcome.answer
            rates[i].append(n / outcome.details["process_s"])
            replays[i].append(outcome.details["replay_s"])
            agrees[i] = agrees[i] and agree(outcome.answer, reference)
            drifts[i] = outcome.extras.get("drift")
            print(f"round {r + 1}: {compared[i] or 'reference'}: {rates[i][-1]:,.0f} transactions/s")
    ratios = [median([a / b for a, b in zip(mine, rates[0], strict=True)]) for mine in rates]
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# finance at {args.tier}: {n:,} transactions, {args.rounds} interleaved runs of each",
        "",
        "Medians of the runs (their range in brackets); `vs reference` is the median of each round's",
        "ratio to the reference's run in the same round.",
        "",
        "| strategy | transactions/s | vs reference | replay s | agrees | float drift (cents) |",
        "|---|---|---|---|---|---|",
    ]
    for i, given in enumerate(compared):
        name = (
            " ".join(f"{k}={v}" for k, v in given.items()) or "reference (decimal, memory, full, dict, row)"
        )
        drift = drifts[i]
        lines.append(
            f"| {name} | {median(rates[i]):,.0f} ({min(rates[i]):,.0f}-{max(rates[i]):,.0f})"
            f" | {ratios[i]:.2f}x"
            f" | {median(replays[i]):.2f} | {'yes' if agrees[i] else 'no'} | "
            + (f"{drift['max_account_cents']:.2g} max, {drift['total_cents']:.2g} total" if drift else "")
            + " |"
        )
    lines += ["", *growth(args.tier)]
    (OUT / f"finance_{args.tier}.md").write_text("\n".join(lines) + "\n")


def growth(top: str) -> list[str]:
    """The reference's time per transaction (processing only) by tier up to ``top``, and along
    the run at ``top`` (the batches' thread time, tenth by tenth of its history)."""
    choices = SYSTEM.complete({})
    names = list(tiers.TIERS)[: list(tiers.TIERS).index(top) + 1]
    out = [
        "## How the time per transaction grows (reference; processing only)",
        "",
        "By tier: the best of three runs (one at the top tier), in this process. Beside it, the floor",
        "the goals were set against: a bare loop over the same tier's transfers that parses each amount",
        "and moves it between two balances in a dict (Decimal; no rule, check, event or history).",
        "",
        "| tier | accounts | transactions | µs per transaction | bare transfer loop, µs | ratio |",
        "|---|---|---|---|---|---|",
    ]
    stamps: list[float] = []
    for name in names:
        tier = tiers.get(name)
        workload = prepare(tier)
        best = float("inf")
        for _ in range(1 if name == top else 3):
            stamps.clear()
            outcome = run_once(SYSTEM, workload, choices, check=lambda _: stamps.append(time.thread_time()))
            best = min(best, outcome.details["process_s"])
        n = len(workload.rows)
        bare = bare_transfers(workload)
        per = 1e6 * best / n
        out.append(f"| {name} | {tier.accounts:,} | {n:,} | {per:.2f} | {bare:.2f} | {per / bare:.1f}x |")
        print(out[-1])
    batch = SYSTEM.params["commit_batch"]
    tenth = max(1, len(stamps) // 10)
    out += [
        "",
        f"Along the run at {top}: CPU time of this thread per transaction, each tenth of the history "
        f"({tenth * batch:,} transactions).",
        "",
        "| transactions before | µs per transaction |",
        "|---|---|",
    ]
    for i in range(0, len(stamps) - tenth, tenth):
        out.append(f"| {i * batch:,} | {1e6 * (stamps[i + tenth] - stamps[i]) / (tenth * batch):.2f} |")
    return out


def bare_transfers(workload: Workload, runs: int = 3) -> float:
    """µs per transfer of the bare loop (best of ``runs``): parse the amount, move it between two
    balances in a dict; the floor that every rule, check and event is added to."""
    transfers = [(r[3], r[4], r[5]) for r in workload.rows if r[2] == "transfer"]
    best = float("inf")
    for _ in range(runs):
        balances = {a[0]: Decimal(a[4]) for a in workload.accounts}
        started = time.perf_counter()
        for source, target, text in transfers:
            amount = Decimal(text)
            balances[source] -= amount
            balances[target] += amount
        best = min(best, time.perf_counter() - started)
    return 1e6 * best / len(transfers)


if __name__ == "__main__":
    main()
