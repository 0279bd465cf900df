"""Tracking quality: GOSPA / OSPA distance per scan, track purity and completeness.

GOSPA (Rahmathullah, García-Fernández, Svensson 2017) with alpha = 2: optimal assignment of estimates
to truths with distances cut at `c`, plus c^p/2 for every missed or false object; OSPA normalises by
the larger set. Both via `scipy.optimize.linear_sum_assignment`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Gospa:
    distance: float
    localisation: float
    missed: int
    false: int


def gospa(truth: Array, estimate: Array, c: float = 500.0, p: float = 2.0) -> Gospa:
    """GOSPA (alpha = 2) between truth positions (n,2) and estimated positions (m,2), metres."""
    n, m = len(truth), len(estimate)
    if n == 0 or m == 0:
        return Gospa(float((c**p / 2 * (n + m)) ** (1 / p)), 0.0, n, m)
    d = np.minimum(cdist(truth, estimate), c)
    rows, cols = linear_sum_assignment(d**p)
    matched = d[rows, cols] < c
    loc = float(np.sum(d[rows, cols][matched] ** p))
    missed = n - int(matched.sum())
    false = m - int(matched.sum())
    total = loc + c**p / 2 * (missed + false)
    return Gospa(float(total ** (1 / p)), float(loc ** (1 / p)), missed, false)


def ospa(truth: Array, estimate: Array, c: float = 500.0, p: float = 2.0) -> float:
    """OSPA distance (per-object average, cut-off c)."""
    n, m = len(truth), len(estimate)
    if n == 0 and m == 0:
        return 0.0
    if n == 0 or m == 0:
        return c
    d = np.minimum(cdist(truth, estimate), c)
    rows, cols = linear_sum_assignment(d**p)
    total = float(np.sum(d[rows, cols] ** p)) + c**p * abs(n - m)
    return (total / max(n, m)) ** (1 / p)


def purity_completeness(pairs: Iterable[tuple[int, int]]) -> tuple[float, float]:
    """From (truth id, track id) per associated measurement (truth -1 = clutter, track -1 = none):
    purity = share of each track's measurements from its dominant truth; completeness = share of each
    truth's measurements carried by its dominant track (i.e. track fragmentation and gaps)."""
    by_track: dict[int, Counter[int]] = defaultdict(Counter)
    by_truth: dict[int, Counter[int]] = defaultdict(Counter)
    for truth, track in pairs:
        if track >= 0:
            by_track[track][truth] += 1
        if truth >= 0:
            by_truth[truth][track] += 1
    tot_t = sum(sum(c.values()) for c in by_track.values())
    pur = sum(c.most_common(1)[0][1] for c in by_track.values()) / tot_t if tot_t else 0.0
    tot_g = sum(sum(c.values()) for c in by_truth.values())
    comp = (
        sum(max((v for k, v in c.items() if k >= 0), default=0) for c in by_truth.values()) / tot_g
        if tot_g
        else 0.0
    )
    return pur, comp
