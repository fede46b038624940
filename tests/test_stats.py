"""The stats axis against the exact reference (rational arithmetic), and the merges' algebra.

Ordinary data: every method but ``naive`` agrees with :func:`exact_summary` to 1e-9
relative. Data offset by 1e9: ``naive`` (sum and sum of squares) loses the variance,
Welford and Chan keep it. Property tests: merging accumulators with ``+`` equals
the statistics of the concatenated data, however the data is split and grouped.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest
from helpers import LAB_COMBINATIONS, close, label
from hypothesis import given
from hypothesis import strategies as st

from lab.analytics import from_file, run
from lab.analytics.methods import BLOCK_ONLY, METHODS, ROW_ONLY
from lab.analytics.readers import rows_to_blocks
from lab.analytics.stats import Moments, NaiveSums, Summary, Values, exact_summary, merge_all

KEYS = ("groceries", "dining", "travel")
OFFSET = 1e9


class Rows:
    """A stand-in row reader: yields the same ``(key, value)`` pairs on every pass."""

    kind = "rows"

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def read(self):
        return iter(self.pairs)


class Blocks(Rows):
    """A stand-in block reader: the pairs cut into blocks of ``size`` records."""

    kind = "blocks"

    def __init__(self, pairs, size):
        super().__init__(pairs)
        self.size = size

    def read(self):
        return rows_to_blocks(self.pairs, self.size)


def ordinary_pairs(n=2000, seed=0, offset=0.0, mu=5.0):
    """Amount-like values (two decimals, lognormal, a few negative refunds) with group keys."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        x = rng.lognormvariate(mu, 1) * (-1 if rng.random() < 0.05 else 1)
        pairs.append((rng.choice(KEYS), float(f"{offset + x:.2f}")))
    return pairs


def by_key(pairs):
    groups = {}
    for k, x in pairs:
        groups.setdefault(k, []).append(x)
    return groups


def rel_error(got, exact):
    return abs(got - exact) / abs(exact)


def assert_matches(summary: Summary, exact: Summary, rel=1e-9):
    assert summary.count == exact.count
    assert summary.min == exact.min and summary.max == exact.max
    assert close(summary.mean, exact.mean, rel), (summary.mean, exact.mean)
    assert close(summary.variance, exact.variance, rel), (summary.variance, exact.variance)
    assert close(summary.stddev, exact.stddev, rel), (summary.stddev, exact.stddev)


def readers_for(method, pairs):
    """The stand-in readers ``method`` accepts, blocks cut several ways."""
    out = []
    if method not in BLOCK_ONLY:
        out.append(("rows", Rows(pairs)))
    if method not in ROW_ONLY:
        out += [(f"blocks/{size}", Blocks(pairs, size)) for size in (1, 7, 100, 16384)]
    return out


# --- the exact reference itself -------------------------------------------------------------


def test_exact_summary_is_exact():
    s = exact_summary([0.1, 0.2, 0.3])
    assert s.count == 3
    assert s.mean == float((Fraction(0.1) + Fraction(0.2) + Fraction(0.3)) / 3)
    assert s.variance == pytest.approx(0.01, rel=1e-15)
    assert (s.min, s.max) == (0.1, 0.3)


def test_summary_edge_cases():
    assert exact_summary([]).to_dict() == {
        "count": 0,
        "mean": None,
        "variance": None,
        "stddev": None,
        "min": None,
        "max": None,
    }
    one = exact_summary([4.5])
    assert (one.count, one.mean, one.variance, one.stddev, one.min, one.max) == (1, 4.5, None, None, 4.5, 4.5)
    for acc in (Moments(), NaiveSums(), Values()):
        assert acc.summary().count == 0
        acc.update(4.5)
        assert acc.summary() == one
    # sums of squares can cancel below zero: the variance is kept, the stddev is undefined
    assert Summary.of(3, 1.0, -0.5, 0.0, 2.0).stddev is None


# --- ordinary data: every method but naive matches the exact answer ------------------------


@pytest.mark.parametrize("method", [m for m in METHODS if m != "naive"])
def test_methods_match_exact_reference(method):
    pairs = ordinary_pairs()
    exact = exact_summary([x for _, x in pairs])
    groups = {k: exact_summary(v) for k, v in by_key(pairs).items()}
    for name, reader in readers_for(method, pairs):
        accumulators = METHODS[method](reader)
        assert sorted(accumulators) == sorted(groups), name
        assert_matches(merge_all(list(accumulators.values())).summary(), exact)
        for key, acc in accumulators.items():
            assert_matches(acc.summary(), groups[key])


def test_accumulators_match_exact_reference():
    values = [x for _, x in ordinary_pairs()]
    exact = exact_summary(values)
    welford, naive, kept = Moments(), NaiveSums(), Values()
    for x in values:
        welford.update(x)
        naive.update(x)
        kept.update(x)
    arr = np.array(values)
    chan = merge_all([Moments.from_array(arr[i : i + 7]) for i in range(0, len(arr), 7)])
    for acc in (welford, kept, chan, Moments.from_array(arr)):
        assert_matches(acc.summary(), exact)
    # on ordinary data naive is only slightly worse
    assert_matches(naive.summary(), exact, rel=1e-6)


@pytest.fixture(scope="module")
def ordinary_file(tmp_path_factory):
    pairs = ordinary_pairs(n=3000, seed=1)
    path = tmp_path_factory.mktemp("stats") / "ordinary.csv"
    lines = ["id,amount,category"] + [f"{i},{x!r},{k}" for i, (k, x) in enumerate(pairs)]
    path.write_text("\n".join(lines) + "\n")
    return path, pairs


@pytest.mark.parametrize("choices", [c for c in LAB_COMBINATIONS if c["stats"] != "naive"], ids=label)
@pytest.mark.parametrize("chunk_size", [7, 1000])
def test_methods_through_real_readers_match_exact(ordinary_file, choices, chunk_size):
    path, pairs = ordinary_file
    outcome = run(from_file(path, "amount", "category"), chunk_size=chunk_size, **choices)
    assert outcome.counts == {"rows_in": len(pairs), "rows_ok": len(pairs), "rows_quarantined": 0}
    assert_matches(Summary(**outcome.answer["overall"]), exact_summary([x for _, x in pairs]))
    groups = by_key(pairs)
    assert sorted(outcome.answer["groups"]) == sorted(groups)
    for key, values in groups.items():
        assert_matches(Summary(**outcome.answer["groups"][key]), exact_summary(values))


# --- data offset by 1e9: naive cancels, Welford and Chan do not -----------------------------


@pytest.fixture(scope="module")
def offset_values():
    """1e9 + amount-like values: the mean dwarfs the spread (ratio about 7e6).

    At that ratio naive's error (about eps * ratio**2) is well above 1e-3 while Welford's
    (about eps * ratio) stays well below 1e-9; the data is fixed, so the test is deterministic.
    """
    return [x for _, x in ordinary_pairs(n=2000, seed=0, offset=OFFSET, mu=4.5)]


def test_naive_loses_precision_on_offset_data(offset_values, record_property):
    exact = exact_summary(offset_values)
    arr = np.array(offset_values)
    naive, welford = NaiveSums(), Moments()
    for x in offset_values:
        naive.update(x)
        welford.update(x)
    errors = {
        "naive": naive.summary().variance,
        "naive-blocks": merge_all([NaiveSums.from_array(arr[i : i + 100]) for i in range(0, len(arr), 100)])
        .summary()
        .variance,
        "welford": welford.summary().variance,
        **{
            f"chan/{size}": merge_all(
                [Moments.from_array(arr[i : i + size]) for i in range(0, len(arr), size)]
            )
            .summary()
            .variance
            for size in (1, 7, 100, 2000)
        },
        "two-pass": METHODS["two-pass"](Rows([("", x) for x in offset_values]))[""].summary().variance,
    }
    drift = {k: rel_error(v, exact.variance) for k, v in errors.items()}
    print(f"\nvariance {exact.variance!r} of 1e9 + amounts; relative error of each method:")
    for name, err in drift.items():
        print(f"  {name:>14}: {err:.3e}")
        record_property(f"variance_drift_{name}", err)
    for name in ("naive", "naive-blocks"):
        assert errors[name] <= 0 or drift[name] > 1e-3, (name, drift[name])
    for name in ("welford", "chan/1", "chan/7", "chan/100", "chan/2000", "two-pass"):
        assert drift[name] < 1e-9, (name, drift[name])
    # the mean itself survives in every method
    assert close(naive.summary().mean, exact.mean, 1e-12)


def test_naive_drift_shows_through_real_readers(offset_values, tmp_path, record_property):
    path = tmp_path / "offset.csv"
    path.write_text("amount\n" + "".join(f"{x!r}\n" for x in offset_values))
    workload = from_file(path, "amount")
    exact = exact_summary(offset_values)
    prints = {}
    for choices in LAB_COMBINATIONS:
        outcome = run(workload, chunk_size=100, **choices)
        variance = outcome.answer["overall"]["variance"]
        err = rel_error(variance, exact.variance)
        record_property(f"variance_drift_{label(choices)}", err)
        prints.setdefault(outcome.fingerprint, []).append(label(choices))
        if choices["stats"] == "naive":
            assert variance <= 0 or err > 1e-3, (label(choices), err)
        else:
            assert err < 1e-9, (label(choices), err)
    # naive's answer shows up as a different fingerprint from every stable method
    naive = {fp for fp, names in prints.items() if any(n.endswith("naive") for n in names)}
    stable = {fp for fp, names in prints.items() if not any(n.endswith("naive") for n in names)}
    assert len(stable) == 1 and not naive & stable, prints


# --- merging: a + b is the statistics of the concatenated data ------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
values_lists = st.lists(finite, max_size=60)


def moments_of(values):
    m = Moments()
    for x in values:
        m.update(x)
    return m


def naive_of(values):
    s = NaiveSums()
    for x in values:
        s.update(x)
    return s


def assert_moments_close(got: Moments, values):
    """``got`` holds the statistics of ``values`` (checked against exact arithmetic)."""
    assert got.n == len(values)
    if not values:
        assert got.summary().count == 0
        return
    assert (got.lo, got.hi) == (min(values), max(values))
    scale = max(abs(x) for x in values) + 1.0
    exact = [Fraction(x) for x in values]
    mean = sum(exact, Fraction(0)) / len(values)
    m2 = float(sum(((x - mean) ** 2 for x in exact), Fraction(0)))
    assert math.isclose(got.mean, float(mean), rel_tol=1e-9, abs_tol=1e-12 * scale)
    assert math.isclose(got.m2, m2, rel_tol=1e-9, abs_tol=1e-12 * scale * scale * len(values))


def split(values, cuts):
    edges = sorted({min(c, len(values)) for c in cuts})
    bounds = [0, *edges, len(values)]
    return [values[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def tree(parts):
    """Merge pairwise, like a parallel reduction."""
    while len(parts) > 1:
        parts = [parts[i] + parts[i + 1] if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


@given(values_lists, values_lists)
def test_moments_merge_equals_concatenation(xs, ys):
    merged = moments_of(xs) + moments_of(ys)
    assert_moments_close(merged, xs + ys)
    assert_moments_close(moments_of(xs + ys), xs + ys)


@given(values_lists, st.lists(st.integers(0, 60), max_size=8))
def test_moments_merge_is_associative(values, cuts):
    parts = [moments_of(p) for p in split(values, cuts)]
    left = merge_all(parts)
    right = parts[-1]
    for p in reversed(parts[:-1]):
        right = p + right
    for merged in (left, right, tree(parts)):
        assert_moments_close(merged, values)


@given(values_lists, st.lists(st.integers(0, 60), max_size=8))
def test_chan_block_moments_merge_in_any_split(values, cuts):
    parts = [Moments.from_array(np.array(p, dtype=np.float64)) for p in split(values, cuts)]
    for merged in (merge_all(parts), tree(parts)):
        assert_moments_close(merged, values)


def test_moments_merge_with_empty_is_identity():
    a = moments_of([1.0, 2.0, 4.0])
    for merged in (a + Moments(), Moments() + a):
        assert merged == a and merged is not a
    assert (Moments() + Moments()).n == 0


@given(values_lists, st.lists(st.integers(0, 60), max_size=8))
def test_naive_sums_merge_in_any_split(values, cuts):
    parts = [naive_of(p) for p in split(values, cuts)]
    parts += [NaiveSums.from_array(np.array(p, dtype=np.float64)) for p in split(values, cuts)]
    scale = sum(abs(x) for x in values) + 1.0
    for merged in (merge_all(parts[: len(parts) // 2]), tree(parts[len(parts) // 2 :])):
        assert merged.n == len(values)
        if values:
            assert (merged.lo, merged.hi) == (min(values), max(values))
        assert math.isclose(merged.total, math.fsum(values), rel_tol=1e-12, abs_tol=1e-12 * scale)
        squares = math.fsum(x * x for x in values)
        assert math.isclose(merged.squares, squares, rel_tol=1e-12, abs_tol=1e-12 * scale * scale)


@given(
    st.lists(st.tuples(st.sampled_from(KEYS), finite), max_size=80),
    st.integers(min_value=1, max_value=30),
)
def test_grouped_methods_match_per_key_statistics(pairs, block_size):
    """chan (blocks), welford (rows) and two-pass (both) give each group's own statistics."""
    groups = by_key(pairs)
    runs = {
        "chan": METHODS["chan"](Blocks(pairs, block_size)),
        "welford": METHODS["welford"](Rows(pairs)),
        "two-pass/rows": METHODS["two-pass"](Rows(pairs)),
        "two-pass/blocks": METHODS["two-pass"](Blocks(pairs, block_size)),
    }
    for name, accumulators in runs.items():
        assert sorted(accumulators) == sorted(groups), name
        for key, values in groups.items():
            assert_moments_close(accumulators[key], values)


@given(st.lists(st.tuples(st.sampled_from(KEYS), finite), max_size=80), st.integers(1, 30))
def test_naive_and_stdlib_count_and_extremes_per_key(pairs, block_size):
    groups = by_key(pairs)
    for reader in (Rows(pairs), Blocks(pairs, block_size)):
        accumulators = METHODS["naive"](reader)
        assert sorted(accumulators) == sorted(groups)
        for key, values in groups.items():
            s = accumulators[key]
            assert (s.n, s.lo, s.hi) == (len(values), min(values), max(values))
    kept = METHODS["stdlib"](Rows(pairs))
    assert {k: v.values for k, v in kept.items()} == groups
