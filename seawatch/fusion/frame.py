"""The local metric frame the tracker works in: azimuthal equidistant around an origin (pyproj).

Distances from the origin are exact; within ~1,000 km the scale error across is under 0.5 %, so a
national picture (or the whole Caribbean basin, with the origin at its centre) is tracked in metres.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer


class LocalFrame:
    """East/north metres around (lat0, lon0) and back, vectorised."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0 = float(lat0)
        self.lon0 = float(lon0)
        proj = f"+proj=aeqd +lat_0={self.lat0} +lon_0={self.lon0} +datum=WGS84 +units=m +no_defs"
        self._fwd = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
        self._inv = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)

    def to_en(self, lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        e, n = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(e, dtype=float), np.asarray(n, dtype=float)

    def to_latlon(self, e: ArrayLike, n: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lon, lat = self._inv.transform(np.asarray(e, dtype=float), np.asarray(n, dtype=float))
        return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)


def velocity_en(sog_kn: ArrayLike, cog_deg: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Reported speed/course to east/north m/s (NaN where unknown)."""
    v = np.asarray(sog_kn, dtype=float) * (1852.0 / 3600.0)
    c = np.radians(np.asarray(cog_deg, dtype=float))
    return v * np.sin(c), v * np.cos(c)


def sog_cog(ve: ArrayLike, vn: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """East/north m/s to speed (kn) and course (deg true)."""
    ve_a, vn_a = np.asarray(ve, dtype=float), np.asarray(vn, dtype=float)
    sog = np.hypot(ve_a, vn_a) * (3600.0 / 1852.0)
    cog = np.degrees(np.arctan2(ve_a, vn_a)) % 360.0
    return sog, cog
