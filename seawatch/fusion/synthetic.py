"""Simple synthetic truth and sensor scans for tests and benchmarks (not the scenario simulator).

Targets move at constant velocity with small random heading changes in a local metric frame; a radar
sees each with probability `pd` per scan, with Gaussian position error, plus uniform clutter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class Scan:
    """One radar scan: time, measured positions (k,2) in metres, and the truth id of each (-1: clutter)."""

    t: float
    z: Array
    truth_id: IntArray


@dataclass
class Truth:
    """Truth states per scan: times (s,), states (s, n, 4) as e, n, ve, vn in metres and m/s."""

    t: Array
    x: Array


def make_truth(
    n_targets: int,
    n_scans: int,
    scan_s: float = 5.0,
    area_m: float = 100_000.0,
    speed_mps: tuple[float, float] = (2.0, 12.0),
    turn_sigma_deg: float = 2.0,
    seed: int = 0,
    t0: float = 1_700_000_000.0,
    min_separation_m: float = 0.0,
) -> Truth:
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-area_m / 2, area_m / 2, (n_targets, 2))
    if min_separation_m > 0:  # spread start points on a jittered grid so targets stay apart
        side = int(np.ceil(np.sqrt(n_targets)))
        cell = area_m / side
        gx, gy = np.meshgrid(np.arange(side), np.arange(side))
        grid = np.column_stack([gx.ravel(), gy.ravel()])[:n_targets] * cell - area_m / 2 + cell / 2
        pos = grid + rng.uniform(-1, 1, (n_targets, 2)) * max(cell / 2 - min_separation_m, 0)
    speed = rng.uniform(*speed_mps, n_targets)
    heading = rng.uniform(0, 2 * np.pi, n_targets)
    xs = np.empty((n_scans, n_targets, 4))
    for k in range(n_scans):
        v = np.column_stack([speed * np.sin(heading), speed * np.cos(heading)])
        xs[k, :, :2], xs[k, :, 2:] = pos, v
        pos = pos + v * scan_s
        heading = heading + np.radians(rng.normal(0, turn_sigma_deg, n_targets))
    return Truth(t=(t0 + scan_s * np.arange(n_scans)).astype(np.float64), x=xs)


def radar_scans(
    truth: Truth,
    sigma_m: float = 30.0,
    pd: float = 0.95,
    clutter: int = 0,
    area_m: float = 100_000.0,
    seed: int = 1,
) -> list[Scan]:
    rng = np.random.default_rng(seed)
    scans = []
    n = truth.x.shape[1]
    for k, t in enumerate(truth.t):
        seen = rng.random(n) < pd
        ids = np.flatnonzero(seen)
        z = truth.x[k, ids, :2] + rng.normal(0, sigma_m, (len(ids), 2))
        if clutter:
            z = np.vstack([z, rng.uniform(-area_m / 2, area_m / 2, (clutter, 2))])
            ids = np.concatenate([ids, np.full(clutter, -1)])
        order = rng.permutation(len(ids))
        scans.append(Scan(t=float(t), z=z[order], truth_id=ids[order].astype(np.int64)))
    return scans
