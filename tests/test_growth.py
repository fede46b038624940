"""The harness fits how peak heap grows across tiers: flat when streaming, linear for ``list``."""

from __future__ import annotations

from lab.analytics import SYSTEM
from lab.harness import memory_growth
from lab.tiers import TIERS

TIER_NAMES = ("small", "medium")


def test_streaming_reader_is_flat_and_list_reader_linear():
    tiers = [TIERS[n] for n in ("tiny", *TIER_NAMES)]
    flat = memory_growth(SYSTEM, tiers[1:], {"reader": "bytes", "stats": "chan"}, {"chunk_size": 500})
    linear = memory_growth(SYSTEM, tiers, {"reader": "list", "stats": "welford"})
    assert set(flat.peaks) == set(TIER_NAMES)
    assert flat.exponent is not None and flat.exponent < 0.1, flat
    assert linear.exponent is not None and linear.exponent > 0.8, linear
