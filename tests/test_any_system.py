"""The harness takes any system: ``toy`` (tests/toy_system.py), stateful, with a Decimal answer
and an option of its own, goes through every command and both benchmark suites."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import toy_system

from lab import harness, strategies, tiers
from lab.cli import main
from lab.cli import report as report_cli
from lab.cli import verify as verify_cli
from lab.measure import load_records
from lab.report.claims import MB, Claim
from lab.scenario import Scenario, run_once

strategies.REGISTRY.pop("toy", None)  # importing registered it: the other tests run without it

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
CLAIM = Claim(
    id="toy-balance",
    text="Balance 100 amounts: <1 s, <10MB",
    where="the tests",
    system="toy",
    tier="tiny",
    time_bound_s=1.0,
    memory_bound_bytes=10 * MB,
    reading="median run time <= 1 s; peak heap <= 10 MB",
)


@pytest.fixture
def toy():
    """The toy system, registered for one test only."""
    strategies.register(toy_system.SYSTEM)
    yield toy_system.SYSTEM
    strategies.REGISTRY.pop("toy", None)
    assert toy_system.OPEN == [], "a toy resource was left open"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child ``lab`` process that registers the toy system."""
    path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "LAB_SYSTEMS": "toy_system", "PYTHONPATH": path, **extra}


def test_reset_makes_repeats_equal_and_without_it_they_drift(toy):
    workload = harness.workload_for(toy, tiers.get("tiny"))
    with Scenario(toy, workload, {"adder": "loop"}) as scenario:
        first = scenario()
        drifted = scenario()  # no reset: the balance carries over
        scenario.reset()
        again = scenario()
    assert first.answer["balance"] == again.answer["balance"] != drifted.answer["balance"]
    assert isinstance(first.answer["balance"], Decimal)
    measured = harness.measure_run(toy, workload, "tiny", {"adder": "loop"}, repeat=4, warmup=2, memory=True)
    assert measured.outcome.answer == first.answer  # 7 calls, each after a reset
    assert measured.record.answer["balance"] == first.answer["balance"]
    assert measured.record.peak_bytes is not None and measured.record.item == "amounts"


def test_teardown_runs_after_an_error(toy, capsys):
    workload = harness.workload_for(toy, tiers.get("tiny"))
    with pytest.raises(Exception, match="on purpose"):
        run_once(toy, workload, {"adder": "loop"}, {"fail_after": 3})
    assert toy_system.OPEN == []
    assert main(["run", "toy", "--tier", "tiny", "--fail-after", "5"]) == 1
    assert "failed on purpose after 5 amounts" in capsys.readouterr().err
    assert toy_system.OPEN == []


def test_lab_run_shows_the_systems_own_options_and_output(toy, capsys, lab_results_dir):
    with pytest.raises(SystemExit) as done:
        main(["run", "toy", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "--fail-after N" in text and "--input" not in text and "--tier TIER" in text
    assert main(["run", "toy", "--tier", "tiny", "--repeat", "2", "--set", "adder=builtin"]) == 0
    out = capsys.readouterr().out
    assert "amounts/s" in out and re.search(r"balance -?\d+\.\d{4} over 100 amounts", out)
    assert main(["run", "toy", "--tier", "tiny", "--repeat", "1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["answer"]["balance"]["$decimal"]
    (stored,) = load_records([lab_results_dir / "runs" / "toy.jsonl"])[-1:]
    assert isinstance(stored.answer["balance"], Decimal) and stored.run_id


def test_a_system_adds_a_subcommand_of_its_own(toy, capsys):
    assert main(["toy-echo", "a", "--b"]) == 0
    assert capsys.readouterr().out == "lab toy-echo: a --b\n"
    assert main(["toy-echo"]) == 3
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "toy-echo" in capsys.readouterr().out


def test_sweep_verify_and_report(toy, capsys, lab_results_dir, monkeypatch):
    assert main(["sweep", "toy", "--no-memory"]) == 0  # the toy system's own default sweep
    summary = (lab_results_dir / "sweep-toy.md").read_text()
    assert "--tiers tiny,small --axis adder --repeat 5" in summary and "items are amounts" in summary
    assert summary.count("| same |") == 4  # both adders agree exactly at both tiers
    monkeypatch.setattr(verify_cli, "CLAIMS", (CLAIM,))
    monkeypatch.setattr(report_cli, "CLAIMS", (CLAIM,))
    assert main(["verify", "--systems", "toy"]) == 0
    claims = (lab_results_dir / "claims.md").read_text()
    assert "| toy-balance |" in claims and "| holds |" in claims
    assert main(["report"]) == 0
    report = (lab_results_dir / "REPORT.md").read_text()
    assert "## toy" in report and "time and peak heap against amounts" in report
    assert (lab_results_dir / "plots" / "toy-adder.png").exists()


def test_profile_runs_the_system_in_a_child_process(toy, lab_results_dir):
    done = subprocess.run(
        [sys.executable, "-c", "import sys, lab.cli; sys.exit(lab.cli.main())"]
        + ["profile", "toy", "--tier", "tiny", "--with", "memray"],
        env=child_env(LAB_RESULTS_DIR=str(lab_results_dir)),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert list((lab_results_dir / "profiles").glob("toy-tiny-loop*.memray.html"))


def test_the_asv_suite_is_made_from_the_registry(toy, lab_data_dir, monkeypatch):
    monkeypatch.setenv("LAB_TIERS", "tiny")
    import benchmarks.systems as suite

    suite = importlib.reload(suite)
    timing, heap = suite.Toy(), suite.ToyHeap()
    assert timing.params == (["tiny"], ["loop", "builtin"])
    heap.teardown({}, "tiny", "loop")  # asv tears down after a skipped setup too: nothing to close
    cache = timing.setup_cache()
    for bench in (timing, heap):
        bench.setup(cache, "tiny", "builtin")
    timing.time_scenario(cache, "tiny", "builtin")
    assert heap.track_peak_heap(cache, "tiny", "builtin") > 0
    assert timing.scenario.state.resets == 1  # the warm-up call, then a reset, then the timed call
    assert heap.scenario.state.resets == 3  # three warm-up calls before the tracked one
    for bench in (timing, heap):
        bench.teardown(cache, "tiny", "builtin")
    assert toy_system.OPEN == []
    strategies.REGISTRY.pop("toy")
    importlib.reload(suite)  # the suite of the other tests, without the toy system


def test_the_pytest_benchmark_suite_is_made_from_the_registry(toy, tmp_path, lab_results_dir, capsys):
    saved = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TESTS / "benchmarks")]
        + ["-k", "toy", f"--benchmark-json={saved}", "--benchmark-min-rounds=2"],
        env=child_env(LAB_BENCH_TIER="tiny", LAB_BENCH_ROUNDS="2"),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    benches = json.loads(saved.read_text())["benchmarks"]
    assert {b["group"] for b in benches} == {"toy-adder"}
    assert main(["report", "--pytest-benchmark", str(saved)]) == 0
    assert "## toy (pytest-benchmark)" in (lab_results_dir / "REPORT.md").read_text()


def test_a_streamed_tier_is_refused_by_a_system_without_one(toy, capsys):
    huge = tiers.get("huge")
    assert "no streamed workload" in toy.refuses(huge)
    assert main(["run", "toy", "--tier", "huge"]) == 2
    assert "streamed from a generator" in capsys.readouterr().err
    assert dataclasses.replace(huge, stored=True) and toy.refuses(tiers.get("tiny")) is None


HARNESS_FILES = [
    *sorted((ROOT / "lab" / "cli").glob("*.py")),
    *sorted((ROOT / "lab" / "measure").glob("*.py")),
    *[p for p in sorted((ROOT / "lab" / "report").glob("*.py")) if p.name != "claims.py"],
    ROOT / "lab" / "harness.py",
    ROOT / "lab" / "scenario.py",
    ROOT / "Makefile",
]


@pytest.mark.parametrize("path", HARNESS_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_harness_names_no_system(path):
    from lab.systems import HARNESS

    names = sorted(p.name for p in (ROOT / "lab").iterdir() if p.is_dir() and (p / "__init__.py").exists())
    systems = [n for n in names if n not in HARNESS] + ["toy"]
    text = path.read_text()
    for name in systems:
        assert not re.search(rf"\b{name}\b", text), f"{path.name} names the system {name!r}"
        assert f"lab.{name}" not in text
