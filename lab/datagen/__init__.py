"""Deterministic synthetic data, streamed, with bad-row injection."""

from lab.datagen.transactions import (
    BAD_KINDS,
    CATEGORIES,
    COLUMNS,
    Dataset,
    data_dir,
    ensure_transactions,
    open_stream,
    transaction_blocks,
)

__all__ = [
    "BAD_KINDS",
    "CATEGORIES",
    "COLUMNS",
    "Dataset",
    "data_dir",
    "ensure_transactions",
    "open_stream",
    "transaction_blocks",
]
