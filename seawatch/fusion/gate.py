"""Gate: which (track, measurement) pairs may associate. KD-tree radius search, then Mahalanobis test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from seawatch.fusion.noise import as_cov

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class GatedPairs:
    """Candidate pairs: track index, measurement index, Mahalanobis distance² and GNN cost."""

    track: IntArray
    meas: IntArray
    d2: Array
    cost: Array


def gate(xp: Array, pp: Array, z: Array, r_var: Array, chi2: float, max_m: float) -> GatedPairs:
    """Pairs of predicted tracks (xp n,4; pp n,4,4) and measurements (z m,2; noise r_var: (m,) isotropic
    variance or (m,3) covariance xx, xy, yy)
    within `max_m` of each other and inside the `chi2` Mahalanobis gate.

    Cost is the negative log-likelihood up to a constant: d² + ln|S|.
    """
    empty = GatedPairs(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
    if len(xp) == 0 or len(z) == 0:
        return empty
    found = cKDTree(xp[:, :2]).sparse_distance_matrix(cKDTree(z), max_m, output_type="ndarray")
    ti = found["i"].astype(np.int64)
    mj = found["j"].astype(np.int64)
    if len(ti) == 0:
        return empty
    dy = z[mj] - xp[ti, :2]
    r = as_cov(r_var)
    s00 = pp[ti, 0, 0] + r[mj, 0]
    s11 = pp[ti, 1, 1] + r[mj, 2]
    s01 = pp[ti, 0, 1] + r[mj, 1]
    det = s00 * s11 - s01 * s01
    d2 = (s11 * dy[:, 0] ** 2 - 2 * s01 * dy[:, 0] * dy[:, 1] + s00 * dy[:, 1] ** 2) / det
    keep = d2 <= chi2
    return GatedPairs(ti[keep], mj[keep], d2[keep], d2[keep] + np.log(det[keep]))
