"""Node ↔ federation conversions: what leaves (and what must not), what comes in as observations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from seawatch.model import Event, SensorKind
from seawatch.node.bus import LiveItem
from seawatch.share.envelope import Envelope, Releasability
from seawatch.share.federation import Federation
from seawatch.share.memory_transport import MemoryBroker, MemoryTransport
from seawatch.share.node_link import NodeLink
from seawatch.share.node_sink import envelope_observation
from seawatch.store.base import TrackState
from tests.share.helpers import make_keys, make_settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _state(track_id: str, nodes: tuple[str, ...], mmsi: int | None = None) -> TrackState:
    return TrackState(track_id, T0, 13.1, -59.6, mmsi=mmsi, sources=("ais",), nodes=nodes)


def _link(tmp_path: Path, live: dict[str, TrackState]) -> tuple[NodeLink, Federation]:
    keys = make_keys(["tt", "bb", "jm"])
    fed = Federation(
        make_settings("tt", keys, tmp_path, {"jm": {"track_sources": ["ais"], "event_types": ["*"]}}),
        MemoryTransport(MemoryBroker()),
    )
    node: Any = SimpleNamespace(node_id="tt", live=live)
    return NodeLink(node, fed), fed


async def test_partner_data_not_reshared(tmp_path: Path) -> None:
    live = {"T1": _state("T1", ("tt", "bb"), 366_000_001), "T2": _state("T2", ("tt",), 366_000_002)}
    link, fed = _link(tmp_path, live)
    link.on_live(LiveItem("track", live["T1"], "tt"))  # fused with bb's data
    link.on_live(LiveItem("track", live["T2"], "tt"))  # ours alone
    link.on_live(LiveItem("track", _state("T3", ("bb",)), "bb"))  # bb's alone: never ours to share
    derived = Event("loitering", (366_000_001,), T0, T0, 13.1, -59.6, track_ids=("T1",))
    own = Event("loitering", (366_000_002,), T0, T0, 13.1, -59.6, track_ids=("T2",))
    link.on_live(LiveItem("event", derived, "tt"))  # raised by tt's detectors on bb's data
    link.on_live(LiveItem("event", own, "tt"))
    assert await link.flush() == 1  # T2 (events go to the outbox at once, not through the batch)
    assert fed.stats["withheld"] == 2
    sent = {(r.kind, r.seq) for r in fed.db.due(1e18, 100)}
    assert {k for k, _ in sent} == {"track", "event"}


def test_envelope_to_observation() -> None:
    env = Envelope(
        "bb",
        7,
        T0,
        "track",
        Releasability(("tt",)),
        {
            "track_id": "T9",
            "mmsi": 366000001,
            "time": "2026-01-01T00:00:05Z",
            "lat": 13.1,
            "lon": -59.6,
            "sog_kn": 12.0,
            "sources": ["radar"],
        },
    )
    obs = envelope_observation(env)
    assert obs is not None
    assert obs.sensor == SensorKind.PARTNER and obs.source == "partner:bb" and obs.target_ref == "bb:T9"
    assert obs.extra["node"] == "bb" and obs.extra["share_seq"] == 7 and obs.mmsi == 366000001
    assert obs.time == datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    bad = Envelope("bb", 8, T0, "track", Releasability(("tt",)), {"lat": 95.0, "lon": 0.0})
    assert envelope_observation(bad) is None
