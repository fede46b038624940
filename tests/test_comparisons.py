"""Comparisons that can fail: a deterministic metric (instructions under valgrind) that sees a
known slowdown and no change where there is none, and checks that refuse to judge what they
cannot."""

from __future__ import annotations

import os
import shutil

import pytest
import toy_system
from report_records import record

from lab import strategies
from lab.cli import main
from lab.measure import load_records
from lab.measure.instructions import count_process

strategies.REGISTRY.pop("toy", None)  # registered per test, by the fixture

needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")


@pytest.fixture
def toy(monkeypatch, request):
    """The toy system here and in the child processes that count its instructions."""
    tests = str(request.path.parent)
    monkeypatch.setenv("LAB_SYSTEMS", "toy_system")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")])))
    strategies.register(toy_system.SYSTEM)
    yield toy_system.SYSTEM
    strategies.REGISTRY.pop("toy", None)


def _write(path, records):
    path.write_text("".join(r.to_json() + "\n" for r in records))
    return str(path)


def test_fail_above_cannot_pass_what_it_cannot_judge(tmp_path, capsys):
    three = [0.010, 0.011, 0.012]
    a = _write(tmp_path / "a.jsonl", [record("small", samples=three)])
    b = _write(tmp_path / "b.jsonl", [record("small", samples=[x * 2 for x in three])])
    assert main(["compare", a, b]) == 0  # a report may say it cannot judge...
    assert "too few samples" in capsys.readouterr().out
    assert main(["compare", a, b, "--fail-above", "1.01"]) == 1  # ...a check may not pass it
    assert "cannot judge 1 of the benchmarks in both (too few samples" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "no records to compare in"),
        ("{not json\n", "a.jsonl:1: not a lab record"),
        ('{"a": 1}\n', "a.jsonl:1: not a lab record (not a lab record: no system, tier, n)"),
    ],
)
def test_bad_inputs_are_one_line_errors(tmp_path, capsys, content, expected):
    (tmp_path / "a.jsonl").write_text(content)
    b = _write(tmp_path / "b.jsonl", [record("small")])
    assert main(["compare", str(tmp_path / "a.jsonl"), b, "--fail-above", "1.2"]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_no_benchmark_in_common_cannot_pass(tmp_path, capsys):
    a = _write(tmp_path / "a.jsonl", [record("small")])
    b = _write(tmp_path / "b.jsonl", [record("medium")])
    assert main(["compare", a, b, "--fail-above", "1.2"]) == 1
    assert "no benchmark is measured in both" in capsys.readouterr().err


@needs_valgrind
def test_a_process_count_repeats_to_a_few_parts_per_million(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text("s = 0\nfor i in range(20000):\n    s += i\n")
    import sys

    first, second = (count_process([sys.executable, str(script)]) for _ in range(2))
    assert first > 10_000_000
    assert abs(first - second) <= 1e-5 * first, (first, second)  # seen: equal, or 264 apart in 110M


@needs_valgrind
def test_instructions_see_a_known_slowdown_and_no_change_where_there_is_none(
    toy, tmp_path, monkeypatch, capsys
):
    sweep = ["sweep", "toy", "--tiers", "small", "--no-memory", "--repeat", "5", "--metric", "instructions"]
    for name, slow in (("a", False), ("again", False), ("slow", True)):
        monkeypatch.setenv("LAB_RESULTS_DIR", str(tmp_path / name))
        if slow:
            monkeypatch.setenv(toy_system.SLOWDOWN_ENV, "1")
        assert main([*sweep, "--calls", "10"]) == 0
    capsys.readouterr()
    runs = {name: str(tmp_path / name / "runs" / "toy.jsonl") for name in ("a", "again", "slow")}
    counts = {
        name: {r.choices["adder"]: r.instructions for r in load_records([p])} for name, p in runs.items()
    }
    for adder in ("loop", "builtin"):  # A/A: within 1%
        assert counts["again"][adder] == pytest.approx(counts["a"][adder], rel=0.01), counts
    assert counts["slow"]["builtin"] == pytest.approx(counts["a"]["builtin"], rel=0.01), counts
    assert 1.25 < counts["slow"]["loop"] / counts["a"]["loop"] < 1.75, counts

    compare = ["compare", "--metric", "instructions", "--fail-above", "1.2"]
    assert main([*compare, runs["a"], runs["again"]]) == 0
    assert "2 benchmarks in both: 0 beyond factor 1.01" in capsys.readouterr().out
    assert main([*compare, runs["a"], runs["slow"]]) == 1
    out = capsys.readouterr().out
    assert "1 significant slowdown(s) above 1.2x" in out and "adder=loop" in out


def test_interleaved_runs_see_a_known_slowdown_and_no_change_where_there_is_none(toy, tmp_path, capsys):
    """Wall time, A and B alternating in fresh processes: a 2.5x slowdown is caught, A/A is not.
    (The loop's own work again over half the amounts, three times: well clear of the 1.2x line
    on a machine of any speed, as the waste is the measured loop itself.)"""
    run = ["--run", "toy", "--tiers", "medium", "--rounds", "8", "--repeat", "2", "--fail-above", "1.2"]
    assert main(["compare", "env:", "env:", *run, "--save", str(tmp_path / "aa")]) == 0
    out = capsys.readouterr().out
    assert "2 benchmarks in both" in out and "0 of them beyond factor 1.1" in out
    a = load_records([tmp_path / "aa" / "a.jsonl"])
    assert {r.source for r in a} == {"interleaved"} and all(len(r.samples) == 16 for r in a)
    assert all(r.extras == {"rounds": 8} for r in a)
    assert main(["compare", "env:", f"env:{toy_system.SLOWDOWN_ENV}=3", *run]) == 1
    out = capsys.readouterr().out
    assert "significant slowdown(s) above 1.2x" in out and "adder=loop" in out


def test_a_commit_side_runs_that_commits_code(toy, capsys):
    run = ["--run", "toy", "--tiers", "small", "--rounds", "2", "--repeat", "2"]
    assert main(["compare", "HEAD", ".", *run]) == 0
    out = capsys.readouterr().out
    assert "A = HEAD (" in out and "B = working tree" in out
    assert main(["compare", "no-such-commit", ".", *run]) == 2
    assert "git rev-parse" in capsys.readouterr().err


def test_every_default_sweep_has_enough_repeats_for_compare_to_judge():
    from lab.report.compare import ALPHA, min_p_value
    from lab.systems import systems

    for system in systems():
        assert min_p_value(system.sweep.repeat, system.sweep.repeat) < ALPHA, system.name
