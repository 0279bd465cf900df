"""MMSI validity (ITU-R M.585): the forms a real transmitter can have.

Valid: ships `MIDxxxxxx`, groups `0MIDxxxxx`, coast stations `00MIDxxxx`, SAR aircraft `111MIDxxx`,
handhelds `8MIDxxxxx`, craft associated with a parent ship `98MIDxxxx`, aids to navigation `99MIDxxxx`,
SART / MOB / EPIRB-AIS `970xxxxxx`, `972xxxxxx`, `974xxxxxx`; MID in 201…775. Anything else (fewer or
more than 9 digits, an unallocated MID range, test numbers such as 0 or 123456789 with MID 123) is invalid.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MID_MIN, MID_MAX = 201, 775


def _mid_ok(mid: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    return np.asarray((mid >= MID_MIN) & (mid <= MID_MAX))


def valid_mmsi(mmsi: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Vectorised validity of MMSIs (int64; negative or null-as-negative is invalid)."""
    m = np.atleast_1d(np.asarray(mmsi, dtype=np.int64))
    in_range = (m >= 0) & (m <= 999_999_999)
    first = m // 100_000_000
    ship = (first >= 2) & (first <= 7) & _mid_ok(m // 1_000_000)
    coast = (m < 10_000_000) & _mid_ok((m // 10_000) % 1000)  # 00MIDxxxx
    group = (first == 0) & (m >= 10_000_000) & _mid_ok((m // 100_000) % 1000)  # 0MIDxxxxx
    sar = (m // 1_000_000 == 111) & _mid_ok((m // 1000) % 1000)  # 111MIDxxx
    handheld = (first == 8) & _mid_ok((m // 100_000) % 1000)  # 8MIDxxxxx
    craft = (m // 10_000_000 == 98) & _mid_ok((m // 10_000) % 1000)  # 98MIDxxxx
    aton = (m // 10_000_000 == 99) & _mid_ok((m // 10_000) % 1000)  # 99MIDxxxx
    sart = np.isin(m // 1_000_000, (970, 972, 974))
    return np.asarray(in_range & (ship | coast | group | sar | handheld | craft | aton | sart))


def _mid(m: int) -> bool:
    return MID_MIN <= m <= MID_MAX


def is_valid_mmsi(mmsi: int) -> bool:
    """Scalar form of `valid_mmsi` (same rules)."""
    m = int(mmsi)
    if not 0 <= m <= 999_999_999:
        return False
    first = m // 100_000_000
    return (
        (2 <= first <= 7 and _mid(m // 1_000_000))
        or (m < 10_000_000 and _mid((m // 10_000) % 1000))
        or (first == 0 and m >= 10_000_000 and _mid((m // 100_000) % 1000))
        or (m // 1_000_000 == 111 and _mid((m // 1000) % 1000))
        or (first == 8 and _mid((m // 100_000) % 1000))
        or (m // 10_000_000 in (98, 99) and _mid((m // 10_000) % 1000))
        or m // 1_000_000 in (970, 972, 974)
    )
