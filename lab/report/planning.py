"""Planning verification: which runs each claim needs, and why a claim cannot be measured here.

The claims are data (:mod:`lab.report.claims`); this module reads them against the
registry. It runs nothing: ``lab verify`` measures the plan through the harness and
hands the records to :mod:`lab.report.verdicts`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lab import tiers
from lab.errors import UsageError
from lab.report.claims import Claim
from lab.report.select import Record, matches
from lab.strategies import REGISTRY, System
from lab.systems import discover

__all__ = ["Plan", "completed", "resolve", "claim_setup", "plan_claims", "opt_in_reason"]


def completed(records: Sequence[Record]) -> list[Record]:
    """``records`` with each combination completed by its system as it is now, in axis order:
    a record made before an axis existed counts as that axis's reference (records of unknown
    systems or strategies are kept as they are)."""
    discover()
    cache: dict[tuple[str, str], dict[str, str] | None] = {}
    out: list[Record] = []
    for r in records:
        system = REGISTRY.get(r["system"])
        key = (r["system"], json.dumps(r.get("choices", {}), sort_keys=True))
        if system is not None and key not in cache:
            try:
                cache[key] = system.complete(r.get("choices", {}))
            except UsageError:
                cache[key] = None
        choices = cache.get(key)
        if choices is None or choices == r.get("choices"):
            out.append(r)
        elif dataclasses.is_dataclass(r):
            out.append(dataclasses.replace(r, choices=choices))  # type: ignore[type-var]
        else:
            out.append({**r, "choices": choices})
    return out


def resolve(claim: Claim) -> tuple[System | None, dict[str, str] | None, str | None]:
    """The claim's system and completed choices, or the reason it cannot be measured here."""
    discover()
    system = REGISTRY.get(claim.system)
    if system is None:
        return None, None, f"system {claim.system!r} is not built yet"
    try:
        choices = system.complete(claim.choices)
        tier = tiers.get(claim.tier)
    except UsageError as exc:
        return system, None, str(exc)
    reason = system.unavailable(choices) or system.refuses(tier)
    return system, choices, f"cannot run here: {reason}" if reason else None


def opt_in_reason(tier: tiers.Tier, claim: Claim) -> str:
    """Why an opt-in tier was not measured: nobody asked for it."""
    return (
        f"the {tier.name} tier ({tier.rows:,} rows, hours to measure) is opt-in: "
        f"lab verify --claim {claim.id}"
    )


def claim_setup(
    claims: Sequence[Claim], records: Sequence[Record]
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
                reason = opt_in_reason(tier, claim)
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

    def ordered(self) -> list[tuple[tuple[str, str], list[dict[str, str]]]]:
        """The jobs, smallest tier first."""
        order = list(tiers.TIERS)
        return sorted(self.jobs.items(), key=lambda job: order.index(job[0][1]))


def plan_claims(claims: Sequence[Claim], allowed: set[str] | None, named: bool, quick: bool) -> Plan:
    """The runs that ``claims`` need: each claim's strategies at its tier and growth tiers (only
    ``allowed`` tiers, when given; opt-in tiers only when ``named`` or allowed), and, unless
    ``quick``, the other strategies of the claim's axes there, to show which break it."""
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
