"""Measurement noise: isotropic variance (k,) or a full 2x2 east/north covariance (k,3: xx, xy, yy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def as_cov(r: Array) -> Array:
    """(k,) isotropic variances or (k,3) covariances -> (k,3) [xx, xy, yy]."""
    r = np.asarray(r, dtype=float)
    if r.ndim == 2:
        return r
    return np.column_stack([r, np.zeros_like(r), r])


def polar_cov(range_sigma_m: ArrayLike, cross_sigma_m: ArrayLike, bearing_deg: ArrayLike) -> Array:
    """East/north covariance of a radar position: `range_sigma_m` along the bearing, `cross_sigma_m` across.

    With u = (sin b, cos b) along the bearing and v = (cos b, -sin b) across: R = sr² u uᵀ + sc² v vᵀ.
    """
    b = np.radians(np.asarray(bearing_deg, dtype=float))
    sr2 = np.square(np.asarray(range_sigma_m, dtype=float))
    sc2 = np.square(np.asarray(cross_sigma_m, dtype=float))
    s, c = np.sin(b), np.cos(b)
    return np.column_stack([sr2 * s * s + sc2 * c * c, (sr2 - sc2) * s * c, sr2 * c * c + sc2 * s * s])
