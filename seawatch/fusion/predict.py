"""Predict: constant-velocity Kalman prediction of every track at once (per-track time steps)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def predict(x: Array, p: Array, dt_s: Array, accel_sigma_mps2: float) -> tuple[Array, Array]:
    """States `x` (n,4: e, n, ve, vn) and covariances `p` (n,4,4) moved forward by `dt_s` (n,).

    Process noise is white acceleration of spectral density `accel_sigma_mps2**2` on each axis.
    Negative steps (a late observation) are treated as zero.
    """
    dt = np.maximum(np.asarray(dt_s, dtype=float), 0.0)
    xp = x.copy()
    xp[:, 0] += dt * x[:, 2]
    xp[:, 1] += dt * x[:, 3]
    # F P F^T for F = [[I, dt I], [0, I]] written out, avoiding (n,4,4) matrix products
    d = dt[:, None, None]
    pp = p.copy()
    pp[:, :2, :] += d * p[:, 2:, :]
    pp[:, :, :2] += d * pp[:, :, 2:]
    q = accel_sigma_mps2**2
    dt2, dt3 = dt * dt / 2.0 * q, dt * dt * dt / 3.0 * q
    dq = dt * q
    for i in (0, 1):
        pp[:, i, i] += dt3
        pp[:, i, i + 2] += dt2
        pp[:, i + 2, i] += dt2
        pp[:, i + 2, i + 2] += dq
    return xp, pp
