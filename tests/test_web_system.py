"""The web system through the harness: every strategy of every axis gives the reference's answer,
reset clears state, tiers map to route tables."""

from __future__ import annotations

import pytest

from lab import harness, tiers
from lab.errors import UsageError
from lab.outcome import agree
from lab.scenario import Scenario, run_once
from lab.web import SYSTEM
from lab.web.workload import ROUTES

COMBINATIONS = SYSTEM.one_at_a_time()


@pytest.fixture(scope="module")
def workload():
    return harness.workload_for(SYSTEM, tiers.get("tiny"))


@pytest.fixture(scope="module")
def reference(workload):
    return run_once(SYSTEM, workload, SYSTEM.reference())


def test_reference_answer_has_every_kind_of_status(reference):
    assert reference.n == 1000
    assert set(reference.answer["status"]) == {"200", "404", "405"}
    assert reference.counts["limited"] == 0


@pytest.mark.parametrize("choices", COMBINATIONS, ids=lambda c: "-".join(c.values()))
def test_every_strategy_agrees_with_the_reference(workload, reference, choices, service):
    if choices.get("ratelimit") == "redis":
        service("redis")
    outcome = run_once(SYSTEM, workload, choices)
    assert agree(outcome.answer, reference.answer), choices
    assert outcome.fingerprint == reference.fingerprint


def test_repeats_after_reset_give_the_same_answer(workload):
    with Scenario(SYSTEM, workload, SYSTEM.reference()) as scenario:
        first = scenario()
        scenario.reset()
        assert scenario.state.app.cache == {}
        assert scenario().answer == first.answer


def test_requests_parameter_replays_the_pool(workload):
    outcome = run_once(SYSTEM, workload, SYSTEM.reference(), {"requests": 2500})
    assert outcome.n == sum(outcome.answer["status"].values()) == 2500


def test_tiers_map_to_route_tables():
    assert [harness.workload_for(SYSTEM, tiers.get(n)).routes for n in ("tiny", "small")] == [10, 100]
    assert ROUTES["large"] == 10_000
    with pytest.raises(UsageError, match="10,000 routes"):
        harness.workload_for(SYSTEM, tiers.get("xlarge"))


def test_ratelimit_does_not_apply_without_middleware():
    assert "ratelimit" not in SYSTEM.complete({"middleware": "none"})
    assert SYSTEM.complete({"app": "falcon"}) == {"app": "falcon"}
