"""Great-circle distances and unit-sphere coordinates, vectorised with numpy.

Nearest-neighbour searches (coastline, ports, vessel pairs) run on 3-D unit-sphere points in a KD-tree:
the straight-line (chord) distance there is monotonic in the great-circle distance, so a radius in metres
converts exactly with `chord_for_m`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
M_PER_NM = 1852.0
MS_PER_KN = M_PER_NM / 3600.0

FloatArray = npt.NDArray[np.float64]


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres between (lat1, lon1) and (lat2, lon2), degrees, broadcast."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def consecutive_m(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """`haversine_m` between each point and the next (n - 1 values, bit-identical to it), with one
    cosine per point instead of two per pair and no temporaries beyond three arrays."""
    p = np.radians(np.asarray(lat, dtype=np.float64))
    c = np.cos(p)
    s1 = np.sin((p[1:] - p[:-1]) / 2.0)
    s1 *= s1
    s2 = np.sin(np.radians(np.diff(np.asarray(lon, dtype=np.float64))) / 2.0)
    s2 *= s2
    cc = c[:-1] * c[1:]
    cc *= s2
    s1 += cc
    np.clip(s1, 0.0, 1.0, out=s1)
    np.sqrt(s1, out=s1)
    np.arcsin(s1, out=s1)
    s1 *= 2.0 * EARTH_RADIUS_M
    return s1


def unit_xyz(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """(n, 3) points on the unit sphere for latitudes/longitudes in degrees."""
    p = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cp = np.cos(p)
    return np.column_stack((cp * np.cos(lam), cp * np.sin(lam), np.sin(p)))


def chord_for_m(distance_m: float) -> float:
    """Unit-sphere chord length for a great-circle distance in metres."""
    return float(2.0 * np.sin(min(distance_m / EARTH_RADIUS_M, np.pi) / 2.0))


def m_for_chord(chord: npt.ArrayLike) -> FloatArray:
    """Great-circle metres for unit-sphere chord lengths (inverse of `chord_for_m`)."""
    c = np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0)
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(c), dtype=np.float64)


def haversine_1(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Scalar `haversine_m` (same formula) for the live paths, without numpy overhead."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2.0) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
