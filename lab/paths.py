"""Where lab keeps generated data and results."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "results_dir"]


def data_dir() -> Path:
    """Generated input data (``LAB_DATA_DIR``, default ``data``; never committed)."""
    return Path(os.environ.get("LAB_DATA_DIR", "data"))


def results_dir() -> Path:
    """Measurement records and reports (``LAB_RESULTS_DIR``, default ``results``)."""
    return Path(os.environ.get("LAB_RESULTS_DIR", "results"))
