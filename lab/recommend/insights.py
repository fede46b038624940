"""``lab recommend-insights``: a tier's users seen by a recommendation team: segments, churn
learnt online against the generating model, the features that drive it, LTV error, and A/B tests.

The users are the tier's own (the generator and seed of its workload); no catalogue is needed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from lab import tiers
from lab.errors import UsageError
from lab.recommend import abtest, behaviour, churn, segments

__all__ = ["EXPERIMENT", "insights", "render", "main"]

#: The name the A/A test hashes users under.
EXPERIMENT = "aa-retention"
#: Features named in the summary.
TOP = 3


def insights(users: int, seed: int = 0, design: abtest.Design = abtest.DESIGN) -> dict[str, Any]:
    """Everything the command prints, for ``users`` users drawn with ``seed`` (on one thread, as
    :func:`lab.recommend.churn.fit_ltv` explains)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _insights(users, seed, design)


def _insights(users: int, seed: int, design: abtest.Design) -> dict[str, Any]:
    people = behaviour.make_users(users, seed)
    x, churned = behaviour.features(people), people["churned"]
    rows = churn.split(users, seed)
    if min(np.bincount(churned[rows.test].astype(np.int8), minlength=2)) == 0:
        raise UsageError(f"{users} users are too few: the held-out users must include churners and others")
    codes = segments.segment(people["recency_days"], people["frequency"], people["monetary"])
    online = churn.train_online(x[rows.train], churned[rows.train], seed)
    batch = churn.fit_batch(x[rows.train], churned[rows.train])
    held = churned[rows.test]
    ltv = churn.fit_ltv(x[rows.train], people["future_spend"][rows.train], seed)
    spend = people["future_spend"][rows.test]
    arms = abtest.assign(range(users), EXPERIMENT)
    stays = ~churned
    aa = abtest.compare(
        int(stays[arms == 0].sum()),
        int((arms == 0).sum()),
        int(stays[arms == 1].sum()),
        int((arms == 1).sum()),
    )
    return {
        "users": users,
        "segments": {
            name: {
                "users": int((codes == i).sum()),
                "churn_rate": float(churned[codes == i].mean()) if (codes == i).any() else float("nan"),
                "mean_spend": float(people["future_spend"][codes == i].mean()) if (codes == i).any() else 0.0,
            }
            for i, name in enumerate(segments.SEGMENTS)
        },
        "churn": {
            "train_events": int(online.events),
            "held_out": len(rows.test),
            "generating_auc": behaviour.generating_auc(people, rows.test),
            "online_auc": churn.auc(held, online.predict_proba(x[rows.test])),
            "batch_auc": churn.auc(held, batch.predict_proba(x[rows.test])[:, 1]),
        },
        "importance": churn.importance(online.estimator(), x[rows.test], held, seed),
        "drivers": list(behaviour.DRIVERS),
        "ltv": churn.ltv_errors(ltv.predict(x[rows.test]), people["expected_spend"][rows.test], spend),
        "aa": {"share_b": float(arms.mean()), "result": aa},
        "simulation": {**abtest.simulate(design, seed), "design": design},
    }


def render(found: dict[str, Any]) -> list[Any]:
    """Rich tables and lines of :func:`insights`."""
    from rich.table import Table

    seg = Table(title=f"segments of {found['users']:,} users")
    for col in ("segment", "users", "share", "churned", "mean spend next 90 days"):
        seg.add_column(col)
    for name, s in found["segments"].items():
        share = s["users"] / found["users"]
        seg.add_row(
            name, f"{s['users']:,}", f"{share:.1%}", f"{s['churn_rate']:.1%}", f"{s['mean_spend']:.2f}"
        )
    c = found["churn"]
    model = Table(title=f"churn on {c['held_out']:,} held-out users (AUC)")
    for col in (
        "generating model",
        "online (partial_fit)",
        "batch fit",
        "online - generating",
        "online - batch",
    ):
        model.add_column(col)
    model.add_row(
        f"{c['generating_auc']:.4f}",
        f"{c['online_auc']:.4f}",
        f"{c['batch_auc']:.4f}",
        f"{c['online_auc'] - c['generating_auc']:+.4f}",
        f"{c['online_auc'] - c['batch_auc']:+.4f}",
    )
    imp = Table(title="permutation importance (drop in AUC when shuffled)")
    for col in ("feature", "importance", "true driver"):
        imp.add_column(col)
    for name, value in found["importance"].items():
        imp.add_row(name, f"{value:.4f}", "yes" if name in found["drivers"] else "")
    ltv, aa, sim = found["ltv"], found["aa"], found["simulation"]
    r, d = aa["result"], sim["design"]
    return [
        seg,
        model,
        imp,
        f"top {TOP} features: {', '.join(list(found['importance'])[:TOP])} "
        f"(true drivers: {', '.join(found['drivers'])})",
        f"LTV (next 90 days): MAE {ltv['mae']:.2f} against spend (the spending model's own: "
        f"{ltv['mae_truth']:.2f}); MAE {ltv['mae_vs_expected']:.2f} against its expectation "
        f"(mean {ltv['mean_expected']:.2f})",
        f"A/A test of retention by hash arm ({EXPERIMENT!r}): B holds {aa['share_b']:.1%} of users; "
        f"A {r.rate_a:.2%}, B {r.rate_b:.2%}",
        f"  lift {r.lift:+.2%} (95% CI {r.lift_ci[0]:+.2%} .. {r.lift_ci[1]:+.2%}), p = {r.p_value:.3f}",
        f"{d.tests:,} simulated A/B tests, {sim['users_per_arm']:,.0f} users per arm, base {d.base:.0%}, "
        f"lift {d.lift:+.0%} sized for power {d.power:.0%} at alpha {d.alpha}:",
        f"  no true effect: false-positive rate {sim['false_positive_rate']:.3f}; "
        f"the designed lift: power {sim['power']:.3f}",
        f"  peeking {d.looks} times, stopping at the first p < {d.alpha}: "
        f"false-positive rate {sim['peeking_false_positive_rate']:.3f}",
    ]


def main(argv: Sequence[str], prog: str = "lab recommend-insights") -> int:
    """Parse ``argv``, compute the insights of a tier's users and print them."""
    from lab.cli.common import out
    from lab.recommend import SYSTEM

    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="small", help="whose users (default small)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    tier = tiers.get(args.tier)
    reason = SYSTEM.refuses(tier)
    if reason:
        raise UsageError(reason)
    for line in render(insights(tier.users, args.seed)):
        out.print(line)
    return 0
