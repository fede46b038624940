"""lab's app under a real server (gunicorn on loopback): the demo API over HTTP, and rate limits
under two worker processes: in-process limits count per worker, the Redis one is shared."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from web_server import get, running_server

from lab import harness, tiers
from lab.scenario import run_once
from lab.web import SYSTEM

LIMIT = 5


@pytest.fixture
def results(lab_results_dir):
    """A results folder with a few measured records (and a claims table)."""
    workload = harness.workload_for(SYSTEM, tiers.get("tiny"))
    for choices in ({"router": "trie"}, {"app": "falcon"}):
        harness.measure_run(SYSTEM, workload, "tiny", SYSTEM.complete(choices), {"requests": 50}, repeat=1)
    (lab_results_dir / "claims.md").write_text("| claim | verdict |\n|---|---|\n| fast | holds |\n")
    assert run_once(SYSTEM, workload, SYSTEM.reference(), {"requests": 10}).n == 10
    return lab_results_dir


def test_demo_api_over_http(results):
    with running_server() as port:
        status, headers, body = get(port, "/records?system=web&limit=1")
        assert status == 200 and headers["Content-Type"] == "application/json"
        page = json.loads(body)
        assert page["total"] == 2 and len(page["records"]) == 1
        assert page["records"][0]["system"] == "web"
        assert json.loads(get(port, "/records/1")[2])["choices"] == {"app": "falcon"}
        assert json.loads(get(port, "/claims")[2]) == {"claims": [{"claim": "fast", "verdict": "holds"}]}
        assert get(port, "/records/99")[0] == 404
        assert get(port, "/records?limit=lots")[0] == 400
        status, _, body = get(port, "/whoami")
        assert status == 401 and json.loads(body)["request_id"]
        assert get(port, "/whoami", {"Authorization": "Bearer forged.token"})[0] == 401


def passed_under_two_workers(env: dict[str, str], requests: int = 12 * LIMIT) -> tuple[int, set[int]]:
    """Requests let through, and the worker pids that answered, from concurrent clients."""
    with running_server(workers=2, env=env) as port:
        booted: set[int] = set()
        deadline = time.monotonic() + 60
        while len(booted) < 2 and time.monotonic() < deadline:  # both workers up before counting
            with ThreadPoolExecutor(8) as pool:
                for status, _, body in pool.map(lambda _: get(port, "/health"), range(16)):
                    if status == 200:
                        booted.add(json.loads(body)["pid"])
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: get(port, "/records?limit=0"), range(requests)))
        pids = set()
        with ThreadPoolExecutor(8) as pool:
            for status, _, body in pool.map(lambda _: get(port, "/health"), range(4 * requests)):
                if status == 200:
                    pids.add(json.loads(body)["pid"])
    return sum(status == 200 for status, _, _ in answers), pids


def test_in_process_limiter_lets_twice_the_limit_through_two_workers():
    passed, pids = passed_under_two_workers(
        {"LAB_WEB_LIMITER": "fixed-window", "LAB_WEB_RATE": f"{LIMIT}/3600"}
    )
    assert len(pids) == 2  # both workers answered
    assert passed == 2 * LIMIT


def test_redis_limiter_is_shared_by_the_workers(service):
    service("redis")
    env = {
        "LAB_WEB_LIMITER": "redis",
        "LAB_WEB_RATE": f"{LIMIT}/3600",
        "LAB_WEB_REDIS_PREFIX": f"lab:web:test:{uuid.uuid4().hex}",
    }
    passed, _ = passed_under_two_workers(env)
    assert passed == LIMIT
