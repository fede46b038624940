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
"""

from __future__ import annotations

import numpy as np

__all__ = ["parse_block", "field_bounds", "parse_decimals", "encode_keys", "swar_decimals", "swar_keys"]

_DIGITS_MAX = 15
_WIDTH_MAX = 17
_POW10 = 10.0 ** np.arange(_WIDTH_MAX + 1)
_SLOTS_BITS = 10
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], np.uint64)


def _separators(arr: np.ndarray, delimiter: int, width: int, crlf: bool) -> np.ndarray | None:
    """Positions of every delimiter and newline as a ``(lines, width)`` array, or ``None``
    unless every line holds exactly ``width - 1`` delimiters."""
    if delimiter <= 44 and not crlf:  # one comparison finds both; stray low bytes fail the check
        seps = _shaped(arr, np.flatnonzero(arr <= 44), delimiter, width)
        if seps is not None:
            return seps
    return _shaped(arr, np.flatnonzero((arr == 10) | (arr == delimiter)), delimiter, width)


def _shaped(arr: np.ndarray, seps: np.ndarray, delimiter: int, width: int) -> np.ndarray | None:
    if len(seps) % width:
        return None
    seps = seps.reshape(-1, width)
    kinds = arr[seps]
    if not (kinds[:, -1] == 10).all() or (width > 1 and not (kinds[:, :-1] == delimiter).all()):
        return None
    return seps


def field_bounds(
    seps: np.ndarray, arr: np.ndarray, index: int, origin: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of field ``index`` on every line; a CRLF's CR is not part of it.

    ``origin`` is where the first line starts in ``arr``.
    """
    ends = seps[:, index]
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
    packed = chars.view(np.uint64)
    mixed = packed[:, 0] * _MIX[0]
    for w in range(1, words):
        mixed ^= packed[:, w] * _MIX[w % len(_MIX)]
    slot = (mixed >> np.uint64(64 - _SLOTS_BITS)).astype(np.intp)
    used = np.flatnonzero(np.bincount(slot, minlength=1 << _SLOTS_BITS))
    if len(used) <= 64:
        reps = np.array([int(np.argmax(slot == s)) for s in used], dtype=np.intp)
        remap = np.zeros(1 << _SLOTS_BITS, dtype=np.intp)
        remap[used] = np.arange(len(used))
        codes = remap[slot]
        if (packed == packed[reps[codes]]).all():
            order = np.argsort(reps, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            return _decode(chars, lens, reps[order]), rank[codes]
    uniq, first, codes = np.unique(
        np.ascontiguousarray(chars).view(f"V{words * 8}").ravel(), return_index=True, return_inverse=True
    )
    return _decode(chars, lens, first), codes.reshape(n).astype(np.intp)


def _decode(chars: np.ndarray, lens: np.ndarray, rows: np.ndarray) -> list[str]:
    return [chars[r, : lens[r]].tobytes().decode("utf-8") for r in rows]


def _windows(arr: np.ndarray) -> np.ndarray:
    """Every 8-byte little-endian word of ``arr``, one starting at each byte."""
    return np.ndarray(shape=(len(arr) - 7,), dtype="<u8", buffer=arr, strides=(1,))


def _byte_masks() -> np.ndarray:
    """``_MASKS[k]``: the low ``k`` bytes of a word set, for k in 0..8."""
    return np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


_MASKS = _byte_masks()
_ZEROS = np.uint64(0x3030303030303030)


def swar_decimals(
    arr: np.ndarray, words: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray | None:
    """:func:`parse_decimals` for fields of at most 8 bytes sharing one format, eight bytes at a time.

    ``words`` is :func:`_windows` of ``arr``, which has at least 8 bytes before the first field.
    """
    lens = ends - starts
    if len(lens) == 0 or lens.max() > 8:
        return None
    negative = arr[starts] == 45
    body = lens - negative
    if body.min() < 1:
        return None
    top = ~_MASKS[8 - body]  # the body's bytes are the top ``body`` bytes of the word ending at ``ends``
    w = (words[ends - 8] & top) | (_ZEROS & ~top)
    first = bytes(arr[ends[0] - body[0] : ends[0]])
    point = first.find(b".")
    scale = 0
    if point >= 0:
        scale = len(first) - 1 - point
        shift = np.uint64(8 * (7 - scale))
        if not (((w >> shift) & np.uint64(0xFF)) == 46).all() or body.min() < 2:
            return None
        below = w & _MASKS[7 - scale]
        w = (w & ~_MASKS[8 - scale]) | (below << np.uint64(8)) | np.uint64(0x30)
    check = (w & np.uint64(0xF0F0F0F0F0F0F0F0)) | (
        ((w + np.uint64(0x0606060606060606)) & np.uint64(0xF0F0F0F0F0F0F0F0)) >> np.uint64(4)
    )
    if not (check == np.uint64(0x3333333333333333)).all():
        return None
    w = ((w & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(2561)) >> np.uint64(8)
    w = ((w & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
    w = ((w & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(32)
    out = w.astype(np.float64) / _POW10[scale]
    return np.where(negative, -out, out)


def swar_keys(
    arr: np.ndarray, words: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[list[str], np.ndarray] | None:
    """:func:`encode_keys` for fields of at most 16 bytes and few distinct values, or ``None``."""
    lens = ends - starts
    if len(lens) == 0 or lens.max() > 16:
        return None
    low = words[starts] & _MASKS[np.minimum(lens, 8)]
    high = words[starts + 8] & _MASKS[np.clip(lens - 8, 0, 8)]
    slot = ((low * _MIX[0]) ^ (high * _MIX[1])) >> np.uint64(64 - _SLOTS_BITS)
    slot = slot.astype(np.intp)
    used = np.flatnonzero(np.bincount(slot, minlength=1 << _SLOTS_BITS))
    if len(used) > 64:
        return None
    reps = np.array([int(np.argmax(slot == s)) for s in used], dtype=np.intp)
    remap = np.zeros(1 << _SLOTS_BITS, dtype=np.intp)
    remap[used] = np.arange(len(used))
    codes = remap[slot]
    if not ((low == low[reps][codes]).all() and (high == high[reps][codes]).all()):
        return None
    keys = [arr[starts[r] : ends[r]].tobytes().decode("utf-8") for r in reps]
    return keys, codes


_PAD = b"\0" * 8


def parse_block(
    block: bytes, delimiter: str, width: int, value_index: int, key_index: int | None
) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    """``(keys, codes, values)`` of a block of whole lines, one record each, or ``None`` when unsure."""
    if b'"' in block or b"\x00" in block:
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
    padded = np.frombuffer(b"".join((_PAD, block, end, _PAD, _PAD)), dtype=np.uint8)
    arr = padded[8 : len(padded) - 16]
    seps = _separators(arr, ord(delimiter), width, crs > 0)
    if seps is None:
        return None
    seps += 8
    lines = len(seps)
    words = _windows(padded)
    starts, ends = field_bounds(seps, padded, value_index, 8)
    values = swar_decimals(padded, words, starts, ends)
    if values is None:
        values = parse_decimals(padded, starts, ends)
        if values is None:
            return None
    if key_index is None:
        return [""], np.zeros(lines, dtype=np.intp), values
    starts, ends = field_bounds(seps, padded, key_index, 8)
    found = swar_keys(padded, words, starts, ends)
    keys, codes = found if found is not None else encode_keys(padded, starts, ends)
    return keys, codes, values
