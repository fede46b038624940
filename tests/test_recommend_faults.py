"""Faults of the recommend system's Redis tier: stopped in the middle of a run, absent from the start."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

import lab.recommend
from lab import harness, tiers
from lab.outcome import agree
from lab.recommend import SYSTEM
from lab.scenario import Scenario, run_once

THREE_TIER = {"similarity": "numpy", "cache": "three-tier"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("redis-server did not start")


@pytest.fixture(scope="module")
def tiny():
    return harness.workload_for(SYSTEM, tiers.get("tiny"), 0)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program")
def test_redis_stopped_mid_run_answers_stay_correct_and_it_reconnects(tiny, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("LAB_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    reference = run_once(SYSTEM, tiny, SYSTEM.reference())
    server = _start(port)
    served = 0
    real = lab.recommend.recommend

    def stop_half_way(*args, **kwargs):
        nonlocal served
        served += 1
        if served == 300:
            server.terminate()
            server.wait()
        return real(*args, **kwargs)

    try:
        with Scenario(SYSTEM, tiny, THREE_TIER, {"redis_warm": 50}) as scenario:
            monkeypatch.setattr(lab.recommend, "recommend", stop_half_way)
            broken = scenario()
            assert agree(broken.answer, reference.answer)
            assert broken.counts["redis_errors"] > 0
            assert broken.counts["sqlite_hits"] > 0 and broken.counts["computed"] == 0
            monkeypatch.setattr(lab.recommend, "recommend", real)
            server = _start(port)
            scenario.reset()
            healed = scenario()
            assert agree(healed.answer, reference.answer)
            assert healed.counts["redis_errors"] == 0
            assert healed.counts["redis_misses"] > 0 and scenario.state.redis.written  # back, empty, refilled
    finally:
        server.terminate()
        server.wait()


def test_without_redis_the_redis_tiers_say_why_and_the_default_runs(tiny, monkeypatch, closed_port):
    monkeypatch.setenv("LAB_REDIS_URL", f"redis://127.0.0.1:{closed_port}/0")
    for cache in ("two-tier", "three-tier"):
        reason = SYSTEM.unavailable({"similarity": "numpy", "cache": cache})
        assert reason and "needs Redis" in reason and str(closed_port) in reason
    assert SYSTEM.unavailable(SYSTEM.reference()) is None
    assert run_once(SYSTEM, tiny, SYSTEM.reference()).counts["requests"] > 0
