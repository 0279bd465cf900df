"""Runs: maximal stretches of consecutive rows of one track where a condition holds (bulk form).

Rows must be sorted by (track, time). Two consecutive rows continue a run when both satisfy the
condition, belong to the same track and are at most `max_gap_s` apart. The live detectors keep the same
rule incrementally per track.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def run_bounds(
    kid: npt.NDArray[np.int64], t: npt.NDArray[np.float64], pred: npt.NDArray[np.bool_], max_gap_s: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(first, last) row indices (inclusive) of every run."""
    n = pred.shape[0]
    cont = np.zeros(n, dtype=bool)
    if n > 1:
        cont[1:] = pred[1:] & pred[:-1] & (kid[1:] == kid[:-1]) & (t[1:] - t[:-1] <= max_gap_s)
    starts = np.flatnonzero(pred & ~cont)
    cont_next = np.zeros(n, dtype=bool)
    cont_next[:-1] = cont[1:]
    ends = np.flatnonzero(pred & ~cont_next)
    return starts.astype(np.int64), ends.astype(np.int64)
