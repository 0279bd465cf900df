"""Update: Kalman update of the assigned tracks with position measurements, all at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def update(x: Array, p: Array, z: Array, r_var: Array) -> tuple[Array, Array]:
    """States x (k,4), covariances p (k,4,4) updated with positions z (k,2), isotropic variance r_var."""
    s00 = p[:, 0, 0] + r_var
    s11 = p[:, 1, 1] + r_var
    s01 = p[:, 0, 1]
    det = s00 * s11 - s01 * s01
    si = np.empty((len(x), 2, 2))
    si[:, 0, 0] = s11 / det
    si[:, 1, 1] = s00 / det
    si[:, 0, 1] = si[:, 1, 0] = -s01 / det
    pht = p[:, :, :2]  # P H^T (k,4,2)
    gain = np.einsum("kij,kjl->kil", pht, si)  # (k,4,2)
    y = z - x[:, :2]
    xn = x + np.einsum("kij,kj->ki", gain, y)
    pn = p - np.einsum("kij,kjl->kil", gain, p[:, :2, :])
    pn = 0.5 * (pn + np.transpose(pn, (0, 2, 1)))
    return xn, pn
