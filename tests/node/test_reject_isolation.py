"""Fail loudly, lose nothing: a bad item is rejected with its reason and counted while the rest of its
batch commits; a detection or fusion config the node cannot use stops it at start."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seawatch.detect.watchlist import Watchlist
from seawatch.errors import ConfigError
from seawatch.model import AisStatic, Event, Observation, SensorKind
from seawatch.model.zone import Zone
from seawatch.node.node import Node
from seawatch.node.settings import NodeSettings, PipelineSettings, load_settings

T0 = datetime(2020, 6, 30, 10, 0, tzinfo=UTC)
POISON_MMSI = 366000666


def _obs(minutes: float, mmsi: int, lat: float = 18.0, lon: float = -66.0) -> Observation:
    return Observation(T0 + timedelta(minutes=minutes), lat, lon, SensorKind.AIS, "feed", mmsi=mmsi)


class PoisonStage:
    """A detector with a bug that only one vessel's reports trigger."""

    def observe_values(self, t: float | None, mmsi: int | None, *values: Any, **named: Any) -> list[Event]:
        """`EventStage.observe_values`: only the MMSI matters here."""
        if mmsi == POISON_MMSI:
            raise RuntimeError("detector bug")
        return []

    def observe_static(self, static: AisStatic) -> None:
        pass

    def replace_zones(self, zones: Sequence[Zone]) -> None:
        pass

    def replace_watchlist(self, watchlist: Watchlist) -> None:
        pass

    def flush(self) -> list[Event]:
        return []


@pytest.mark.parametrize("tracker", ["latest", "fusion"])
async def test_bad_items_are_rejected_and_counted_while_the_batch_commits(
    tmp_path: Path, tracker: str
) -> None:
    settings = NodeSettings(data_dir=tmp_path, pipeline=PipelineSettings(tracker=tracker))  # type: ignore[arg-type]
    node = Node(settings, detectors=[PoisonStage()])
    await node.start()
    try:
        good = [_obs(k, 366000001 + k, lat=18.0 + k / 100) for k in range(5)]
        bad = [
            _obs(1, POISON_MMSI),  # makes a stage fail
            _obs(2, 366000100, lat=math.nan),  # no position
            _obs(3, 366000101, lat=123.0),  # off the globe
            _obs(4, 12_345_678_901),  # not an MMSI (and too big for the store's integer)
        ]
        await node.submit(
            "feed", [good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3], bad[3], good[4]]
        )
        stored = {s.mmsi for s in node.store.latest_tracks()}
        assert {o.mmsi for o in good} <= stored
        assert not stored & {o.mmsi for o in bad}
        assert node.metrics.rejected["feed"] == 4 and node.metrics.decoded["feed"] == 5
        reasons = sorted(r.reason.split(":", 1)[0] for r in node.rejects)
        assert reasons == ["bad_mmsi", "bad_position", "bad_position", "pipeline_error"]
        assert any("detector bug" in r.reason for r in node.rejects)
    finally:
        await node.stop()


def test_a_typo_in_the_detection_config_stops_the_node(tmp_path: Path) -> None:
    detect = tmp_path / "detect.toml"
    detect.write_text('[ais_gap]\nmin_gap_s = "6h"\n')
    node_toml = tmp_path / "node.toml"
    node_toml.write_text(f'data_dir = "{tmp_path / "data"}"\n[pipeline]\ndetect_config = "{detect}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(node_toml)
    message = str(caught.value)
    assert "min_gap_s" in message and "'6h'" in message and "expected a number" in message


def test_fusion_is_configured_by_the_node_and_checked_at_start(tmp_path: Path) -> None:
    node_toml = tmp_path / "node.toml"
    node_toml.write_text(f'data_dir = "{tmp_path}"\n[pipeline.fusion]\ndark_distance_m = 900.0\n')
    settings = load_settings(node_toml)
    assert settings.pipeline.fusion_config().dark_distance_m == 900.0
    node_toml.write_text(f'data_dir = "{tmp_path}"\n[pipeline.fusion]\ndark_distanse_m = 900.0\n')
    with pytest.raises(ConfigError, match=r"pipeline\.fusion.*dark_distanse_m"):
        load_settings(node_toml)
    node_toml.write_text(f'data_dir = "{tmp_path}"\n[pipeline]\nbatch_max = -1\n')
    with pytest.raises(ConfigError, match=r"pipeline\.batch_max = -1: Input should be greater than 0"):
        load_settings(node_toml)
