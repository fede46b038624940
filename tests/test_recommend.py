"""The recommend system: every exact similarity and every cache gives the same recommendations,
the approximate indexes reach their stated recall, the compact cache evicts correctly, and bad
input gets a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from lab import harness, tiers
from lab.errors import UsageError
from lab.outcome import agree
from lab.recommend import SYSTEM, similarity
from lab.recommend.compact import CompactCache
from lab.recommend.exact import topk
from lab.recommend.serve import recent, recommend, zipf_draws
from lab.recommend.table import neighbour_table
from lab.scenario import Scenario, run_once

#: The recall@k the approximate strategies are held to on these tiers.
STATED_RECALL = 0.95
REDIS_CACHES = ("two-tier", "three-tier")


@pytest.fixture(scope="module")
def tiny():
    return harness.workload_for(SYSTEM, tiers.get("tiny"), 0)


@pytest.fixture(scope="module")
def small():
    return harness.workload_for(SYSTEM, tiers.get("small"), 0)


def _needs(choices, service):
    if choices["cache"] in REDIS_CACHES:
        service("redis")


EXACT = [c for c in SYSTEM.combinations() if c["similarity"] in ("python", "numpy")]


@pytest.mark.parametrize("choices", EXACT, ids=lambda c: f"{c['similarity']}-{c['cache']}")
def test_exact_strategies_give_the_reference_answer(tiny, service, choices):
    _needs(choices, service)
    reference = run_once(SYSTEM, tiny, SYSTEM.reference())
    outcome = run_once(SYSTEM, tiny, choices)
    assert agree(outcome.answer, reference.answer)
    assert outcome.counts["lookups"] == reference.counts["lookups"]


def test_the_neighbour_table_is_the_full_scan(small):
    queries = np.arange(0, small.products, 7)
    ids, scores = topk(queries, np.asarray(small.embeddings), 10)
    assert (small.array("neighbours")[queries] == ids).all()
    assert (small.array("scores")[queries] == scores).all()
    cluster_of = small.array("cluster_of")
    again = neighbour_table(np.asarray(small.embeddings), np.asarray(cluster_of), 10)
    assert (again[0] == small.array("neighbours")).all()


def test_ties_go_to_the_smaller_id():
    embeddings = np.zeros((6, 64), dtype=np.float32)
    embeddings[:, 0] = 0.5
    embeddings[0, 1] = embeddings[3, 1] = embeddings[5, 1] = 0.25
    ids, scores = topk(np.array([0]), embeddings, 3)
    assert ids[0].tolist() == [3, 5, 1] and scores[0][0] == scores[0][1]


@pytest.mark.parametrize("name", ["hnswlib", "faiss"])
def test_approximate_strategies_reach_their_stated_recall(small, name):
    outcome = run_once(SYSTEM, small, {"similarity": name, "cache": "none"}, {"requests": 200})
    assert outcome.extras["recall_at_k"] >= STATED_RECALL
    assert outcome.counts["computed"] == outcome.counts["lookups"] > 0


def test_python_similarity_is_exact_and_refused_on_big_catalogues(tiny, monkeypatch):
    python = similarity.make_similarity("python", tiny)
    ids, scores = python(7, 10)
    assert list(ids) == tiny.array("neighbours")[7].tolist()
    assert list(scores) == tiny.array("scores")[7].tolist()
    monkeypatch.setattr(similarity, "PYTHON_LIMIT", 10)
    with pytest.raises(UsageError, match="refused above 10 products"):
        similarity.make_similarity("python", tiny)


def test_compact_cache_evicts_by_clock_and_stays_correct():
    cache = CompactCache(products=10, capacity=2, k=2)
    cache.put(1, (5, 6, 50, 60))
    cache.put(2, (7, 8, 70, 80))
    assert list(cache.get(1)) == [5, 6, 50, 60]  # 1 referenced, 2 not
    cache.put(3, (1, 2, 10, 20))  # the clock clears 1's bit, then evicts 1 at the hand
    assert cache.size == 2 and sum(cache.get(p) is not None for p in (1, 2, 3)) == 2
    assert list(cache.get(3)) == [1, 2, 10, 20]
    assert cache.hits + cache.misses == 5


def test_compact_holds_the_whole_catalogue_in_int32_arrays(small):
    outcome = run_once(SYSTEM, small, {"similarity": "numpy", "cache": "compact"})
    assert outcome.counts["similarities_cached"] == small.products
    assert outcome.counts["cache_misses"] == 0 and outcome.counts["computed"] == 0
    assert outcome.details["l1_bytes"] <= small.products * (2 * 10 * 4 + 10)


def test_hits_and_misses_add_up_per_tier(tiny, service):
    service("redis")
    outcome = run_once(SYSTEM, tiny, {"similarity": "numpy", "cache": "three-tier"})
    c = outcome.counts
    assert c["cache_hits"] + c["cache_misses"] == c["lookups"]
    assert c["redis_hits"] + c["redis_misses"] == c["cache_misses"]
    assert c["sqlite_hits"] + c["sqlite_misses"] == c["redis_misses"]
    assert c["computed"] == c["sqlite_misses"] == 0


def test_bad_input_is_a_clear_error(tiny):
    with pytest.raises(UsageError, match="k=200 is out of range"):
        run_once(SYSTEM, tiny, SYSTEM.reference(), {"k": 200})
    with pytest.raises(UsageError, match="requests must be at least 1"):
        run_once(SYSTEM, tiny, SYSTEM.reference(), {"requests": 0})
    with pytest.raises(UsageError, match="unknown product 100"):
        tiny.check_product(100)
    with pytest.raises(UsageError, match="unknown user -1"):
        tiny.check_user(-1)
    with pytest.raises(ValueError, match="more than the"):
        topk(np.array([0]), np.asarray(tiny.embeddings), tiny.products)


def test_an_empty_history_gets_the_most_popular_products(tiny):
    frequency = np.diff(tiny.array("offsets"))
    user = int(np.flatnonzero(frequency == 0)[0])
    items = recommend(tiny, user, 5, 5, lambda p: pytest.fail("no lookup for an empty history"))
    assert [p for p, _, _ in items] == tiny.array("by_rank")[:5].tolist()
    assert all(because == () for _, _, because in items)


def test_recommendations_leave_out_what_the_user_owns(tiny):
    neighbours, scores = tiny.array("neighbours"), tiny.array("scores")
    for user in range(20):
        owned = set(tiny.history(user).tolist())
        items = recommend(tiny, user, 10, 5, lambda p: (*neighbours[p].tolist(), *scores[p].tolist()))
        assert owned.isdisjoint(p for p, _, _ in items)
        assert all(set(because) <= owned for _, _, because in items)


def test_recent_keeps_the_latest_distinct_purchases():
    assert recent([1, 2, 3, 2, 4], 3) == [4, 2, 3]
    assert recent([], 3) == []


def test_zipf_requests_are_deterministic_and_skewed():
    a, b = zipf_draws(1000, 5000, 1.1, 0), zipf_draws(1000, 5000, 1.1, 0)
    assert (a == b).all()
    counts = np.bincount(a, minlength=1000)
    assert np.sort(counts)[-10:].sum() > 0.3 * len(a)  # the ten hottest users take a third


def test_reset_brings_redis_back_to_its_preload(tiny, service):
    service("redis")
    with Scenario(SYSTEM, tiny, {"similarity": "numpy", "cache": "two-tier"}, {"redis_warm": 10}) as s:
        first = s()
        s.reset()
        second = s()
        assert first.counts == second.counts
        client, prefix = s.state.redis.client, s.state.redis.prefix
        assert any(True for _ in client.scan_iter(match=prefix + "*"))
    assert not any(True for _ in client.scan_iter(match=prefix + "*"))
