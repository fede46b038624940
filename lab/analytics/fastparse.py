"""Parsing a block of CSV bytes with numpy alone: no Python object per row or field.

:func:`parse_block` accepts a block only when it can vouch that the exact csv
path would read the same records: no quotes, no NUL bytes, valid UTF-8, every
carriage return part of a CRLF line end, every line with exactly the header's
number of fields, and every value a plain decimal (``-?digits[.digits]``, at
most 15 digits) that numpy turns into the same float as Python's ``float``.
Anything else returns ``None`` and the block takes the exact path.

A plain decimal with ``m`` (< 2**53) as its digits and ``f`` (<= 22) digits
after the point is ``m / 10**f``: both operands are exact doubles and IEEE
division rounds correctly, so the result is the correctly rounded value that
``float`` gives too (Clinger's fast path).

Values of at most 8 bytes and keys of at most 16 are read as whole words (SWAR)
from unaligned windows of the block; longer ones take a slower per-byte route that
is exact too.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "parse_block",
    "keep_heap",
    "field_bounds",
    "parse_decimals",
    "encode_keys",
    "swar_decimals",
    "swar_keys",
]

_DIGITS_MAX = 15
_WIDTH_MAX = 17
_POW10 = 10.0 ** np.arange(_WIDTH_MAX + 1)
_SLOTS_BITS = 12
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F], np.uint64)
#: Padding around a block, never a separator nor a digit: 8 bytes before it for the word
#: ending a value, 16 after it for the two words starting a key.
_BEFORE = b"\xff" * 8
_AFTER = b"\xff" * 16


#: glibc's largest dynamic mmap threshold on 64-bit systems.
_HEAP_MAX = 32 << 20
_heap = [0]


def keep_heap(nbytes: int) -> None:
    """Let the C allocator keep about ``nbytes`` of freed memory from one block to the next.

    glibc gives each freed allocation over 128 KiB back to the system, so every block's
    arrays would fault their pages in afresh (a third of the parsing time). Once an
    allocation of ``nbytes`` has been freed, it serves smaller ones from its heap and trims
    only beyond twice that (mallopt(3), dynamic mmap threshold); other allocators just see
    one short-lived array.
    """
    nbytes = min(nbytes, _HEAP_MAX)
    if nbytes > _heap[0]:
        np.empty(nbytes, dtype=np.uint8)  # allocated and freed at once
        _heap[0] = nbytes


def _separators(arr: np.ndarray, delimiter: int, width: int, crlf: bool) -> np.ndarray | None:
    """Positions of every delimiter and newline as a ``(lines, width)`` array, or ``None``
    unless every line holds exactly ``width - 1`` delimiters."""
    if delimiter <= 44 and not crlf:  # one comparison finds both; stray low bytes fail the check
        seps = _shaped(arr, np.flatnonzero(arr <= 44), delimiter, width)
        if seps is not None:
            return seps
    return _shaped(arr, np.flatnonzero((arr == 10) | (arr == delimiter)), delimiter, width)


def _shaped(arr: np.ndarray, seps: np.ndarray, delimiter: int, width: int) -> np.ndarray | None:
    lines, odd = divmod(len(seps), width)
    if odd or not lines:
        return None
    kinds = arr[seps]  # each line: width - 1 delimiters then its newline
    if not (kinds[width - 1 :: width] == 10).all():
        return None
    if width > 1 and np.count_nonzero(kinds == delimiter) != lines * (width - 1):
        return None
    return seps.reshape(lines, width)


def field_bounds(
    seps: np.ndarray, arr: np.ndarray, index: int, origin: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of field ``index`` on every line; a CRLF's CR is not part of it.

    ``origin`` is where the first line starts in ``arr``.
    """
    ends = np.ascontiguousarray(seps[:, index])
    if index == 0:
        starts = np.empty_like(ends)
        starts[0] = origin
        starts[1:] = seps[:-1, -1] + 1
    else:
        starts = seps[:, index - 1] + 1
    if index == seps.shape[1] - 1:
        ends = ends - (arr[np.maximum(ends - 1, 0)] == 13) * (ends > starts)
    return starts, ends


def parse_decimals(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """The float of each field ``arr[starts[i]:ends[i]]``, or ``None`` unless all are plain decimals."""
    lens = ends - starts
    if len(lens) == 0:
        return np.empty(0)
    width = int(lens.max())
    if width > _WIDTH_MAX or lens.min() < 1:
        return None
    cols = np.arange(width)
    idx = np.maximum(ends[:, None] - width + cols, 0)  # right-aligned: column = place value
    chars = arr[idx]
    inside = cols >= (width - lens)[:, None]
    digit = (chars - 48 < 10) & inside
    dot = (chars == 46) & inside
    first = chars[np.arange(len(lens)), width - lens]
    negative = first == 45
    sign = np.zeros_like(inside)
    sign[np.arange(len(lens)), width - lens] = negative
    if not (digit | dot | sign | ~inside).all():
        return None
    ndigits = digit.sum(axis=1)
    if ndigits.min() < 1 or ndigits.max() > _DIGITS_MAX or dot.sum(axis=1).max() > 1:
        return None
    has_dot = dot.any(axis=1)
    dot_col = np.where(has_dot, dot.argmax(axis=1), width)
    frac = width - 1 - np.minimum(dot_col, width - 1)
    frac[~has_dot] = 0
    values = np.where(digit, chars - 48, 0).astype(np.float64)
    if (dot_col == dot_col[0]).all():  # the usual case, one format: one matrix product
        place = (width - 1 - cols) - (cols < dot_col[0]) * has_dot[0]
        mantissa = values @ _POW10[np.maximum(place, 0)]
    else:
        place = (width - 1 - cols) - (cols < dot_col[:, None]) * has_dot[:, None]
        mantissa = (values * _POW10[np.maximum(place, 0)]).sum(axis=1)
    out = mantissa / _POW10[frac]
    return np.where(negative, -out, out)


def encode_keys(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct fields (decoded) and each line's index into them, in first-seen order."""
    lens = ends - starts
    n = len(lens)
    words = max(1, -(-int(lens.max(initial=0)) // 8))
    cols = np.arange(words * 8)
    idx = np.minimum(starts[:, None] + cols, len(arr) - 1)
    chars = np.where(cols < lens[:, None], arr[idx], 0).astype(np.uint8)
    uniq, first, codes = np.unique(
        np.ascontiguousarray(chars).view(f"V{words * 8}").ravel(), return_index=True, return_inverse=True
    )
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    keys = [chars[r, : lens[r]].tobytes().decode("utf-8") for r in first[order]]
    return keys, rank[codes.reshape(n)].astype(np.intp)


def _windows(arr: np.ndarray, size: int = 8) -> np.ndarray:
    """Every ``size`` bytes of ``arr`` as one opaque item, one starting at each byte.

    Gathering such items and viewing them as integers afterwards is several times faster
    than gathering from an unaligned integer view.
    """
    return np.ndarray(shape=(len(arr) - size + 1,), dtype=f"V{size}", buffer=arr, strides=(1,))


def _byte_masks() -> np.ndarray:
    """``_MASKS[k]``: the low ``k`` bytes of a word set, for k in 0..8."""
    return np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


_MASKS = _byte_masks()
_ZEROS = np.uint64(0x3030303030303030)
#: For a field of ``b`` bytes ending a word: keep its top ``b`` bytes (``_TOP[8 - b]``), and
#: fill the ``8 - b`` bytes below with ASCII zeros (``_FILL[8 - b]``).
_TOP = ~_MASKS
_FILL = _ZEROS & _MASKS
_F0 = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIXES = np.uint64(0x0606060606060606)
_THREES = np.uint64(0x3333333333333333)
_SWAR_STEPS = (
    (np.uint64(0x0F0F0F0F0F0F0F0F), np.uint64(2561), np.uint64(8)),
    (np.uint64(0x00FF00FF00FF00FF), np.uint64(6553601), np.uint64(16)),
    (np.uint64(0x0000FFFF0000FFFF), np.uint64(42949672960001), np.uint64(32)),
)


def swar_decimals(
    arr: np.ndarray, windows: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray | None:
    """:func:`parse_decimals` for fields of at most 8 bytes sharing one format, eight bytes at a time.

    ``windows`` is :func:`_windows` of ``arr``, which has at least 8 bytes before the first field.
    """
    lens = ends - starts
    if len(lens) == 0 or lens.max() > 8:
        return None
    negative = arr[starts] == 45
    signed = bool(negative.any())
    body = lens - negative if signed else lens
    if body.min() < 1:
        return None
    pad = 8 - body  # the body is the top ``body`` bytes of the word ending at ``ends``
    w = windows[ends - 8].view("<u8")
    w &= _TOP[pad]
    w |= _FILL[pad]
    first = bytes(arr[ends[0] - body[0] : ends[0]])
    point = first.find(b".")
    scale = 0
    if point >= 0:
        scale = len(first) - 1 - point
        at = np.uint64(8 * (7 - scale))
        if body.min() < 2 or not ((w & (np.uint64(0xFF) << at)) == (np.uint64(46) << at)).all():
            return None
        # drop the point: the integer digits below it move up one byte, a zero fills byte 0
        low = w & _MASKS[7 - scale]
        low *= np.uint64(255)
        w += low
        w += np.uint64((0x30 - (46 << int(at))) % (1 << 64))
    check = w + _SIXES
    check &= _F0
    check >>= np.uint64(4)
    check |= w & _F0
    if not (check == _THREES).all():
        return None
    for mask, mul, shift in _SWAR_STEPS:
        w &= mask
        w *= mul
        w >>= shift
    out = w.astype(np.float64)
    if scale:
        out /= _POW10[scale]
    if signed:
        np.negative(out, out=out, where=negative)
    return out


def _key_masks(part: int) -> np.ndarray:
    """``[length]``: the bytes of word ``part`` (0 or 1) that a key of that length covers."""
    return _MASKS[np.clip(np.arange(17) - 8 * part, 0, 8)]


_KEY_MASKS = (_key_masks(0), _key_masks(1))


def swar_keys(
    arr: np.ndarray, windows16: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[list[str], np.ndarray] | None:
    """:func:`encode_keys` for fields of at most 16 bytes and few distinct values, or ``None``.

    ``windows16`` is :func:`_windows` of ``arr`` with 16 bytes each. Each key's bytes are two
    words (zero past its end: no NUL byte may occur), hashed to a slot; every line's words
    are then compared with those of its slot's representative.
    """
    lens = ends - starts
    n = len(lens)
    if n == 0 or lens.max() > 16:
        return None
    pair = windows16[starts].view("<u8").reshape(n, 2)
    parts = [pair[:, 0] & _KEY_MASKS[0][lens], pair[:, 1] & _KEY_MASKS[1][lens]]
    mixed = parts[0] * _MIX[0]
    mixed ^= parts[1] * _MIX[1]
    mixed >>= np.uint64(64 - _SLOTS_BITS)
    slot = mixed.astype(np.intp)
    rep = np.full(1 << _SLOTS_BITS, -1, dtype=np.intp)
    rep[slot] = np.arange(n)
    used = np.flatnonzero(rep >= 0)
    if len(used) > 64:
        return None
    line = rep[slot]  # each line's representative: a line with the same slot
    for part in parts:
        if not (part[line] == part).all():
            return None
    remap = np.zeros(1 << _SLOTS_BITS, dtype=np.intp)
    remap[used] = np.arange(len(used))
    keys = [arr[starts[r] : ends[r]].tobytes().decode("utf-8") for r in rep[used]]
    return keys, remap[slot]


def parse_block(
    block: bytes, delimiter: str, width: int, value_index: int, key_index: int | None
) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    """``(keys, codes, values)`` of a block of whole lines, one record each, or ``None`` when unsure."""
    if b'"' in block or b"\x00" in block or ord(delimiter) > 127:
        return None
    if not block.isascii():
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            return None
    crs = block.count(b"\r") if b"\r" in block else 0
    if crs and crs != block.count(b"\r\n"):
        return None
    end = b"" if block.endswith(b"\n") else b"\n"
    arr = np.frombuffer(b"".join((_BEFORE, block, end, _AFTER)), dtype=np.uint8)
    seps = _separators(arr, ord(delimiter), width, crs > 0)
    if seps is None:
        return None
    lines = len(seps)
    windows = _windows(arr)
    starts, ends = field_bounds(seps, arr, value_index, len(_BEFORE))
    values = swar_decimals(arr, windows, starts, ends)
    if values is None:
        values = parse_decimals(arr, starts, ends)
        if values is None:
            return None
    if key_index is None:
        return [""], np.zeros(lines, dtype=np.intp), values
    starts, ends = field_bounds(seps, arr, key_index, len(_BEFORE))
    found = swar_keys(arr, _windows(arr, 16), starts, ends)
    keys, codes = found if found is not None else encode_keys(arr, starts, ends)
    return keys, codes, values
