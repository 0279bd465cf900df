"""Compiled (numba) loops for the bulk AIS decoder's two hottest steps, each giving exactly what the
numpy code in `ais_fast` computes (that module keeps the numpy code as the fallback when numba is
missing, and `ais_fast.USE_KERNELS` switches between them):

- `sentence_fields`: per line, the six comma positions of a `!xxVDM`/`!xxVDO` sentence and whether it
  is a well-formed candidate (`,F*HH` after the sixth comma, fragment count/number, short sequence id
  and channel, hex checksum that matches when asked), in one pass over each line's bytes instead of
  ~20 whole-array passes;
- `group_fields`: per message of one (type, bit length) group, the payload characters de-armoured
  (from one or two fragments), whether any is outside the armour, and every non-text field extracted
  (offset, width, signedness) and converted as the numpy path does (lookup tables, pyais's scalings),
  without building character matrices.

Compiled on first use and cached in `__pycache__` (`cache=True`): the first run in a fresh checkout
pays the compilation (a few seconds), later processes load it.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

try:
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover - numba is a dependency; the numpy path stays the fallback
    AVAILABLE = False


def _sentence_fields(
    buf: np.ndarray, s: np.ndarray, e: np.ndarray, cand: np.ndarray, hexv: np.ndarray, check: bool
) -> tuple[np.ndarray, np.ndarray]:
    n = len(s)
    commas = np.zeros((6, n), dtype=np.int64)
    ok = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if not cand[i]:
            continue
        a = s[i]
        b = e[i]
        k = 0
        xor = 0
        j = a + 1
        while j < b and k < 6:
            c = buf[j]
            if c == 44:
                commas[k, i] = j
                k += 1
            xor ^= c
            j += 1
        if k < 6:
            continue
        c0 = commas[0, i]
        c1 = commas[1, i]
        c2 = commas[2, i]
        c3 = commas[3, i]
        c4 = commas[4, i]
        c5 = commas[5, i]
        if c0 != a + 6 or b != c5 + 5 or buf[c5 + 2] != 42:
            continue
        fill = np.int64(buf[c5 + 1]) - 48
        if fill < 0 or fill > 5:
            continue
        cnt = buf[c0 + 1]
        num = buf[c1 + 1]
        if c1 != c0 + 2 or c2 != c1 + 2 or cnt < 49 or cnt > 50 or num < 49 or num > 50 or num > cnt:
            continue
        if c3 - c2 > 2 or c4 - c3 > 2:
            continue
        if buf[a + 1] >= 128 or buf[a + 2] >= 128 or buf[c2 + 1] >= 128 or buf[c3 + 1] >= 128:
            continue
        h1 = hexv[buf[c5 + 3]]
        h2 = hexv[buf[c5 + 4]]
        if h1 < 0 or h2 < 0:
            continue
        if check:
            xor ^= buf[c5 + 1]  # the scan stopped at the sixth comma: add the fill digit
            if xor != h1 * 16 + h2:
                continue
        ok[i] = True
    return commas, ok


# What `group_fields` does with a field's raw value (the numpy path's converters, see ais_fast):
RAW = 0  # the raw integer (then converted in Python when the field needs it)
FLOAT = 1  # float(raw)
BOOL = 2  # raw != 0
TAB_INT = 3  # int table lookup by raw value (+ 2**(width-1) when signed)
TAB_FLOAT = 4  # float table lookup
TAB_BOOL = 5  # bool table lookup (stored 0/1 in the int tables)
SCALED = 6  # ((param * raw + 3) // 6) / 1e6 (pyais to_lat_lon*)
DIV = 7  # raw / param (pyais to_speed, to_10th, to_100th)


def _group_fields(
    buf: np.ndarray,
    armour: np.ndarray,
    p1_start: np.ndarray,
    p1_len: np.ndarray,
    p2_start: np.ndarray,
    n_chars: int,
    ops: np.ndarray,
    params: np.ndarray,
    tab_i: np.ndarray,
    tab_f: np.ndarray,
    n_out: np.ndarray,
    want_sextets: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`ops` rows: offset, width, signed, mode, output row, table offset; `n_out`: how many int, float
    and bool output rows. Returns those rows (bools as 0/1), the rows with a character outside the
    armour, and the 6-bit values (when wanted)."""
    n = len(p1_start)
    n_ops = ops.shape[0]
    ints = np.empty((n_out[0], n), dtype=np.int64)
    floats = np.empty((n_out[1], n), dtype=np.float64)
    bools = np.empty((n_out[2], n), dtype=np.uint8)
    bad = np.zeros(n, dtype=np.bool_)
    sext = np.zeros((n if want_sextets else 0, n_chars), dtype=np.uint8)
    n_words = (6 * n_chars + 63) // 64 + 1
    words = np.zeros(n_words, dtype=np.uint64)
    for i in range(n):
        for w in range(n_words):
            words[w] = 0
        first = p1_len[i]
        for k in range(n_chars):
            c = buf[p1_start[i] + k] if k < first else buf[p2_start[i] + k - first]
            v = armour[c]
            if v == 255:
                bad[i] = True
            v &= 63
            if want_sextets:
                sext[i, k] = v
            bit = 6 * k
            w = bit >> 6
            off = bit & 63
            if off <= 58:
                words[w] |= np.uint64(v) << np.uint64(58 - off)
            else:
                words[w] |= np.uint64(v) >> np.uint64(off - 58)
                words[w + 1] |= np.uint64(v) << np.uint64(122 - off)
        for f in range(n_ops):
            offset = ops[f, 0]
            width = ops[f, 1]
            j = offset >> 6
            off = offset & 63
            avail = 64 - off
            if width <= avail:
                val = (words[j] >> np.uint64(avail - width)) & np.uint64((1 << width) - 1)
            else:
                lo = width - avail
                val = ((words[j] & np.uint64((1 << avail) - 1)) << np.uint64(lo)) | (
                    words[j + 1] >> np.uint64(64 - lo)
                )
            raw = np.int64(val)
            if ops[f, 2] != 0:
                half = np.int64(1) << (width - 1)
                if raw >= half:
                    raw -= np.int64(1) << width
                index = raw + half
            else:
                index = raw
            mode = ops[f, 3]
            row = ops[f, 4]
            if mode == RAW:
                ints[row, i] = raw
            elif mode == FLOAT:
                floats[row, i] = np.float64(raw)
            elif mode == BOOL:
                bools[row, i] = 1 if raw != 0 else 0
            elif mode == TAB_INT:
                ints[row, i] = tab_i[ops[f, 5] + index]
            elif mode == TAB_FLOAT:
                floats[row, i] = tab_f[ops[f, 5] + index]
            elif mode == TAB_BOOL:
                bools[row, i] = tab_i[ops[f, 5] + index]
            elif mode == SCALED:
                num = np.int64(params[f])
                floats[row, i] = ((num * raw + 3) // 6) / 1e6
            else:
                floats[row, i] = raw / params[f]
    return ints, floats, bools, bad, sext


if AVAILABLE:
    sentence_fields: Any = numba.njit(cache=True, nogil=True)(_sentence_fields)
    group_fields: Any = numba.njit(cache=True, nogil=True)(_group_fields)
else:  # pragma: no cover
    sentence_fields = _sentence_fields
    group_fields = _group_fields
