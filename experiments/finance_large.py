"""The finance closing-note figures: runs at a tier (default ``large``) of each strategy that
the note compares, in one process, interleaved round by round (each round in another order);
medians, and each strategy's ratio to the reference's run of the same round.

    python experiments/finance_large.py [--tier large] [--rounds 3]

Writes ``results/experiments/finance_large.md``: transactions per second of the processing phase
(every rule, check and event; durable stores committing every ``commit_batch`` operations), the
replay time, whether each agrees with the reference, and float's drift in cents. Then the goals
against the floor ladder (the least an interpreted ledger keeping the same state costs, step by
step; plotted in ``finance_floor_<tier>.png``), and, for the reference, how the time per
transaction grows: by tier (more accounts and a longer history), and along the run at the tier
itself (the history alone), tenth by tenth.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path
from statistics import median

from repeats import paired_ratio, spread

from lab import tiers
from lab.analytics.stats import Moments
from lab.finance import SYSTEM, prepare
from lab.finance.compliance import VELOCITY_MAX
from lab.finance.ledger import Ledger
from lab.finance.money import DECIMAL, INT, Money
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
    ratios = [paired_ratio(mine, rates[0]) for mine in rates]
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
            f"| {name} | {spread(rates[i])}"
            f" | {ratios[i]:.2f}x"
            f" | {median(replays[i]):.2f} | {'yes' if agrees[i] else 'no'} | "
            + (f"{drift['max_account_cents']:.2g} max, {drift['total_cents']:.2g} total" if drift else "")
            + " |"
        )
    ladders = {money.name: floor_ladder(workload, money) for money in (DECIMAL, INT)}
    ledger_us = {"decimal": 1e6 / median(rates[0])}
    if {"money": "int"} in compared:
        ledger_us["int"] = 1e6 / median(rates[compared.index({"money": "int"})])
    lines += ["", *against_goals(args.tier, ladders, ledger_us), "", *growth(args.tier, ladders["decimal"])]
    (OUT / f"finance_{args.tier}.md").write_text("\n".join(lines) + "\n")
    plot_ladders(args.tier, ladders, ledger_us)


#: The issue's goals in memory, transactions per second, with every rule, check and event on.
GOALS = {"decimal": 200_000, "int": 300_000}


def against_goals(tier: str, ladders: dict[str, list[float]], ledger_us: dict[str, float]) -> list[str]:
    """The goals as µs per transaction, beside the floor ladder's top step and the ledger."""
    out = [
        f"## The goals against the floor ({tier}, in memory)",
        "",
        "A goal is met only if the whole ledger runs within its time per transaction; the floor ladder's",
        "last step (`floor_ladder`: balances, Welford, velocity window, event, registry; no check and no",
        "rule) is the least that any interpreted ledger keeping that state costs here.",
        "",
        "| money | goal, transactions/s | goal, µs | floor, µs | ledger, µs (median) | goal / floor |",
        "|---|---|---|---|---|---|",
    ]
    for name, goal in GOALS.items():
        floor, ledger = ladders[name][-1], ledger_us.get(name)
        out.append(
            f"| {name} | {goal:,} | {1e6 / goal:.2f} | {floor:.2f} | "
            + (f"{ledger:.2f}" if ledger else "not run")
            + f" | {1e6 / goal / floor:.2f} |"
        )
    return out


def plot_ladders(tier: str, ladders: dict[str, list[float]], ledger_us: dict[str, float]) -> None:
    """``finance_floor_<tier>.png``: each money's ladder and ledger, the goals as dashed lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    labels = [*FLOOR, "whole ledger"]
    width = 0.4
    for k, (name, ladder) in enumerate(ladders.items()):
        xs = [i + (k - 0.5) * width for i in range(len(labels))]
        bars = ax.bar(xs, [*ladder, ledger_us.get(name, 0.0)], width, label=f"{name} money", color=f"C{k}")
        line = ax.axhline(1e6 / GOALS[name], color=f"C{k}", linestyle="--", linewidth=1)
        line.set_label(f"{name} goal ({GOALS[name]:,}/s)")
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.set_ylabel("µs per transaction")
    ax.set_title(f"finance at {tier}: the floor of an interpreted ledger, step by step, and the goals")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / f"finance_floor_{tier}.png", dpi=100)


def growth(top: str, top_ladder: list[float]) -> list[str]:
    """The reference's time per transaction (processing only) by tier up to ``top``, beside the
    floor ladder of the same tier, and along the run at ``top`` (the batches' thread time, tenth
    by tenth of its history)."""
    choices = SYSTEM.complete({})
    names = list(tiers.TIERS)[: list(tiers.TIERS).index(top) + 1]
    out = [
        "## How the time per transaction grows (reference; processing only)",
        "",
        "By tier: the best of three runs (one at the top tier), in this process. Beside it, the floor",
        "ladder over the same tier's deposits, withdrawals and transfers (Decimal; `floor_ladder`): the",
        "bare loop the goals were set against (parse the amount, move it between balances in a dict),",
        "then each piece of state every transaction must keep, added one at a time; no check, no rule.",
        "",
        "| tier | accounts | transactions | µs per transaction | "
        + " | ".join(f"{step}, µs" for step in FLOOR)
        + " | ledger / floor |",
        "|---|---|---|---|" + "---|" * len(FLOOR) + "---|",
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
        per = 1e6 * best / len(workload.rows)
        ladder = top_ladder if name == top else floor_ladder(workload, DECIMAL)
        out.append(
            f"| {name} | {tier.accounts:,} | {len(workload.rows):,} | {per:.2f} | "
            + " | ".join(f"{x:.2f}" for x in ladder)
            + f" | {per / ladder[-1]:.1f}x |"
        )
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


#: The floor ladder's steps: each keeps what the one before it keeps, and one thing more.
FLOOR = (
    "bare loop",
    "+ account objects",
    "+ Welford",
    "+ velocity window",
    "+ event in the log",
    "+ registry",
)


class _Account:
    """An account in the floor ladder: its balance, Welford's moments, its recent start times."""

    __slots__ = ("balance", "moments", "recent")

    def __init__(self, balance: object) -> None:
        self.balance, self.moments, self.recent = balance, Moments(), []


def floor_ladder(workload: Workload, money: Money, runs: int = 2) -> list[float]:
    """µs per operation (best of ``runs``) of each step of :data:`FLOOR`, over the workload's
    deposits, withdrawals and transfers that pass the ledger's stateless checks (:meth:`Ledger.check`):
    the least an interpreted ledger that keeps this state can cost, before any check or rule."""
    ledger = Ledger(money)  # its own stateless checks pick the operations
    for account in workload.accounts:
        ledger.open(*account)
    ops = [r for r in workload.rows if r[2] != "reverse" and ledger.check(r)[0] is None]
    out = []
    for level in range(len(FLOOR)):
        best = float("inf")
        for _ in range(runs):
            gc.collect()
            best = min(best, _floor_pass(workload, ops, money, level))
        out.append(1e6 * best / len(ops))
    return out


def _floor_pass(workload: Workload, ops: list[tuple[str, ...]], money: Money, level: int) -> float:
    """Seconds of one pass of the ladder's step ``level`` (0: the bare loop)."""
    convert, to_float, limit = money.convert, money.to_float, VELOCITY_MAX
    if level == 0:
        balances = {a[0]: convert(a[4]) for a in workload.accounts}
        started = time.perf_counter()
        for _, _, kind, source, target, text, _, _, _ in ops:
            amount = convert(text)
            if kind == "deposit":
                balances[source] += amount
            else:
                balances[source] -= amount
                if kind == "transfer":
                    balances[target] += amount
        return time.perf_counter() - started
    welford, velocity, events, registry = (level >= k for k in range(2, 6))
    accounts = {a[0]: _Account(convert(a[4])) for a in workload.accounts}
    log: list[tuple] = []
    moves: dict[str, tuple] = {}
    started = time.perf_counter()
    for txn, stamp, kind, source, target, text, _, _, _ in ops:
        amount = convert(text)
        st = accounts[source]
        if kind == "deposit":
            st.balance += amount
        else:
            st.balance -= amount
            if kind == "transfer":
                accounts[target].balance += amount
        if welford:
            st.moments.update(to_float(amount))
        if velocity:
            ts = int(stamp)
            recent = st.recent
            recent.append(ts)
            if len(recent) > limit:
                del recent[0]
        if events:
            log.append((kind, txn, ts, source, target, amount, ""))
        if registry:
            moves[txn] = (kind, source, target, amount)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
