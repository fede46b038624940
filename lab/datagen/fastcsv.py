"""Transaction CSV bytes made by numpy, fast enough to stream a billion rows.

Every row is laid out in a fixed-width byte matrix (numbers right-aligned, their
leading positions left as NUL), then the NULs are dropped: the rows come out as
CSV bytes with no Python object per row. Row ``i`` depends only on ``(seed, i //
block_rows)``, so any range of rows is reproducible on its own: ``block_rows`` is
:data:`BLOCK_ROWS` for stored files and the much smaller :data:`STREAM_BLOCK_ROWS` for
streams, whose generator must not weigh in a peak heap measured in kilobytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np

__all__ = ["BLOCK_ROWS", "STREAM_BLOCK_ROWS", "csv_rows", "stream_blocks", "BlockStream"]

#: Rows drawn from one random generator: the unit of determinism of stored files.
BLOCK_ROWS = 1 << 16
#: The same for generated streams: about 250 bytes of heap per row while a block is made,
#: so a block of 1,024 rows peaks near 260 KB, at the same cost per row as larger blocks.
STREAM_BLOCK_ROWS = 1 << 10
_EPOCH_DAY = 20454  # 2026-01-01 as days since 1970-01-01; both generators start there


_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)


def _digits(values: np.ndarray, width: int, pad: int = 0) -> np.ndarray:
    """``values`` as a ``(n, width)`` byte matrix of ASCII digits, right-aligned, two at a time.

    Leading positions are ``pad`` (0: dropped later; 48: kept as zeros).
    """
    v = values.astype(np.uint32 if values.max(initial=0) < 2**32 else np.uint64)
    pairs = -(-width // 2)
    out = np.empty((len(v), 2 * pairs), np.uint8)
    for j in range(pairs - 1, -1, -1):
        out[:, 2 * j : 2 * j + 2] = _PAIRS[v % 100]
        v = v // 100
    out = out[:, 2 * pairs - width :]
    if pad != 48:
        powers = 10 ** np.arange(width - 1, 0, -1, dtype=np.int64)
        out[:, :-1][values[:, None] < powers] = pad
    return out


def _clock() -> np.ndarray:
    """``HH:MM:SS`` of every second of a day, as an ``(86400, 8)`` byte matrix."""
    s = np.arange(86_400, dtype=np.int64)
    colon = np.full((86_400, 1), 58, np.uint8)
    hours, minutes, secs = (_digits(x, 2, 48) for x in (s // 3600, s // 60 % 60, s % 60))
    return np.hstack([hours, colon, minutes, colon, secs])


_CLOCK: list[np.ndarray] = []


def _timestamps(first: int, n: int) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS`` of rows ``first..first+n`` (one every 7 seconds), as bytes."""
    if not _CLOCK:
        _CLOCK.append(_clock())
    seconds = np.arange(first, first + n, dtype=np.int64) * 7
    day_index = seconds // 86_400
    days, which = np.unique(day_index, return_inverse=True)
    dates = np.array(
        [np.frombuffer(str(np.datetime64(int(d) + _EPOCH_DAY, "D")).encode() + b"T", np.uint8) for d in days]
    )
    return np.hstack([dates[which], _CLOCK[0][seconds % 86_400]])


def _join(parts: list, n: int) -> np.ndarray:
    cols = [np.full((n, 1), p[0], np.uint8) if isinstance(p, bytes) else p for p in parts]
    return np.hstack(cols)


def csv_rows(
    first: int,
    n: int,
    users: int,
    seed: int,
    categories: tuple[str, ...],
    block_rows: int = BLOCK_ROWS,
) -> bytes:
    """Rows ``first..first+n`` (``first`` a multiple of ``block_rows``, ``n`` at most it)."""
    rng = np.random.default_rng([seed, first // block_rows])
    cents = np.rint(rng.lognormal(3.5, 1.0, n) * 100).astype(np.int64)
    category = rng.integers(0, len(categories), n)
    user = rng.integers(1, users + 1, n)
    width = max(len(c) for c in categories)
    names = np.zeros((len(categories), width), np.uint8)
    for i, c in enumerate(categories):
        names[i, : len(c)] = np.frombuffer(c.encode(), np.uint8)
    cents = np.minimum(cents, 10**9 - 1)  # seven integer digits at most (never reached in practice)
    ids = np.arange(first, first + n, dtype=np.int64)
    matrix = _join(
        [
            _digits(ids, len(str(first + n - 1))),
            b",",
            _digits(user, len(str(users))),
            b",",
            _digits(cents // 100, 7),
            b".",
            _digits(cents % 100, 2, 48),
            b",",
            names[category],
            b",",
            _timestamps(first, n),
            b"\n",
        ],
        n,
    )
    return matrix[matrix != 0].tobytes()


def stream_blocks(
    rows: int,
    users: int,
    seed: int,
    header: bytes,
    categories: tuple[str, ...],
    block_rows: int = BLOCK_ROWS,
) -> Iterator[bytes]:
    """The header, then every row in blocks of ``block_rows``."""
    yield header
    for first in range(0, rows, block_rows):
        yield csv_rows(first, min(block_rows, rows - first), users, seed, categories, block_rows)


class BlockStream(io.RawIOBase):
    """A readable binary stream over an iterator of byte blocks."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self.blocks = blocks
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not len(self.pending):
            block = next(self.blocks, None)
            if block is None:
                return 0
            self.pending = memoryview(block)
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n
