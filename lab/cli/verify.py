"""``lab verify``: measure the course's claims, judge them, and write ``results/claims.md``.

Each claim's strategies are measured at its tier (and across its growth tiers),
then the other strategies of the claim's axes, to show which break it. The
records are stored like any run's; :mod:`lab.report.verdicts` judges them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rich.table import Table

from lab import harness, tiers
from lab.cli.common import add_record_options, err, out, progress_bar, records_for_report
from lab.errors import LabError
from lab.measure import new_run_id
from lab.paths import results_dir
from lab.report.claims import CLAIMS, get_claim
from lab.report.model import provenance
from lab.report.planning import Plan, claim_setup, plan_claims
from lab.report.publish import write_claims
from lab.report.render import CLAIM_COLUMNS, claim_cells, others_text
from lab.report.verdicts import ClaimResult, judge_all
from lab.strategies import label
from lab.systems import get_system

__all__ = ["add_parser", "print_claims"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="measure the course's claims and say which hold")
    p.add_argument("--claim", action="append", default=[], metavar="ID", help="only this claim (repeatable)")
    p.add_argument("--systems", help="only the claims of these systems (comma-separated)")
    p.add_argument(
        "--tiers",
        help="measure only at these tiers (comma-separated); claims elsewhere are judged on stored records",
    )
    p.add_argument("--quick", action="store_true", help="only the claimed strategies, 3 repeats, no warm-up")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    add_record_options(p)
    p.set_defaults(func=cmd_verify)


def _runs(tier: tiers.Tier, repeat: int, warmup: int) -> tuple[int, int]:
    """Repeats and warm-ups at ``tier``: one pass over a streamed tier is enough."""
    return (repeat, warmup) if tier.stored else (1, 0)


def _timed(plan: Plan, system: str, tier: tiers.Tier) -> bool:
    """Whether to time the runs of ``system`` at ``tier``: always at a stored tier; over a stream
    (a billion rows) only when a claim measured there bounds time, else the heap run alone."""
    known = {c.id: c for c in CLAIMS}
    claims = [known[c] for c in plan.mains.get((system, tier.name), []) if c in known]
    return tier.stored or not claims or any(c.time_bound_s is not None for c in claims)


def _steps(plan: Plan, system: str, tier: tiers.Tier, repeat: int, warmup: int) -> int:
    return (sum(_runs(tier, repeat, warmup)) if _timed(plan, system, tier) else 0) + 1


def _measure(plan: Plan, seed: int, repeat: int, warmup: int) -> int:
    """Run the plan; a tier a system cannot prepare makes its claims untested. Returns runs done."""
    jobs = plan.ordered()
    run_id = new_run_id()
    steps = {job: _steps(plan, job[0], tiers.get(job[1]), repeat, warmup) for job in plan.jobs}
    done = 0
    with progress_bar() as progress:
        total = progress.add_task("verify", total=sum(steps[job] * len(c) for job, c in jobs))
        for (name, tier_name), combos in jobs:
            system, tier = get_system(name), tiers.get(tier_name)
            try:
                workload = harness.workload_for(system, tier, seed)
            except LabError as exc:
                for claim in plan.mains.get((name, tier_name), []):
                    plan.reasons[claim] = str(exc)
                progress.advance(total, steps[(name, tier_name)] * len(combos))
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
                        run_id=run_id,
                        timed=_timed(plan, name, tier),
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
    colour = {"holds": "green", "fails": "red", "untested": "yellow", "inconclusive": "yellow"}
    for r in results:
        row = claim_cells(r)
        row[-1] = f"[{colour[r.verdict.status]}]{row[-1]}[/]"
        table.add_row(*row)
    out.print(table)
    for r in results:
        out.print(f"[bold]{r.claim.id}[/]: {others_text(r)}")


def _command(args: argparse.Namespace) -> str:
    text = "lab verify" + "".join(f" --claim {c}" for c in args.claim)
    text += f" --systems {args.systems}" if args.systems else ""
    text += f" --tiers {args.tiers}" if args.tiers else ""
    return text + (" --quick" if args.quick else "")


def cmd_verify(args: argparse.Namespace) -> int:
    chosen = [get_claim(c) for c in args.claim] if args.claim else list(CLAIMS)
    if args.systems:
        names = {get_system(n.strip()).name for n in args.systems.split(",") if n.strip()}
        chosen = [c for c in chosen if c.system in names]
    allowed = {t.name for t in tiers.parse_tiers(args.tiers)} if args.tiers else None
    repeat, warmup = (3, 0) if args.quick else (args.repeat, args.warmup)
    plan = plan_claims(chosen, allowed, bool(args.claim), args.quick)
    runs = _measure(plan, args.seed, repeat, warmup)
    records = records_for_report(args)
    choices, reasons = claim_setup(CLAIMS, records)
    reasons.update(plan.reasons)
    results = judge_all(CLAIMS, records, choices, reasons)
    ids = {c.id for c in chosen}
    shown = [r for r in results if r.claim.id in ids]
    print_claims(shown, f"the course's claims, measured ({runs} runs now; verdicts from the latest records)")
    path = write_claims(results, provenance(records), results_dir(), _command(args))
    out.print(f"claims written to {path}")
    return 0
