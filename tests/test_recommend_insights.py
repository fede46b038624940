"""The recommend system's insights: the hidden generating model, segments, churn and LTV, A/B tests."""

from __future__ import annotations

import numpy as np
import pytest

from lab import harness, tiers
from lab.cli import main
from lab.errors import UsageError
from lab.recommend import SYSTEM, abtest, behaviour, churn, insights, segments
from lab.recommend.segments import THRESHOLDS as T

#: Users the model tests draw (the generator is cheap; no catalogue is needed).
USERS = 20_000


@pytest.fixture(scope="module")
def people():
    return behaviour.make_users(USERS, 0)


def test_the_generating_model_is_deterministic_and_neither_trivial_nor_hopeless(people):
    again = behaviour.make_users(USERS, 0)
    assert all(np.array_equal(people[k], again[k]) for k in people)
    assert not np.array_equal(people["churned"], behaviour.make_users(USERS, 1)["churned"])
    assert 0.80 <= behaviour.generating_auc(people) <= 0.95
    assert behaviour.features(people).shape == (USERS, len(behaviour.FEATURES))


def test_the_workload_holds_the_same_users():
    tiny = harness.workload_for(SYSTEM, tiers.get("tiny"), 0)
    people = behaviour.make_users(tiny.users, 0)
    for key in ("recency_days", "frequency", "churned", "future_spend"):
        assert np.array_equal(tiny.array(f"user_{key}"), people[key])


def test_expected_spend_is_the_mean_of_future_spend(people):
    stays = ~people["churned"]
    assert (people["future_spend"][people["churned"]] == 0).all()
    mean, expected = people["future_spend"].mean(), people["expected_spend"].mean()
    assert abs(mean - expected) / expected < 0.05
    assert stays.any()


def _one(recency: float, frequency: int, monetary: float) -> str:
    return segments.SEGMENTS[int(segments.segment([recency], [frequency], [monetary])[0])]


def test_segments_at_their_thresholds():
    vip_f, vip_m = T.vip_frequency, T.vip_monetary
    assert _one(T.dormant_days, vip_f, vip_m) == "DORMANT"
    assert _one(T.dormant_days - 0.01, vip_f, vip_m) == "AT_RISK"
    assert _one(T.at_risk_days, vip_f, vip_m) == "AT_RISK"
    assert _one(T.at_risk_days - 0.01, vip_f, vip_m) == "VIP"
    assert _one(0, vip_f - 1, vip_m) == "ACTIVE"
    assert _one(0, vip_f, vip_m - 0.01) == "ACTIVE"
    assert _one(0, 0, 0) == "DORMANT"  # never bought


def test_segment_counts_name_every_segment(people):
    codes = segments.segment(people["recency_days"], people["frequency"], people["monetary"])
    found = segments.counts(codes)
    assert list(found) == list(segments.SEGMENTS) and sum(found.values()) == USERS
    assert all(n > 0 for n in found.values())
    assert segments.counts(np.array([], dtype=np.int8)) == dict.fromkeys(segments.SEGMENTS, 0)
    churn = {name: people["churned"][codes == i].mean() for i, name in enumerate(segments.SEGMENTS)}
    assert churn["VIP"] < churn["ACTIVE"] < churn["AT_RISK"]


@pytest.fixture(scope="module")
def learnt(people):
    x, churned = behaviour.features(people), people["churned"]
    rows = churn.split(USERS, 0)
    online = churn.train_online(x[rows.train], churned[rows.train])
    return x, churned, rows, online


def test_the_split_is_deterministic_and_disjoint():
    a, b = churn.split(1000, 0), churn.split(1000, 0)
    assert np.array_equal(a.train, b.train) and np.array_equal(a.test, b.test)
    assert len(np.intersect1d(a.train, a.test)) == 0 and len(a.train) + len(a.test) == 1000
    assert len(a.test) == round(1000 * churn.HELD_OUT)


def test_online_churn_is_within_003_of_the_generating_model(people, learnt):
    x, churned, rows, online = learnt
    assert online.events == len(rows.train)
    best = behaviour.generating_auc(people, rows.test)
    assert abs(churn.auc(churned[rows.test], online.predict_proba(x[rows.test])) - best) <= 0.03


def test_online_churn_is_within_its_tolerance_of_a_batch_fit(learnt):
    x, churned, rows, online = learnt
    batch = churn.fit_batch(x[rows.train], churned[rows.train])
    held = churned[rows.test]
    gap = churn.auc(held, batch.predict_proba(x[rows.test])[:, 1]) - churn.auc(
        held, online.predict_proba(x[rows.test])
    )
    assert abs(gap) <= churn.ONLINE_TOLERANCE
    same = online.estimator().predict_proba(x[rows.test])[:, 1]
    assert np.allclose(same, online.predict_proba(x[rows.test]))


def test_the_top_features_are_the_true_drivers(learnt):
    x, churned, rows, online = learnt
    found = churn.importance(online.estimator(), x[rows.test], churned[rows.test])
    top = list(found)[: len(behaviour.DRIVERS)]
    assert set(top) == set(behaviour.DRIVERS)
    assert all(found[name] > 0.01 for name in top)
    assert all(abs(v) < 0.005 for name, v in found.items() if name not in behaviour.DRIVERS)


def test_ltv_is_near_the_spending_model(people, learnt):
    x, _, rows, _ = learnt
    spend = people["future_spend"]
    model = churn.fit_ltv(x[rows.train], spend[rows.train])
    errors = churn.ltv_errors(
        model.predict(x[rows.test]), people["expected_spend"][rows.test], spend[rows.test]
    )
    assert errors["mae"] <= 1.15 * errors["mae_truth"]
    baseline = float(np.mean(np.abs(spend[rows.train].mean() - spend[rows.test])))
    assert errors["mae"] < 0.8 * baseline


def test_assignment_is_stable_balanced_and_independent_between_experiments():
    users = np.arange(100_000)
    arms = abtest.assign(users, "new-ranker")
    assert np.array_equal(arms, abtest.assign(users, "new-ranker"))
    assert np.array_equal(abtest.assign([5, 70_000, 3], "new-ranker"), arms[[5, 70_000, 3]])
    assert abs(arms.mean() - 0.5) < 4 * np.sqrt(0.25 / len(users))
    other = abtest.assign(users, "new-banner")
    assert abs((arms == other).mean() - 0.5) < 4 * np.sqrt(0.25 / len(users))


def test_two_proportions_with_the_interval_of_the_lift():
    found = abtest.compare(100, 1000, 130, 1000)
    assert found.rate_a == 0.1 and found.rate_b == 0.13 and found.lift == pytest.approx(0.03)
    assert found.lift_ci[0] < found.lift < found.lift_ci[1]
    assert found.relative_lift == pytest.approx(0.3)
    assert found.relative_ci[0] < found.relative_lift < found.relative_ci[1]
    assert found.significant() == (found.lift_ci[0] > 0) and 0 < found.p_value < 0.05
    same = abtest.compare(100, 1000, 100, 1000)
    assert same.p_value == pytest.approx(1.0) and same.lift_ci[0] < 0 < same.lift_ci[1]
    with pytest.raises(UsageError, match="at least one user per arm"):
        abtest.compare(1, 0, 1, 10)
    with pytest.raises(UsageError, match="conversions <= users"):
        abtest.compare(11, 10, 1, 10)


def test_a_thousand_simulated_tests_hold_alpha_reach_power_and_peeking_inflates_alpha():
    design = abtest.DESIGN
    assert design.tests == 1000
    found = abtest.simulate(design, seed=0)
    assert found["users_per_arm"] == abtest.sample_size(design)
    assert 0.03 <= found["false_positive_rate"] <= 0.07
    assert found["power"] >= 0.8
    assert found["peeking_false_positive_rate"] > 2 * design.alpha
    with pytest.raises(UsageError, match="cannot be looked at"):
        abtest.simulate(design, users=5)


def test_insights_of_a_tier_are_a_command(capsys):
    assert main(["recommend-insights", "--tier", "small"]) == 0
    shown = capsys.readouterr().out
    for words in ("segments of 1,000 users", "churn on 300 held-out users", "permutation importance", "LTV"):
        assert words in shown
    assert "A/A test of retention" in shown and "peeking 10 times" in shown
    assert main(["recommend-insights", "--tier", "huge"]) == 1
    assert "streamed from a generator" in capsys.readouterr().err
    assert main(["recommend-insights", "--tier", "nope"]) == 1
    assert "unknown tier 'nope'" in capsys.readouterr().err


def test_insights_refuse_too_few_users():
    with pytest.raises(UsageError, match="too few"):
        insights.insights(3)
    found = insights.insights(2000)
    assert sum(s["users"] for s in found["segments"].values()) == 2000
    assert found["churn"]["train_events"] + found["churn"]["held_out"] == 2000
