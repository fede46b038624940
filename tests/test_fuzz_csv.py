"""A thousand generated hostile CSV files through every reader, against an independent reading.

The generator and the checks are in :mod:`fuzz_csv`; ``python -m tests.fuzz_csv --files 100000``
runs a longer campaign. ``LAB_FUZZ_FILES`` changes how many files this test checks.
"""

from __future__ import annotations

import os
import warnings

import pytest
from fuzz_csv import expect, fuzz, make_file

FILES = int(os.environ.get("LAB_FUZZ_FILES", "1000"))


def test_generated_files_agree_with_an_independent_reading():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a reader's warning is a finding too
        report = fuzz(FILES)
    assert report.files == FILES and not report.failures
    assert report.runs >= 5 * FILES + FILES // 10


def test_the_generator_is_hostile_enough():
    """The files hold what the fuzz is for: bad rows, groups, every delimiter and line end."""
    files = [make_file(seed) for seed in range(300)]
    expected = [expect(data, d, grouped) for data, d, grouped, _ in files]
    assert sum(1 for e in expected if e.bad_lines) > 100
    assert sum(1 for e in expected if len(e.values) > 3) > 50
    assert {d for _, d, _, _ in files} == {",", ";", "\t", "|"}
    blob = b"".join(data for data, *_ in files)
    for needle in (b"\r\n", b"\r", b'"', b"\x00", b"\xff", b"\xef\xbb\xbf", b"1_000", b"\xc2\xa05"):
        assert needle in blob, needle


@pytest.mark.parametrize("seed", [0, 1])
def test_the_generator_is_deterministic(seed):
    assert make_file(seed) == make_file(seed)
