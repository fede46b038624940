"""lab compare: ratio B/A per benchmark, and a Mann-Whitney U test that knows when it cannot decide."""

from __future__ import annotations

import numpy as np
import pytest
from report_records import LISTING, record

from lab.cli import main
from lab.report.compare import compare, min_p_value, significance, slowdowns


def _samples(mean: float, seed: int, n: int = 20) -> list[float]:
    return list(np.random.default_rng(seed).normal(mean, 0.02 * mean, n))


def test_same_distribution_is_not_significant():
    p, said = significance(_samples(1.0, 1), _samples(1.0, 2))
    assert said == "not significant"
    assert p is not None and p >= 0.05


def test_a_clear_shift_is_significant():
    p, said = significance(_samples(1.0, 1), _samples(1.3, 2))
    assert said == "significant"
    assert p is not None and p < 1e-6


def test_too_few_samples_can_never_be_significant():
    assert min_p_value(3, 3) == pytest.approx(0.1)
    assert min_p_value(4, 4) < 0.05 and min_p_value(3, 5) < 0.05
    assert significance([1.0, 1.0, 1.0], [9.0, 9.0, 9.0]) == (None, "too few samples")
    assert significance([], [1.0]) == (None, "too few samples")


def test_compare_matches_benchmarks_and_gives_ratios():
    a = [record("small", median=1.0, samples=_samples(1.0, 1)), record("medium", choices=LISTING)]
    b = [record("small", median=2.0, samples=_samples(2.0, 2)), record("large")]
    changes = {(c.tier, c.verdict) for c in compare(a, b)}
    assert changes == {("small", "slower"), ("medium", "only in A"), ("large", "only in B")}
    (small,) = [c for c in compare(a, b) if c.tier == "small"]
    assert small.ratio == pytest.approx(2.0, rel=0.05)
    assert slowdowns(compare(a, b), 1.5) == [small]
    assert slowdowns(compare(a, b), 2.5) == []
    (faster,) = [c for c in compare(b, a) if c.tier == "small"]
    assert faster.verdict == "faster"


def _write(path, records):
    path.write_text("".join(r.to_json() + "\n" for r in records))
    return str(path)


def test_fail_above_exits_one_on_a_significant_slowdown_only(tmp_path, capsys):
    a = _write(tmp_path / "a.jsonl", [record("small", samples=_samples(1.0, 1))])
    slow = _write(tmp_path / "slow.jsonl", [record("small", samples=_samples(1.5, 2))])
    same = _write(tmp_path / "same.jsonl", [record("small", samples=_samples(1.0, 3))])
    assert main(["compare", a, slow, "--fail-above", "1.2"]) == 1
    assert main(["compare", a, slow, "--fail-above", "2.0"]) == 0
    assert main(["compare", a, same, "--fail-above", "1.01"]) == 0
    out = capsys.readouterr().out
    assert "slower" in out and "not significant" in out


def test_compare_names_what_it_cannot_read(capsys):
    assert main(["compare", "no-such-file-or-commit", "neither"]) == 2
    assert "neither a records file" in capsys.readouterr().err


def test_a_significant_change_within_the_factor_is_not_called_slower():
    import random

    from lab.report.compare import compare

    rng = random.Random(3)
    a = [
        {
            "system": "s",
            "tier": "t",
            "choices": {"x": "1"},
            "params": {},
            "n": 1,
            "samples": [1.0 + rng.random() * 0.01 for _ in range(20)],
        }
    ]
    b = [{**a[0], "samples": [1.05 + rng.random() * 0.01 for _ in range(20)]}]
    for r in (*a, *b):
        r["median_s"] = sorted(r["samples"])[10]
    assert compare(a, b)[0].verdict == "slower"
    assert compare(a, b, factor=1.1)[0].verdict == "within factor"
    assert compare(a, b, factor=1.01)[0].verdict == "slower"


def _interleaved(samples: list[float], rounds: int, run_id: str = "r1"):
    return record("small", samples=samples, source="interleaved", extras={"rounds": rounds}, run_id=run_id)


def test_interleaved_rounds_are_compared_in_pairs_so_shared_drift_is_not_a_change():
    """Each round of A ran beside the same round of B: drift across rounds hits both alike."""
    rng = np.random.default_rng(7)
    drift = [1.0, 1.0, 1.4, 1.4, 0.8, 0.8, 1.2, 1.2, 1.6, 1.6, 0.9, 0.9, 1.1, 1.1, 1.3, 1.3]  # 8 rounds x 2
    a = [d * rng.normal(1.0, 0.01) for d in drift]
    b = [d * rng.normal(1.0, 0.01) for d in drift]
    (same,) = compare([_interleaved(a, 8)], [_interleaved(b, 8)])
    assert same.verdict == "not significant" and same.ratio == pytest.approx(1.0, abs=0.03)
    (slow,) = compare([_interleaved(a, 8)], [_interleaved([1.5 * x for x in b], 8)])
    assert slow.verdict == "slower" and slow.ratio == pytest.approx(1.5, rel=0.03)
    assert slow.p_value == pytest.approx(1 / 2**8)  # one-sided: every round above the factor


def test_a_paired_change_counts_only_when_its_rounds_lie_beyond_the_factor():
    """1.05x in every round differs from 1 but not from the factor 1.1; 1.2x lies beyond it."""
    rng = np.random.default_rng(3)
    a = [rng.normal(1.0, 0.005) for _ in range(16)]
    (near,) = compare([_interleaved(a, 8)], [_interleaved([1.05 * x for x in a], 8)], factor=1.1)
    assert near.verdict == "within factor" and near.paired, near
    (far,) = compare([_interleaved(a, 8)], [_interleaved([1.2 * x for x in a], 8)], factor=1.1)
    assert far.verdict == "slower" and far.p_value < 0.05, far
    (quick,) = compare([_interleaved(a, 8)], [_interleaved([x / 1.2 for x in a], 8)], factor=1.1)
    assert quick.verdict == "faster", quick


def test_pairs_need_the_same_run_and_enough_rounds():
    four = [1.0] * 8
    (few,) = compare([_interleaved(four, 4)], [_interleaved([2.0] * 8, 4)])
    assert few.verdict == "too few samples"
    (other_run,) = compare([_interleaved(four, 4)], [_interleaved([2.0] * 8, 4, run_id="r2")])
    assert other_run.verdict == "slower"  # not paired: Mann-Whitney on 8 + 8 samples
