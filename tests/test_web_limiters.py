"""Rate limiters at window boundaries (how many requests pass), memory per client, and the
Redis limiter against the in-process fixed window."""

from __future__ import annotations

import tracemalloc
import uuid

import pytest

from lab.web.limiters import LIMITERS, FixedWindow, SlidingCounter, SlidingLog, TokenBucket
from lab.web.scenario import make_limiter

LIMIT, WINDOW = 10, 10.0


def passed(limiter, times, key="c"):
    return sum(limiter.hit(key, t) == 0.0 for t in times)


def burst(at: float, count: int = 3 * LIMIT) -> list[float]:
    return [at + i * 1e-6 for i in range(count)]


@pytest.mark.parametrize("name", sorted(LIMITERS))
def test_a_burst_inside_one_window_passes_the_limit(name):
    assert passed(LIMITERS[name](LIMIT, WINDOW), burst(101.0)) == LIMIT


@pytest.mark.parametrize("name", sorted(LIMITERS))
def test_retry_after_is_when_a_request_would_pass(name):
    limiter = LIMITERS[name](LIMIT, WINDOW)
    passed(limiter, burst(101.0, LIMIT))
    wait = limiter.hit("c", 101.5)
    assert 0 < wait <= 2 * WINDOW
    assert limiter.hit("c", 101.5 + wait + 1e-6) == 0.0


def test_fixed_window_passes_twice_the_limit_across_a_boundary():
    # LIMIT just before the boundary at t=110, LIMIT just after: 2 x LIMIT within 2 ms
    assert passed(FixedWindow(LIMIT, WINDOW), burst(109.999) + burst(110.0)) == 2 * LIMIT


def test_sliding_log_never_passes_more_than_the_limit_in_any_window():
    limiter = SlidingLog(LIMIT, WINDOW)
    times = [100.0 + i * 0.37 for i in range(300)]
    allowed = [t for t in times if limiter.hit("c", t) == 0.0]
    assert all(sum(1 for u in allowed if t - WINDOW < u <= t) <= LIMIT for t in allowed)
    assert passed(SlidingLog(LIMIT, WINDOW), burst(109.999) + burst(110.0)) == LIMIT


def test_sliding_counter_weighs_the_last_window():
    limiter = SlidingCounter(LIMIT, WINDOW)
    assert passed(limiter, burst(109.999)) == LIMIT
    # just after the boundary the last window still weighs ~100%: nothing more passes
    assert passed(limiter, burst(110.0)) == 0
    # halfway through, half the last window's count has slid out of view
    assert passed(limiter, burst(115.0)) == LIMIT // 2


def test_token_bucket_refills_at_the_rate():
    limiter = TokenBucket(LIMIT, WINDOW)
    assert passed(limiter, burst(100.0)) == LIMIT
    assert passed(limiter, burst(100.5)) == 0  # half a token back
    assert passed(limiter, burst(103.0)) == 3  # 3 s x 1 token/s, minus what was spent


def bytes_per_client(name: str, limit: int = LIMIT, clients: int = 1000) -> float:
    """Heap per client after each client made ``limit`` requests inside one window."""
    limiter = LIMITERS[name](limit, WINDOW)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for c in range(clients):
        for h in range(limit):
            limiter.hit(f"client-{c}", 100.0 + h * 1e-3)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / clients


def test_memory_per_client():
    small = {name: bytes_per_client(name) for name in LIMITERS}
    large = {name: bytes_per_client(name, 20 * LIMIT, 200) for name in LIMITERS}
    # counters hold a few numbers per client, whatever the limit
    for name in ("fixed-window", "sliding-counter", "token-bucket"):
        assert small[name] < 400 and large[name] < 1.2 * small[name], (small, large)
    # the log holds every timestamp of the window: it grows with the limit
    assert large["sliding-log"] > 3 * small["sliding-log"] > 3 * small["fixed-window"], (small, large)


def test_redis_limiter_matches_the_fixed_window(service):
    service("redis")
    limiter = make_limiter("redis", LIMIT, WINDOW, prefix=f"lab:web:test:{uuid.uuid4().hex}")
    try:
        times = burst(109.999) + burst(110.0)
        assert passed(limiter, times) == passed(FixedWindow(LIMIT, WINDOW), times) == 2 * LIMIT
        assert limiter.hit("c", 110.5) > 0
        limiter.clear()
        assert limiter.hit("c", 110.5) == 0.0
    finally:
        limiter.clear()
        limiter.close()
