"""Associate: global nearest neighbour over the gated pairs (scipy `linear_sum_assignment`).

The bipartite gate graph is split into connected components; a component of one track and one
measurement is assigned directly (vectorised), larger ones each get an optimal assignment. Pairs
outside the gate are never assigned.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

IntArray = NDArray[np.int64]
Array = NDArray[np.float64]

_NO_PAIR = 1e12


def associate(
    n_tracks: int, n_meas: int, track: IntArray, meas: IntArray, cost: Array
) -> tuple[IntArray, IntArray]:
    """Assigned (track index, measurement index) pairs minimising the summed cost; one-to-one."""
    if len(track) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    t_deg = np.bincount(track, minlength=n_tracks)
    m_deg = np.bincount(meas, minlength=n_meas)
    simple = (t_deg[track] == 1) & (m_deg[meas] == 1)
    out_t = [track[simple]]
    out_m = [meas[simple]]
    hard = ~simple
    if hard.any():
        ht, hm, hc = track[hard], meas[hard], cost[hard]
        # nodes: tracks 0..n_tracks-1, measurements n_tracks..n_tracks+n_meas-1
        n = n_tracks + n_meas
        graph = coo_matrix((np.ones(len(ht)), (ht, hm + n_tracks)), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        comp = label[ht]
        order = np.argsort(comp, kind="stable")
        ht, hm, hc, comp = ht[order], hm[order], hc[order], comp[order]
        bounds = np.flatnonzero(np.diff(comp)) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(comp)], strict=True):
            ct, cm, cc = ht[lo:hi], hm[lo:hi], hc[lo:hi]
            ut, ti = np.unique(ct, return_inverse=True)
            um, mi = np.unique(cm, return_inverse=True)
            matrix = np.full((len(ut), len(um)), _NO_PAIR)
            matrix[ti, mi] = cc
            rows, cols = linear_sum_assignment(matrix)
            ok = matrix[rows, cols] < _NO_PAIR
            out_t.append(ut[rows[ok]])
            out_m.append(um[cols[ok]])
    return np.concatenate(out_t).astype(np.int64), np.concatenate(out_m).astype(np.int64)
