"""The recommend system's insights: the hidden generating model, segments, churn and LTV, A/B tests."""

from __future__ import annotations

import numpy as np
import pytest

from lab import harness, tiers
from lab.recommend import SYSTEM, behaviour, segments
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
