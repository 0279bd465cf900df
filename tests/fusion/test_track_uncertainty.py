"""The live track state carries fusion's Kalman uncertainty (`pos_sigma_m`, `vel_sigma_mps`): what
intercept planning widens its search by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from seawatch.fusion.config import FusionConfig
from seawatch.fusion.pipeline import LiveFusion
from seawatch.fusion.steps import sigma_of
from seawatch.model.observation import Observation, SensorKind

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_sigma_is_the_error_ellipse_major_semi_axis() -> None:
    p = np.zeros((2, 4, 4))
    p[0, :2, :2] = [[400.0, 0.0], [0.0, 100.0]]  # axis-aligned: 20 m worst
    p[0, 2:, 2:] = [[4.0, 0.0], [0.0, 9.0]]  # 3 m/s worst
    rot = np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]])
    p[1, :2, :2] = rot @ np.diag([900.0, 25.0]) @ rot.T  # rotated: still 30 m worst
    p[1, 2:, 2:] = rot @ np.diag([1.0, 16.0]) @ rot.T
    pos, vel = sigma_of(p)
    np.testing.assert_allclose(pos, [20.0, 30.0])
    np.testing.assert_allclose(vel, [3.0, 4.0])


def test_uncertainty_shrinks_as_a_vessel_keeps_reporting() -> None:
    config = FusionConfig()
    fusion = LiveFusion(config)
    pos: list[float] = []
    vel: list[float] = []
    for k in range(12):  # an AIS vessel reporting every 10 s without speed, steaming east at ~5 m/s
        obs = Observation(
            time=T0 + timedelta(seconds=10 * k),
            lat=18.0,
            lon=-66.0 + k * 50.0 / 105_800.0,
            sensor=SensorKind.AIS,
            source="test",
            mmsi=366000001,
        )
        steps, _ = fusion.ingest([obs])
        (step,) = steps
        assert step.pos_sigma_m is not None and step.vel_sigma_mps is not None
        pos.append(step.pos_sigma_m)
        vel.append(step.vel_sigma_mps)
    # a new track: the report's error and the unknown speed's prior
    assert abs(pos[0] - config.ais_sigma_m) < 1e-6
    assert abs(vel[0] - config.init_speed_sigma_mps) < 1e-6
    # twelve fixes later the filter knows more than one fix and far more than the prior
    assert pos[-1] < config.ais_sigma_m
    assert vel[-1] < config.init_speed_sigma_mps / 4
