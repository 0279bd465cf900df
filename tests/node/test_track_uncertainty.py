"""The node publishes fusion's track uncertainty (`pos_sigma_m`, `vel_sigma_mps`) with each live track:
in its track states and in the API's track features (what intercept planning reads)."""

from __future__ import annotations

import math

from seawatch.api.models import TrackFeature
from seawatch.node.feeds import replay_items
from seawatch.node.geojson import track_feature
from seawatch.node.pipeline import LivePipeline
from seawatch.node.settings import NodeSettings
from seawatch.node.stages import make_tracker
from tests.shared import require_shared


def test_live_tracks_carry_their_uncertainty() -> None:
    path = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    settings = NodeSettings()
    pipeline = LivePipeline("n1", make_tracker(settings))
    items = [("ny", item) for _, item in replay_items([path], "ny")]
    result = pipeline.process(items)
    tracks = result.batch.tracks
    assert len(tracks) > 10 and len(result.batch.positions) > 2 * len(tracks)
    for state in tracks:
        assert state.pos_sigma_m is not None and math.isfinite(state.pos_sigma_m) and state.pos_sigma_m > 0
        assert state.vel_sigma_mps is not None and state.vel_sigma_mps > 0
    # vessels reporting many times are known better than one report (25 m) and the speed prior (12 m/s)
    config = settings.pipeline.fusion_config()
    assert min(s.pos_sigma_m or math.inf for s in tracks) < config.ais_sigma_m
    assert min(s.vel_sigma_mps or math.inf for s in tracks) < config.init_speed_sigma_mps / 4
    feature = TrackFeature.model_validate(track_feature(tracks[0]))
    assert feature.properties.pos_sigma_m == round(tracks[0].pos_sigma_m or 0, 1)
    assert feature.properties.vel_sigma_mps == round(tracks[0].vel_sigma_mps or 0, 2)
