"""Where lab keeps generated data and results."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "results_dir"]


def data_dir() -> Path:
    """Generated input data (``LAB_DATA_DIR``, default ``data``; never committed)."""
    return Path(os.environ.get("LAB_DATA_DIR", "data"))


#: Where a user's own runs go by default: beside the published results, never tracked by git.
LOCAL_RESULTS = Path("results") / "local"


def results_dir() -> Path:
    """Measurement records and reports (``LAB_RESULTS_DIR``, default ``results/local``, which git
    ignores; the committed reference is ``results/``, written by ``make publish``)."""
    return Path(os.environ.get("LAB_RESULTS_DIR") or LOCAL_RESULTS)
