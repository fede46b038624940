"""experiments/recommend_figures.py at tiny: the table is written with every row (no speed asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "recommend_figures.py"


@pytest.fixture(scope="module")
def figures():
    spec = importlib.util.spec_from_file_location("recommend_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_has_every_row(figures, tmp_path):
    argv = ["--tier", "tiny", "--requests", "200", "--miss-requests", "5", "--queries", "10", "--repeat", "2"]
    path = figures.main([*argv, "--out", str(tmp_path)])
    assert path == tmp_path / "recommend_figures-tiny.md"
    text = path.read_text()
    assert "python experiments/recommend_figures.py --tier tiny" in text
    lines = text.splitlines()
    for label in figures.ROWS:
        section, name = label.split(": ", 1)
        assert f"## {section}" in lines
        row = next((line for line in lines if line.startswith(f"| {name} |")), None)
        assert row is not None, f"no row {label!r}"
        assert "not measured" not in row
    assert "## goals (the issue's)" in lines
