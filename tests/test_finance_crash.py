"""finance: a loader killed with SIGKILL at random points leaves whole batches only in the
durable log, and resuming loses no transaction and applies none twice.

A few kill points per store by default; ``LAB_FINANCE_KILLS=100`` runs that many."""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
import time

import pytest

from lab import tiers
from lab.finance.durable import open_store, resume
from lab.finance.workload import prepare

KILLS = int(os.environ.get("LAB_FINANCE_KILLS") or 3)
BATCH = 10


def _where(store: str, tmp_path) -> str:
    return (
        str(tmp_path / f"{secrets.token_hex(4)}.db")
        if store == "sqlite"
        else f"lab_finance_crash_{secrets.token_hex(4)}"
    )


def _drop(store: str, where: str) -> None:
    if store == "postgres":
        s = open_store(store, where)
        s.db.execute(f"DROP SCHEMA IF EXISTS {where} CASCADE")
        s.db.close()


def _whole_batches(s) -> None:
    """Every committed batch is all there, and nothing is there outside a committed batch."""
    marks = s.batches()
    assert [b for b, _, _ in marks] == list(range(1, len(marks) + 1))
    last = 0
    for _, last_seq, count in marks:
        assert last_seq - last == count
        last = last_seq
    assert s.seq == last == sum(1 for _ in s.events())


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_sigkill_while_loading_loses_nothing_and_doubles_nothing(store, tmp_path, service):
    if store == "postgres":
        service("postgres")
    workload = prepare(tiers.get("tiny"))
    where = _where(store, tmp_path)
    reference = open_store(store, where)
    try:
        started = time.perf_counter()
        resume(reference, workload, BATCH)
        duration = time.perf_counter() - started
        expected = list(reference.events())
    finally:
        reference.db.close()
        _drop(store, where)
    rng = random.Random(8)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    killed_inside = attempts = 0
    while killed_inside < KILLS and attempts < 4 * KILLS:  # a kill after the end does not count
        attempts += 1
        where = _where(store, tmp_path)
        child = subprocess.Popen(
            [sys.executable, "-m", "lab.finance.durable", store, where, "tiny", str(BATCH)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, 1.2 * duration))  # mostly while it loads
        child.send_signal(signal.SIGKILL)
        child.wait()
        s = open_store(store, where)
        try:
            _whole_batches(s)
            killed_inside += 0 < s.seq < len(expected)
            resume(s, workload, BATCH)
            _whole_batches(s)
            assert list(s.events()) == expected
        finally:
            s.db.close()
            _drop(store, where)
    print(f"{store}: {attempts} kills, {killed_inside} in the middle of the load")
    assert killed_inside == KILLS


def test_one_writer_at_a_time_on_a_postgres_log(tmp_path, service, monkeypatch):
    """A second writer waits for the first one's session to end (a killed writer's last COMMIT
    may still land after it died), and says so if it never does."""
    from lab.errors import LabError
    from lab.finance.stores import PostgresStore

    service("postgres")
    where = _where("postgres", tmp_path)
    first = open_store("postgres", where)
    try:
        monkeypatch.setattr(PostgresStore, "LOCK_WAIT_S", 0.2)
        with pytest.raises(LabError, match="another session has been writing the log"):
            open_store("postgres", where)
    finally:
        first.db.close()
    second = open_store("postgres", where)
    second.db.close()
    _drop("postgres", where)
