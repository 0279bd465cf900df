"""Update: Kalman update of the assigned tracks with position measurements, all at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from seawatch.fusion.noise import as_cov

Array = NDArray[np.float64]


def update(x: Array, p: Array, z: Array, r_var: Array) -> tuple[Array, Array]:
    """States x (k,4), covariances p (k,4,4) updated with positions z (k,2); noise r_var (k,) isotropic
    variance or (k,3) covariance xx, xy, yy.

    H = [I 0]; the 2x2 innovation covariance is inverted in closed form and the products written out
    (broadcasting, no per-track matrix calls).
    """
    r = as_cov(r_var)
    s00 = p[:, 0, 0] + r[:, 0]
    s11 = p[:, 1, 1] + r[:, 2]
    s01 = p[:, 0, 1] + r[:, 1]
    det = s00 * s11 - s01 * s01
    si = np.empty((len(x), 2, 2))
    si[:, 0, 0] = s11 / det
    si[:, 1, 1] = s00 / det
    si[:, 0, 1] = si[:, 1, 0] = -s01 / det
    gain = p[:, :, 0:1] * si[:, 0:1, :] + p[:, :, 1:2] * si[:, 1:2, :]  # P H^T S^-1 (k,4,2)
    y = z - x[:, :2]
    xn = x + gain[:, :, 0] * y[:, 0:1] + gain[:, :, 1] * y[:, 1:2]
    pn = p - gain[:, :, 0:1] * p[:, 0:1, :] - gain[:, :, 1:2] * p[:, 1:2, :]
    pn = 0.5 * (pn + np.transpose(pn, (0, 2, 1)))
    return xn, pn
