"""Replay shows what was live: the picture at a past time (`GET /api/tracks?at=`, `Store.tracks_at`)
has the tracks, identities, names and dark/AIS status the live picture showed, on the simulator's
caribbean-gofast scenario (AIS + coastal radar fused, a go-fast without AIS)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from seawatch.node.bus import LiveItem
from seawatch.node.node import Node
from seawatch.node.settings import FeedSettings, NodeSettings
from seawatch.store.base import TrackState

WINDOW_S = 3600.0  # the live picture's default max age (pipeline.live_max_age_s)


async def test_replay_at_the_last_data_time_is_the_live_picture(tmp_path: Path) -> None:
    settings = NodeSettings(
        node_id="replay-node",
        data_dir=tmp_path,
        feeds=[FeedSettings(name="sim", kind="sim", scenario="caribbean-gofast", speed=0)],
    )
    node = Node(settings)
    published: set[str] = set()

    def seen(item: LiveItem) -> None:
        if isinstance(item.item, TrackState):
            published.add(item.item.track_id)

    node.subscribe(seen)
    await node.start()
    try:
        for _ in range(1200):
            if node.feeds_done():
                break
            await asyncio.sleep(0.1)
        await node.drain()
        at = datetime.fromtimestamp(node.data_time_s, UTC)
        live = {t.track_id: t for t in node.live_tracks(max_age_s=WINDOW_S)}
        replay = {t.track_id: t for t in node.store.tracks_at(at, WINDOW_S, None)}
    finally:
        await node.stop()
    assert any(t.mmsi for t in live.values()) and any("radar" in t.sources for t in live.values())
    assert set(replay) <= published, "replay shows tracks the live picture never showed"
    assert set(replay) == set(live)
    for track_id, now in live.items():
        past = replay[track_id]
        assert (past.mmsi, past.name, past.dark) == (now.mmsi, now.name, now.dark), track_id
