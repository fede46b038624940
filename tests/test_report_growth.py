"""The report's growth fit recovers known exponents from synthetic records."""

from __future__ import annotations

import pytest
from report_records import STREAMING, record

from lab.report.claims import get_claim
from lab.report.model import Layout, build
from lab.report.verdicts import judge

SIZES = {"small": 10_000, "medium": 100_000, "large": 1_000_000}


@pytest.mark.parametrize("k", [0, 1, 2])
def test_fit_recovers_time_and_heap_exponents(k):
    records = [
        record(t, STREAMING, median=1e-3 * (n / 1e4) ** k, peak=int(5e4 * (n / 1e4) ** k))
        for t, n in SIZES.items()
    ]
    layout = Layout("analytics", STREAMING, {"reader": [STREAMING]})
    (section,) = build(records, {"analytics": layout}).sections
    (view,) = section.views
    (series,) = view.series
    assert series.time_exponent == pytest.approx(k, abs=1e-6)
    assert series.memory_exponent == pytest.approx(k, abs=1e-6)
    assert [p.tier for p in series.points] == ["small", "medium", "large"]


@pytest.mark.parametrize("k", [0, 1, 2])
def test_claim_growth_uses_the_same_fit(k):
    records = [record(t, STREAMING, median=0.5, peak=int(5e4 * (n / 1e4) ** k)) for t, n in SIZES.items()]
    verdict = judge(get_claim("statistics-1m"), records).verdict
    assert verdict.exponent == pytest.approx(k, abs=1e-6)
    assert verdict.status == ("holds" if k == 0 else "fails")


def test_noisy_flat_heap_still_reads_as_constant():
    peaks = {"tiny": 98_000, "small": 101_000, "medium": 96_000, "large": 99_500}
    records = [record(t, STREAMING, peak=p) for t, p in peaks.items()]
    verdict = judge(get_claim("statistics-1m"), records).verdict
    assert abs(verdict.exponent) < 0.1 and verdict.status == "holds", verdict.reason
    assert "± 0.02 (4 tiers)" in verdict.reason


def test_a_growth_bound_inside_the_fits_uncertainty_is_inconclusive():
    """Three noisy tiers leave one degree of freedom: n^-0.00 ± 0.14 cannot say <= 0.1."""
    claim = get_claim("statistics-1m")
    peaks = {"small": 101_000, "medium": 96_000, "large": 99_500}
    records = [record(t, STREAMING, peak=p) for t, p in peaks.items()]
    verdict = judge(claim, records).verdict
    assert verdict.status == "inconclusive"
    assert "n^-0.00 ± 0.14 (3 tiers): the bound lies inside the 95% interval" in verdict.reason
    steep = {"small": 100_000, "medium": 330_000, "large": 980_000}  # about n^0.5: clearly above
    verdict = judge(claim, [record(t, STREAMING, peak=p) for t, p in steep.items()]).verdict
    assert verdict.status == "fails", verdict.reason
    two = judge(claim, [record(t, STREAMING, peak=100_000) for t in ("medium", "large")]).verdict
    assert two.status == "inconclusive" and "no error estimate" in two.reason


def test_a_time_growth_fits_every_timed_repeat():
    """Each repeat is a point: three tiers of five timings give 13 degrees of freedom, not one."""
    claim = get_claim("transaction")
    choices = {"money": "decimal", "store": "memory", "replay": "full", "lookup": "dict", "apply": "row"}
    sizes = {"tiny": 1_000, "small": 10_000, "medium": 100_000}

    def runs(per_item):  # per_item(n): seconds a transaction
        return [
            record(t, choices, system="finance", n=n, median=per_item(n) * n, peak=None)
            for t, n in sizes.items()
        ]

    flat = judge(claim, runs(lambda n: 20e-6)).verdict
    assert flat.status == "holds", flat.reason
    assert "(3 tiers, 15 timings)" in flat.reason
    growing = judge(claim, runs(lambda n: 20e-6 * (n / 1e3) ** 0.2)).verdict
    assert growing.status == "fails" and "n^0.20" in growing.reason, growing.reason
