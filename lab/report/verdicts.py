"""Judging claims: records in, verdicts out. Nothing here runs a system or stores a verdict.

A claim *holds* when every bound it states holds on the latest records of its
strategies; it *fails* when any bound is broken; it is *untested* when a bound
has no measurement (the reason says which, or why it cannot be measured here);
it is *inconclusive* when a growth bound lies inside the fitted exponent's 95%
confidence interval (the measurement cannot tell).
The same judgement is made for every other strategy measured at the claim's
tier, which shows the strategies that break it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from lab.measure.growth import CONFIDENCE, fit_growth
from lab.report.claims import Claim
from lab.report.select import Record, complete, label, latest, matches
from lab.report.summary import human_bytes, human_seconds

__all__ = ["Check", "Verdict", "ClaimResult", "judge", "judge_all", "evaluate", "bounds"]

Status = Literal["holds", "fails", "untested", "inconclusive"]


@dataclass(frozen=True)
class Check:
    """One bound of a claim against its measurement (``holds`` is ``None`` when not measured, or
    when ``inconclusive``: measured, but the bound lies within the measurement's uncertainty)."""

    name: str
    bound: str
    measured: str
    holds: bool | None
    inconclusive: bool = False

    def text(self) -> str:
        return f"{self.name} {self.measured}, bound {self.bound}"


@dataclass(frozen=True)
class Verdict:
    """One strategy judged against a claim."""

    status: Status
    reason: str
    label: str
    median_s: float | None = None
    iqr_s: float | None = None
    per_item_s: float | None = None
    peak_bytes: int | None = None
    exponent: float | None = None
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class ClaimResult:
    """A claim's verdict for its own strategies, and the verdicts of the others measured at its tier."""

    claim: Claim
    verdict: Verdict
    others: tuple[Verdict, ...] = ()

    @property
    def breakers(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.others if v.status == "fails")

    @property
    def keepers(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.others if v.status == "holds")


def _bytes_bound(n: int) -> str:
    return f"<= {n / 1e6:g} MB"


def _seconds_bound(s: float) -> str:
    return f"<= {human_seconds(s)}"


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:.4g}"


def _growth_bound(claim: Claim) -> str:
    return f"{'heap' if claim.growth_of == 'memory' else 'time'} growth exponent <= {claim.growth_bound:g}"


def bounds(claim: Claim) -> list[str]:
    """The claim's bounds, as people read them: ``time <= 5.00 s``, ``peak heap <= 1 MB``..."""
    out = []
    if claim.time_bound_s is not None:
        what = "time" if claim.measure == "run" else "time per item"
        out.append(f"{what} {_seconds_bound(claim.time_bound_s)}")
    if claim.memory_bound_bytes is not None:
        out.append(f"peak heap {_bytes_bound(claim.memory_bound_bytes)}")
    if claim.growth_bound is not None:
        out.append(_growth_bound(claim))
    out += [f"{b.name} >= {_number(b.at_least)}" for b in claim.counts]
    return out


def evaluate(claim: Claim, records: Sequence[Record], name: str) -> Verdict:
    """Judge ``claim`` on ``records`` (all of one strategy, any tier); ``name`` labels the verdict."""
    here = [r for r in records if r["tier"] == claim.tier]
    timed, heaped = latest(here, "median_s"), latest(here, "peak_bytes")
    checks: list[Check] = []
    median = iqr = per_item = peak = exponent = None
    if timed is not None:
        median, iqr = timed["median_s"], timed["iqr_s"]
        per_item = median / timed["n"] if timed.get("n") else None
    if claim.time_bound_s is not None:
        value = median if claim.measure == "run" else per_item
        what = "time" if claim.measure == "run" else "time per item"
        checks.append(
            Check(
                what,
                _seconds_bound(claim.time_bound_s),
                human_seconds(value) if value is not None else "not measured",
                None if value is None else value <= claim.time_bound_s,
            )
        )
    if heaped is not None:
        peak = heaped["peak_bytes"]
    if claim.memory_bound_bytes is not None:
        checks.append(
            Check(
                "peak heap",
                _bytes_bound(claim.memory_bound_bytes),
                human_bytes(peak) if peak is not None else "not measured",
                None if peak is None else peak <= claim.memory_bound_bytes,
            )
        )
    if claim.growth_bound is not None:
        exponent, check = _growth(claim, records)
        checks.append(check)
    latest_any = latest(here)
    for bound in claim.counts:
        value = bound.value(latest_any.get("counts", {})) if latest_any else None
        checks.append(
            Check(
                bound.name,
                f">= {_number(bound.at_least)}",
                "not measured" if value is None else _number(value),
                None if value is None else value >= bound.at_least,
            )
        )
    status, reason = _status(claim, checks, bool(here))
    return Verdict(status, reason, name, median, iqr, per_item, peak, exponent, tuple(checks))


def _growth(claim: Claim, records: Sequence[Record]) -> tuple[float | None, Check]:
    field = "peak_bytes" if claim.growth_of == "memory" else "median_s"
    # a claim on the time per item fits that time (median / items), not the whole run's
    per_item = claim.growth_of == "time" and claim.measure == "item"
    points = []
    for tier in claim.growth_tiers:
        r = latest([r for r in records if r["tier"] == tier], field)
        if r is None or not r.get("n"):
            continue
        n = r["n"]
        # time: each timed repeat is a point, so three tiers give an interval narrower than t(1)'s
        costs = (r.get("samples") or [r[field]]) if field == "median_s" else [r[field]]
        points.extend((n, c / n if per_item else c) for c in costs)
    fit = fit_growth([n for n, _ in points], [c for _, c in points]) if points else None
    name = f"{'heap' if claim.growth_of == 'memory' else 'time'} growth"
    tiers = ", ".join(claim.growth_tiers)
    if fit is None:
        return None, Check(name, f"<= {claim.growth_bound:g}", f"needs 2+ of {tiers}", None)
    assert claim.growth_bound is not None
    bound = f"exponent <= {claim.growth_bound:g}"
    if fit.high is None or fit.low is None:
        measured = f"n^{fit.exponent:.2f} from {fit.points} tiers, no error estimate: needs 3+ of {tiers}"
        return fit.exponent, Check(name, bound, measured, None, inconclusive=True)
    if fit.high <= claim.growth_bound:
        return fit.exponent, Check(name, bound, fit.text(), True)
    if fit.low > claim.growth_bound:
        return fit.exponent, Check(name, bound, fit.text(), False)
    measured = f"{fit.text()}: the bound lies inside the {CONFIDENCE:.0%} interval"
    return fit.exponent, Check(name, bound, measured, None, inconclusive=True)


def _status(claim: Claim, checks: Sequence[Check], any_record: bool) -> tuple[Status, str]:
    if not checks:
        return "untested", "the claim states no bound"
    broken = [c for c in checks if c.holds is False]
    if broken:
        return "fails", "; ".join(c.text() for c in broken)
    missing = [c for c in checks if c.holds is None and not c.inconclusive]
    if missing:
        parts = [c.name + ("" if c.measured == "not measured" else f" ({c.measured})") for c in missing]
        where = "" if any_record else f" (no records at the {claim.tier} tier)"
        return "untested", "not measured: " + ", ".join(parts) + where
    unsure = [c for c in checks if c.inconclusive]
    if unsure:
        return "inconclusive", "; ".join(c.text() for c in unsure)
    return "holds", "; ".join(c.text() for c in checks)


def _strategy(record: Record) -> str:
    return json.dumps([record.get("choices", {}), record.get("params", {})], sort_keys=True)


def judge(
    claim: Claim,
    records: Sequence[Record],
    choices: Mapping[str, str] | None = None,
    untestable: str | None = None,
) -> ClaimResult:
    """Judge ``claim`` on ``records`` (any systems, tiers, times: the latest of each strategy count;
    runs stopped early, marked ``partial``, never do).

    ``choices`` are the claim's strategies completed by the system (default: the
    claim's own); ``untestable`` is a reason the claim cannot be measured here,
    which makes it untested whatever the records say.
    """
    target = dict(choices if choices is not None else claim.choices)
    name = label(target) or "(reference)"
    # Claims read the harness's own runs of a scenario, not load tests or interleaved workers.
    records = [r for r in complete(records) if r.get("source", "lab") == "lab"]
    if untestable:
        return ClaimResult(claim, Verdict("untested", untestable, name))
    mine = [r for r in records if matches(r, claim.system, None, target)]
    if not mine:
        where = f"{claim.system} at {claim.tier}" + (f" with {name}" if target else "")
        return ClaimResult(claim, Verdict("untested", f"no records of {where} (run lab verify)", name))
    own = {_strategy(r) for r in mine}
    at_tier = [r for r in records if matches(r, claim.system, claim.tier) and _strategy(r) not in own]
    groups: dict[str, list[Record]] = {}
    for r in at_tier:
        groups.setdefault(_strategy(r), [])
    for r in records:
        if r["system"] == claim.system and _strategy(r) in groups:
            groups[_strategy(r)].append(r)
    others = tuple(evaluate(claim, rs, _other_label(rs[0], at_tier)) for rs in groups.values())
    return ClaimResult(claim, evaluate(claim, mine, name), others)


def _other_label(record: Record, peers: Sequence[Record]) -> str:
    """The choices of ``record``, with its params when the same choices were run with others."""
    same = {
        json.dumps(r.get("params", {}), sort_keys=True) for r in peers if r["choices"] == record["choices"]
    }
    text = label(record.get("choices", {}))
    if len(same) > 1:
        text += " " + label({k: str(v) for k, v in record.get("params", {}).items()})
    return text


def judge_all(
    claims: Sequence[Claim],
    records: Sequence[Record],
    choices: Mapping[str, Mapping[str, str]] | None = None,
    untestable: Mapping[str, str] | None = None,
) -> list[ClaimResult]:
    """:func:`judge` each claim; ``choices`` and ``untestable`` are keyed by claim id."""
    choices, untestable = choices or {}, untestable or {}
    return [judge(c, records, choices.get(c.id), untestable.get(c.id)) for c in claims]
