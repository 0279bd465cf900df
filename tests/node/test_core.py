"""Pure parts of the node: its fusion stage with the identity association, pipeline counters, watchlist
and silence events, live bus."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seawatch.errors import ConfigError
from seawatch.fusion.config import FusionConfig
from seawatch.model import AisPosition, AisStatic, Observation, Rejected, SensorKind
from seawatch.node.bus import LiveBus, LiveItem
from seawatch.node.pipeline import LivePipeline
from seawatch.node.settings import load_settings
from seawatch.node.silence import SilenceMonitor
from seawatch.node.stages import FusionStage
from seawatch.store.base import EventQuery, TrackState

T0 = datetime(2020, 6, 30, 10, 0, tzinfo=UTC)


def _obs(
    minutes: float, lat: float, lon: float, mmsi: int | None = 366000001, ref: str | None = None
) -> Observation:
    sensor = SensorKind.AIS if mmsi else SensorKind.RADAR
    return Observation(T0 + timedelta(minutes=minutes), lat, lon, sensor, "feed", mmsi=mmsi, target_ref=ref)


def _identity_stage() -> FusionStage:
    """The node's fusion stage with `association = "identity"` (what `pipeline.tracker = "latest"` means)."""
    return FusionStage("n1", FusionConfig(association="identity"))


def test_tracker_derives_speed_and_course_and_ignores_late_reports() -> None:
    tracker = _identity_stage()
    tracker.update([_obs(0, 18.0, -66.0)])
    (key, state), (_, late) = tracker.update([_obs(60, 18.0 + 30 / 60, -66.0), _obs(30, 0.0, 0.0)])
    assert key == "mmsi:366000001"
    assert state.sog_kn == pytest.approx(30.0, rel=0.01)  # 30 nm north in one hour
    assert state.cog_deg == pytest.approx(0.0, abs=0.5)
    assert late.lat == pytest.approx(18.5)  # the late report did not move the picture
    ((radar_key, radar),) = tracker.update([_obs(1, 18.0, -65.0, mmsi=None, ref="site1:7")])
    assert radar_key == "radar:site1:7" and radar.dark and radar.sources == ("radar",)


def test_pipeline_counts_per_source_and_keeps_rejects() -> None:
    tracker = _identity_stage()
    pipeline = LivePipeline("n1", tracker)
    undated = AisPosition(366000002, 1, 18.0, -66.0)
    static = AisStatic(366000001, 5, shipname="SEA BIRD", ship_type=70, received_at=T0)
    result = pipeline.process(
        [
            ("a", _obs(0, 18.0, -66.0)),
            ("a", Rejected("!AIVDM,x", "bad checksum", "a")),
            ("b", undated),
            ("a", static),
        ]
    )
    assert result.received == {"a": 3, "b": 1}
    assert result.decoded == {"a": 2}
    assert result.rejected == {"a": 1, "b": 1}
    assert len(result.batch.positions) == 1 and result.batch.rejected == 2
    assert result.batch.tracks[0].name == "SEA BIRD" and result.batch.tracks[0].ship_type == 70


async def test_node_watchlist_runs_through_detects_watchlist_hit(tmp_path: Path) -> None:
    """One definition of watchlist_hit: the node's edits reach detect's live detector (same event shape
    as `seawatch detect --watchlist`); the hit is raised at the first report after the edit."""
    from seawatch.node.node import Node
    from seawatch.node.settings import NodeSettings, PipelineSettings

    node = Node(NodeSettings(data_dir=tmp_path, pipeline=PipelineSettings(tracker="latest")))
    await node.start()
    try:
        await node.submit("t", [_obs(0, 18.0, -66.0)])
        node.store.add_watch({"mmsi": 366000001, "reason": "suspect"})
        node.refresh_watchlist()
        await node.submit("t", [_obs(5, 18.1, -66.0), _obs(5, 18.0, -66.0, mmsi=366000009)])
        (hit,) = [e for e in node.store.events(EventQuery(limit=100)) if e.type == "watchlist_hit"]
        assert hit.mmsi == (366000001,) and hit.start == T0 + timedelta(minutes=5)
        assert hit.details["matches"] == [{"kind": "mmsi", "value": "366000001", "label": "suspect"}]
    finally:
        await node.stop()


def test_silence_monitor_raises_sensor_silent() -> None:
    monitor = SilenceMonitor()
    monitor.add_feed("radar-1", 60.0, 18.4, -66.1, T0)
    assert monitor.check(T0 + timedelta(seconds=59)) == []
    events = monitor.check(T0 + timedelta(seconds=90))
    assert [(e.type, e.details["source"], e.lat) for e in events] == [("sensor_silent", "radar-1", 18.4)]
    again = monitor.check(T0 + timedelta(seconds=120))
    assert again[0].event_id == events[0].event_id and again[0].end > events[0].end
    monitor.seen("radar-1", T0 + timedelta(seconds=121))
    assert monitor.check(T0 + timedelta(seconds=130)) == []


async def test_slow_live_client_is_dropped_without_blocking() -> None:
    bus = LiveBus()
    got: list[LiveItem] = []
    bus.subscribe(got.append)
    slow = bus.add_client(buffer=5)
    fast = bus.add_client(buffer=100)
    state = TrackState("mmsi:1", T0, 18.0, -66.0, mmsi=1)
    bus.publish([LiveItem("track", state, "n1")] * 10)
    assert slow.overflowed and slow.closed.is_set() and bus.dropped_clients == 1
    assert fast.queue.qsize() == 10 and not fast.overflowed
    assert len(got) == 10 and bus.client_count == 1
    await asyncio.sleep(0)


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "node.toml"
    config.write_text(
        'node_id = "file"\nport = 9000\n[api]\nrate_limit_per_s = 3\n'
        '[[feeds]]\nname = "ais"\nkind = "tcp"\nport = 10110\n'
    )
    monkeypatch.setenv("SEAWATCH_PORT", "9100")
    monkeypatch.setenv("SEAWATCH_API__RATE_LIMIT_BURST", "7")
    settings = load_settings(config, host="0.0.0.0")
    assert settings.node_id == "file" and settings.port == 9100 and settings.host == "0.0.0.0"
    assert settings.api.rate_limit_per_s == 3 and settings.api.rate_limit_burst == 7
    assert settings.feeds[0].kind == "tcp" and settings.feeds[0].port == 10110
    assert load_settings(config, port=1).port == 1
    config.write_text('[[feeds]]\nname = "x"\nkind = "carrier-pigeon"\n')
    with pytest.raises(ConfigError, match="feeds"):
        load_settings(config)


def test_live_index_grows_updates_and_removes() -> None:
    from seawatch.node.live_index import LiveIndex

    index = LiveIndex(capacity=2)
    for i in range(5):
        index.upsert(TrackState(f"t{i}", T0 + timedelta(minutes=i), 18.0, -66.0 + i), f"f{i}".encode())
    index.upsert(TrackState("t0", T0 + timedelta(minutes=9), 10.0, -80.0), b"moved")
    assert len(index) == 5
    assert index.query_features((-66.5, 17, -63.5, 19), 0.0) == [b"f1", b"f2"]
    assert index.query_features(None, (T0 + timedelta(minutes=4)).timestamp()) == [b"moved", b"f4"]
    index.remove("t4")
    assert [s.track_id for s in index.query_states(None, 0.0)] == ["t0", "t1", "t2", "t3"]


async def test_prune_forgets_old_tracks_in_memory_only(tmp_path: Path) -> None:
    from seawatch.node.node import Node
    from seawatch.node.settings import NodeSettings, PipelineSettings

    node = Node(NodeSettings(data_dir=tmp_path, pipeline=PipelineSettings(tracker="latest")))
    await node.start()
    try:
        await node.submit("t", [_obs(0, 18.0, -66.0, mmsi=366000001), _obs(600, 18.0, -66.0, mmsi=366000002)])
        assert node.prune((T0 + timedelta(minutes=300)).timestamp()) == 1
        assert [s.mmsi for s in node.live_tracks(max_age_s=1e9)] == [366000002]
        assert node.track_of_mmsi(366000001) is None
        assert len(node.store.latest_tracks()) == 2
    finally:
        await node.stop()
