"""Cross-check against Stone Soup on the same simulated scan sequence: the associations agree."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from seawatch.fusion.config import FusionConfig
from seawatch.fusion.synthetic import make_truth, radar_scans
from seawatch.fusion.tracker import MeasurementBatch, Tracker

pytest.importorskip("stonesoup")
from tests.fusion.stonesoup_ref import StoneSoupGnn

SIGMA_M, ACCEL, CHI2, V0 = 30.0, 0.5, 16.0, 12.0
SCAN_S = 5.0


def radar_batch(t: float, z: np.ndarray) -> MeasurementBatch:
    k = len(z)
    return MeasurementBatch(
        t=np.full(k, t), e=z[:, 0].copy(), n=z[:, 1].copy(), r_var=np.full(k, SIGMA_M**2),
        kind=np.full(k, 1, np.int64), sensor_bit=np.zeros(k, np.int64), mmsi=np.zeros(k, np.int64),
        ve=np.full(k, np.nan), vn=np.full(k, np.nan),
    )  # fmt: skip


def agreement(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Share of measurements whose track in `a` maps to their track in `b` (dominant-label mapping)."""
    counts: dict[int, Counter[int]] = defaultdict(Counter)
    for la, lb in zip(a, b, strict=True):
        for x, y in zip(la.tolist(), lb.tolist(), strict=True):
            counts[x][y] += 1
    total = sum(sum(c.values()) for c in counts.values())
    return sum(c.most_common(1)[0][1] for c in counts.values()) / total


def test_associations_agree_with_stone_soup() -> None:
    truth = make_truth(30, 25, scan_s=SCAN_S, area_m=60_000, seed=3, min_separation_m=1_000)
    scans = radar_scans(truth, sigma_m=SIGMA_M, pd=0.95, seed=4)
    config = FusionConfig(
        accel_sigma_mps2=ACCEL, gate_chi2=CHI2, init_speed_sigma_mps=V0, init_m=1, init_n=1,
        timeout_s={"radar": 3 * SCAN_S},
    )  # fmt: skip
    ours = Tracker(config)
    ss = StoneSoupGnn(SIGMA_M, ACCEL, CHI2, V0, delete_after_scans=3)
    a, b = [], []
    for scan in scans:
        a.append(ours.process(radar_batch(scan.t, scan.z)).track_num)
        b.append(ss.scan(scan.t, scan.z))
    assert all((x >= 0).all() for x in a) and all((x >= 0).all() for x in b)
    agree_ab, agree_ba = agreement(a, b), agreement(b, a)
    assert agree_ab >= 0.99 and agree_ba >= 0.99, (agree_ab, agree_ba)
    # and both are right: one track per truth target
    truth_ids = [s.truth_id for s in scans]
    assert agreement(a, truth_ids) >= 0.99 and agreement(truth_ids, a) >= 0.97
