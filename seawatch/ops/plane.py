"""A local flat plane in nautical miles, and the closed-form intercept in it.

Patrol work happens within a few hundred nm of a base: an equirectangular plane centred on the area
(x east, y north, nm; 1' of latitude = 1 nm) is within ~0.3 % of the ellipsoid's distances over
200 nm at Caribbean latitudes, far inside the uncertainty of a target's course and speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
NM_PER_DEG_LAT = 60.0
M_PER_NM = 1852.0
KN_PER_MPS = 3600.0 / M_PER_NM


@dataclass(frozen=True)
class LocalPlane:
    """Equirectangular projection centred on (lat0, lon0), in nautical miles."""

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return NM_PER_DEG_LAT * math.cos(math.radians(self.lat0))

    def to_xy(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        dlon = (np.asarray(lon, dtype=np.float64) - self.lon0 + 180.0) % 360.0 - 180.0
        return dlon * self._kx, (np.asarray(lat, dtype=np.float64) - self.lat0) * NM_PER_DEG_LAT

    def to_latlon(self, x_nm: npt.ArrayLike, y_nm: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        lat = self.lat0 + np.asarray(y_nm, dtype=np.float64) / NM_PER_DEG_LAT
        lon = self.lon0 + np.asarray(x_nm, dtype=np.float64) / self._kx
        return lat, lon


def velocity_kn(cog_deg: float, sog_kn: float) -> tuple[float, float]:
    """(east, north) components in knots of a course over ground (degrees true) and speed."""
    rad = math.radians(cog_deg)
    return sog_kn * math.sin(rad), sog_kn * math.cos(rad)


def closed_form_intercept_h(
    dx_nm: float, dy_nm: float, vx_kn: float, vy_kn: float, speed_kn: float
) -> float | None:
    """Earliest t >= 0 (hours) with |d + v·t| = s·t: a pursuer at the origin with speed s meets a target
    at d moving at constant v. None when the target is never reached (faster and not closing).

    (v·v − s²) t² + 2 (d·v) t + d·d = 0: the smallest non-negative root."""
    a = vx_kn * vx_kn + vy_kn * vy_kn - speed_kn * speed_kn
    b = 2.0 * (dx_nm * vx_kn + dy_nm * vy_kn)
    c = dx_nm * dx_nm + dy_nm * dy_nm
    if c == 0.0:
        return 0.0
    if abs(a) < 1e-12:  # same speed: linear
        return -c / b if b < 0.0 else None
    disc = b * b - 4.0 * a * c
    if disc < 0.0:
        return None
    root = math.sqrt(disc)
    times = [t for t in ((-b - root) / (2.0 * a), (-b + root) / (2.0 * a)) if t >= 0.0]
    return min(times) if times else None
