"""The live pipeline end to end on the simulator's caribbean-gofast scenario (AIS + radar):
decode → fusion → live detectors → store → live bus."""

from __future__ import annotations

import asyncio
from pathlib import Path

from seawatch.node.bus import LiveItem
from seawatch.node.node import Node
from seawatch.node.settings import FeedSettings, NodeSettings
from seawatch.store.base import EventQuery, TrackState


async def test_scenario_is_fused_detected_stored_and_published(tmp_path: Path) -> None:
    settings = NodeSettings(
        node_id="sim-node",
        data_dir=tmp_path,
        feeds=[FeedSettings(name="sim", kind="sim", scenario="caribbean-gofast", speed=0)],
    )
    node = Node(settings)
    published: list[LiveItem] = []
    node.subscribe(published.append)
    await node.start()
    try:
        for _ in range(1200):
            if node.feeds_done():
                break
            await asyncio.sleep(0.1)
        assert node.feeds_done()
        await node.drain()
        tracks = node.live_tracks(max_age_s=1e9)
        stored = node.store.events(EventQuery(limit=10_000))
        acknowledged = node.store.acknowledged()
        received = sum(node.metrics.received.values())
    finally:
        await node.stop()
    assert received > 10_000 and acknowledged["received"] == received
    assert sum(node.metrics.rejected.values()) == 0
    sources = {t.sources for t in tracks}
    assert ("ais", "radar") in sources  # radar contacts fused into AIS tracks
    dark = [t for t in tracks if t.dark]
    assert dark and all(t.mmsi is None and "ais" not in t.sources for t in dark)
    types = {e.type for e in stored}
    assert {"dark_target", "speed_anomaly"} <= types  # the go-fast and its missing AIS
    published_events = {i.item.event_id for i in published if i.kind == "event"}  # type: ignore[union-attr]
    assert {e.event_id for e in stored} <= published_events
    published_tracks = {i.item.track_id for i in published if isinstance(i.item, TrackState)}
    assert {t.track_id for t in tracks} <= published_tracks
