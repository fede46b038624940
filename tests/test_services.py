"""The optional services, for real: Redis answers PING, PostgreSQL answers SELECT 1.

A test that needs a service skips with the reason when it does not answer, and
fails instead when ``LAB_REQUIRE_SERVICES=1`` (the ``service`` fixture's rule,
itself tested below against a port nothing listens on).
"""

from __future__ import annotations

import pytest
from helpers import need_service

from lab import services


@pytest.mark.service
def test_redis_answers_ping(service):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(service("redis"), socket_timeout=5, socket_connect_timeout=5)
    try:
        assert client.ping() is True
    finally:
        client.close()


@pytest.mark.service
def test_postgres_answers_select_1(service):
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(service("postgres"), connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_urls_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("LAB_REDIS_URL", raising=False)
    monkeypatch.delenv("LAB_POSTGRES_DSN", raising=False)
    assert services.url("redis") == "redis://127.0.0.1:6379/0"
    assert services.url("postgres") == "postgresql://postgres@127.0.0.1:5432/test"
    monkeypatch.setenv("LAB_REDIS_URL", "redis://example.invalid:1234/2")
    assert services.url("redis") == "redis://example.invalid:1234/2"


@pytest.mark.parametrize(("value", "required"), [(None, False), ("", False), ("0", False), ("1", True)])
def test_required_reads_the_environment(monkeypatch, value, required):
    if value is None:
        monkeypatch.delenv("LAB_REQUIRE_SERVICES", raising=False)
    else:
        monkeypatch.setenv("LAB_REQUIRE_SERVICES", value)
    assert services.required() is required


@pytest.fixture
def redis_down(monkeypatch, closed_port):
    where = f"redis://127.0.0.1:{closed_port}/0"
    monkeypatch.setenv("LAB_REDIS_URL", where)
    return where


def test_unreachable_service_gives_the_reason(redis_down):
    assert services.reachable("redis") == f"needs Redis at {redis_down} (set LAB_REDIS_URL)"


def test_missing_service_skips_with_the_reason(monkeypatch, redis_down):
    monkeypatch.delenv("LAB_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs Redis at"):
        need_service("redis")


def test_missing_service_fails_when_services_are_required(monkeypatch, redis_down):
    monkeypatch.setenv("LAB_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="needs Redis at .*LAB_REQUIRE_SERVICES"):
        need_service("redis")
