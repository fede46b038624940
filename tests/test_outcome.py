"""Fingerprints: equal when answers agree to 9 significant digits; and the modules' own examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

from lab.outcome import Outcome, fingerprint, rounded


def test_fingerprint_ignores_differences_past_9_digits():
    assert fingerprint({"mean": 0.1 + 0.2}) == fingerprint({"mean": 0.3})
    assert fingerprint({"mean": 1.0000000001}) == fingerprint({"mean": 1.0})
    assert fingerprint({"mean": 1.00000001}) != fingerprint({"mean": 1.0})


def test_fingerprint_sees_structure_and_ignores_key_order():
    assert fingerprint({"a": 1, "b": [1.5, None]}) == fingerprint({"b": [1.5, None], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert fingerprint({"groups": {"x": 1}}) != fingerprint({"groups": {"y": 1}})
    assert len(fingerprint({})) == 16


def test_rounded_handles_nested_values_and_non_finite_floats():
    assert rounded({"a": [1.23456789012, (2.0, "s")], 3: None}) == {"a": [1.23456789, [2.0, "s"]], "3": None}
    assert rounded(float("nan")) == "nan" and rounded(float("-inf")) == "-inf"
    assert fingerprint({"v": float("nan")}) == fingerprint({"v": float("nan")})


def test_outcome_to_dict():
    o = Outcome({"x": 1.0}, fingerprint({"x": 1.0}), 3, {"rows_in": 3}, {"note": "n"})
    assert o.to_dict() == {
        "answer": {"x": 1.0},
        "fingerprint": o.fingerprint,
        "n": 3,
        "counts": {"rows_in": 3},
        "details": {"note": "n"},
    }


@pytest.mark.parametrize("module", ["lab.outcome", "lab.analytics.stats", "lab.measure.growth"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
