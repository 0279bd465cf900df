"""Initiate: new track states from unassigned measurements, and M-of-N confirmation."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from seawatch.fusion.noise import as_cov

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def initial_states(z: Array, r_var: Array, v_en: Array, v_sigma_mps: Array) -> tuple[Array, Array]:
    """States at the measured positions z (k,2), velocity from a report where known (v_en k,2, NaN
    when not) else zero with `v_sigma_mps` uncertainty."""
    k = len(z)
    x = np.zeros((k, 4))
    x[:, :2] = z
    known = np.isfinite(v_en).all(axis=1)
    x[known, 2:] = v_en[known]
    p = np.zeros((k, 4, 4))
    r = as_cov(r_var)
    p[:, 0, 0], p[:, 0, 1], p[:, 1, 1] = r[:, 0], r[:, 1], r[:, 2]
    p[:, 1, 0] = r[:, 1]
    vs2 = np.where(known, 2.0**2, v_sigma_mps**2)
    p[:, 2, 2] = p[:, 3, 3] = vs2
    return x, p


def m_of_n(hits: IntArray, scans: IntArray, m: int, n: int) -> tuple[BoolArray, BoolArray]:
    """(confirm, fail) masks of tentative tracks after `scans` opportunities with `hits` detections."""
    confirm = hits >= m
    fail = ~confirm & (scans - hits > n - m)
    return confirm, fail
