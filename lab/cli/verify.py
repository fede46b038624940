"""``lab verify``: measure the course's claims, judge them, and write ``results/claims.md``.

Each claim's strategies are measured at its tier (and across its growth tiers),
then the other strategies of the claim's axes, to show which break it. The
records are stored like any run's; :mod:`lab.report.verdicts` judges them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from lab import harness, tiers
from lab.cli.common import err, out, progress_bar
from lab.errors import LabError, UsageError
from lab.measure import load_records
from lab.paths import results_dir
from lab.report.claims import CLAIMS, Claim, get_claim
from lab.report.model import provenance
from lab.report.publish import write_claims
from lab.report.render import CLAIM_COLUMNS, claim_cells, others_text
from lab.report.select import matches
from lab.report.verdicts import ClaimResult, judge_all
from lab.strategies import System, label
from lab.systems import REGISTRY

__all__ = ["add_parser", "resolve", "claim_setup", "print_claims", "completed"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="measure the course's claims and say which hold")
    p.add_argument("--claim", action="append", default=[], metavar="ID", help="only this claim (repeatable)")
    p.add_argument(
        "--tiers",
        help="measure only at these tiers (comma-separated); claims elsewhere are judged on stored records",
    )
    p.add_argument("--quick", action="store_true", help="only the claimed strategies, 3 repeats, no warm-up")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_verify)


def completed(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``records`` with each combination completed by its system as it is now, in axis order:
    a record made before an axis existed counts as that axis's reference (records of unknown
    systems or strategies are kept as they are)."""
    cache: dict[tuple[str, str], dict[str, str] | None] = {}
    out = []
    for r in records:
        system = REGISTRY.get(r["system"])
        key = (r["system"], json.dumps(r.get("choices", {}), sort_keys=True))
        if system is not None and key not in cache:
            try:
                cache[key] = system.complete(r.get("choices", {}))
            except UsageError:
                cache[key] = None
        choices = cache.get(key)
        out.append(r if choices is None else {**r, "choices": choices})
    return out


def resolve(claim: Claim) -> tuple[System | None, dict[str, str] | None, str | None]:
    """The claim's system and completed choices, or the reason it cannot be measured here."""
    system = REGISTRY.get(claim.system)
    if system is None:
        return None, None, f"system {claim.system!r} is not built yet"
    try:
        choices = system.complete(claim.choices)
        tiers.get(claim.tier)
    except UsageError as exc:
        return system, None, str(exc)
    reason = system.unavailable(choices)
    return system, choices, f"cannot run here: {reason}" if reason else None


def claim_setup(
    claims: Sequence[Claim], records: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """For :func:`lab.report.verdicts.judge_all`: each claim's completed choices, and why any
    cannot be measured here (from the registry; for an opt-in tier never measured, why not)."""
    choices, reasons = {}, {}
    for claim in claims:
        system, chosen, reason = resolve(claim)
        if chosen is not None:
            choices[claim.id] = chosen
        if reason is None and system is not None and chosen is not None:
            tier = tiers.get(claim.tier)
            if tier.opt_in and not any(matches(r, system.name, tier.name, chosen) for r in records):
                reason = _opt_in_reason(system, tier, claim)
        if reason:
            reasons[claim.id] = reason
    return choices, reasons


@dataclass
class Plan:
    """What to measure: (system, tier) -> the combinations, and the claims each tier's workload serves."""

    jobs: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    mains: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def add(self, system: str, tier: str, choices: Mapping[str, str], claim: str | None = None) -> None:
        combos = self.jobs.setdefault((system, tier), [])
        if dict(choices) not in combos:
            combos.append(dict(choices))
        if claim is not None:
            self.mains.setdefault((system, tier), []).append(claim)

    def size(self) -> int:
        return sum(len(c) for c in self.jobs.values())


def _plan(claims: Sequence[Claim], allowed: set[str] | None, named: bool, quick: bool) -> Plan:
    plan = Plan()
    for claim in claims:
        system, choices, reason = resolve(claim)
        if reason or system is None or choices is None:
            plan.reasons[claim.id] = reason or "cannot be resolved"
            continue
        for tier_name in claim.tiers():
            tier = tiers.get(tier_name)
            chosen_tier = allowed is not None and tier_name in allowed
            if allowed is not None and not chosen_tier:
                continue
            if tier.opt_in and not (chosen_tier or (named and tier_name == claim.tier)):
                continue
            plan.add(system.name, tier_name, choices, claim.id if tier_name == claim.tier else None)
            if quick:
                continue
            for axis in claim.axes:
                for combo in system.combinations(axis):
                    if system.unavailable(combo) is None:
                        plan.add(system.name, tier_name, combo)
    return plan


def _opt_in_reason(system: System, tier: tiers.Tier, claim: Claim) -> str:
    """Why an opt-in tier was not measured: the system cannot run it, or nobody asked."""
    if not tier.stored:
        try:
            harness.workload_for(system, tier)
        except UsageError as exc:
            return str(exc)
    return (
        f"the {tier.name} tier ({tier.rows:,} rows, hours to measure) is opt-in: "
        f"lab verify --claim {claim.id}"
    )


def _runs(tier: tiers.Tier, repeat: int, warmup: int) -> tuple[int, int]:
    """Repeats and warm-ups at ``tier``: one pass over a streamed tier is enough."""
    return (repeat, warmup) if tier.stored else (1, 0)


def _measure(plan: Plan, seed: int, repeat: int, warmup: int) -> int:
    """Run the plan; a tier a system cannot prepare makes its claims untested. Returns runs done."""
    order = list(tiers.TIERS)
    jobs = sorted(plan.jobs.items(), key=lambda job: order.index(job[0][1]))
    steps = {t: sum(_runs(tiers.get(t), repeat, warmup)) + 1 for (_, t) in plan.jobs}
    done = 0
    with progress_bar() as progress:
        total = progress.add_task("verify", total=sum(steps[t] * len(c) for (_, t), c in jobs))
        for (name, tier_name), combos in jobs:
            system, tier = REGISTRY[name], tiers.get(tier_name)
            try:
                workload = harness.workload_for(system, tier, seed)
            except LabError as exc:
                for claim in plan.mains.get((name, tier_name), []):
                    plan.reasons[claim] = str(exc)
                progress.advance(total, steps[tier_name] * len(combos))
                continue
            runs, warms = _runs(tier, repeat, warmup)
            for choices in combos:
                progress.update(total, description=f"{tier_name}: {label(choices)}")
                try:
                    harness.measure_run(
                        system,
                        workload,
                        tier_name,
                        choices,
                        repeat=runs,
                        warmup=warms,
                        memory=True,
                        on_step=lambda phase: progress.advance(total),
                    )
                    done += 1
                except LabError as exc:
                    err.print(f"[yellow]{name} {tier_name} {label(choices)} failed[/]: {exc}")
    return done


def print_claims(results: Sequence[ClaimResult], title: str) -> None:
    """The claims as a table, then which strategies break each."""
    table = Table(title=title, show_lines=True)
    for col in CLAIM_COLUMNS:
        table.add_column(col, overflow="fold")
    colour = {"holds": "green", "fails": "red", "untested": "yellow"}
    for r in results:
        row = claim_cells(r)
        row[-1] = f"[{colour[r.verdict.status]}]{row[-1]}[/]"
        table.add_row(*row)
    out.print(table)
    for r in results:
        out.print(f"[bold]{r.claim.id}[/]: {others_text(r)}")


def _command(args: argparse.Namespace) -> str:
    text = "lab verify" + "".join(f" --claim {c}" for c in args.claim)
    text += f" --tiers {args.tiers}" if args.tiers else ""
    return text + (" --quick" if args.quick else "")


def cmd_verify(args: argparse.Namespace) -> int:
    chosen = [get_claim(c) for c in args.claim] if args.claim else list(CLAIMS)
    allowed = {t.name for t in tiers.parse_tiers(args.tiers)} if args.tiers else None
    repeat, warmup = (3, 0) if args.quick else (args.repeat, args.warmup)
    plan = _plan(chosen, allowed, bool(args.claim), args.quick)
    runs = _measure(plan, args.seed, repeat, warmup)
    records = completed(load_records())
    choices, reasons = claim_setup(CLAIMS, records)
    reasons.update(plan.reasons)
    results = judge_all(CLAIMS, records, choices, reasons)
    ids = {c.id for c in chosen}
    shown = [r for r in results if r.claim.id in ids]
    print_claims(shown, f"the course's claims, measured ({runs} runs now; verdicts from the latest records)")
    path = write_claims(results, provenance(records), results_dir(), _command(args))
    out.print(f"claims written to {path}")
    return 0
