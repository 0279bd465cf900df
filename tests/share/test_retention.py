"""Partner data past its releasability retention leaves the receiving node: API, store and history.

Two real nodes (bb, tt) over a real NATS server on loopback; bb releases its tracks and events to tt
with a 2 s retention. tt shows them, then (after its federation's retention loop runs) no longer does,
and its share audit log records each item as `expired`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("seawatch.api.app")

from seawatch.api.auth import add_user, new_token
from seawatch.model import Event, Observation, SensorKind
from seawatch.node.pipeline import PartnerEvent
from seawatch.node.settings import NodeSettings
from seawatch.server import federated_app
from seawatch.share.localbroker import LocalNatsServer
from seawatch.share.service import FederatedNode
from seawatch.store.base import EventQuery
from tests.share.helpers import BB_EEZ, make_keys, make_settings, wait_until

pytestmark = pytest.mark.broker

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
RETENTION_S = 3.0
POLICIES = {
    "tt": {
        "track_sources": ["radar", "ais"],
        "event_types": ["*"],
        "areas": [BB_EEZ],
        "retention_s": RETENTION_S,
    }
}
MMSI = [366_100_000 + i for i in range(3)]


class Pair:
    def __init__(self, tmp: Path, url: str) -> None:
        keys = make_keys(["bb", "tt"])
        self.nodes: dict[str, FederatedNode] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        for n in keys:
            fnode = FederatedNode(
                NodeSettings(node_id=n, data_dir=tmp / n),
                make_settings(n, keys, tmp, POLICIES if n == "bb" else {}, url),
                detectors=[],
            )
            self.nodes[n] = fnode
            add_user(fnode.node.store, "admin", "admin", None)
            token = new_token(fnode.node.store, "admin", "api", None)
            self.clients[n] = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=federated_app(fnode, manage=False)),
                base_url="http://test",
                headers={"authorization": f"Bearer {token}"},
            )


@pytest.fixture
async def pair(tmp_path: Path, nats_server: LocalNatsServer) -> AsyncIterator[Pair]:
    p = Pair(tmp_path, nats_server.url)
    for n in p.nodes.values():
        await n.start()
    try:
        yield p
    finally:
        for c in p.clients.values():
            await c.aclose()
        for n in p.nodes.values():
            await n.stop()


def _ais(mmsi: int, scan: int, lat: float) -> Observation:
    return Observation(
        time=T0 + timedelta(seconds=10 * scan),
        lat=lat,
        lon=-59.5 + 0.0003 * scan,
        sensor=SensorKind.AIS,
        source="bb-ais",
        station="bb-ais-rx",
        mmsi=mmsi,
        sog_kn=6.0,
        cog_deg=90.0,
    )


def _event() -> Event:
    return Event("encounter", (MMSI[0], MMSI[1]), T0, T0 + timedelta(hours=1), 13.1, -59.5, {}, {})


async def _bb_features(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    resp = await client.get("/api/tracks")
    assert resp.status_code == 200
    return [f for f in resp.json()["features"] if "bb" in f["properties"]["nodes"]]


async def test_partner_items_leave_after_retention(pair: Pair) -> None:
    bb, tt = pair.nodes["bb"], pair.nodes["tt"]
    client = pair.clients["tt"]
    for k in range(4):
        await bb.node.submit("bb-ais", [_ais(m, k, 13.0 + 0.05 * i) for i, m in enumerate(MMSI)])
    await bb.node.submit("bb-detect", [PartnerEvent(_event(), "bb")])
    await bb.link.flush()

    def tt_store_has_bb() -> bool:
        tracks = [s for s in tt.node.store.latest_tracks() if s.nodes == ("bb",)]
        events = tt.node.store.events(EventQuery(types=("encounter",)))
        return len(tracks) == len(MMSI) and len(events) == 1

    # arrived: in tt's store, its history and its API
    assert await wait_until(tt_store_has_bb, timeout_s=30)
    received = tt.federation.db.received(origin="bb")
    assert received, "tt's federation table holds bb's items"
    track_ids = sorted(s.track_id for s in tt.node.store.latest_tracks() if s.nodes == ("bb",))
    assert len(track_ids) == len(MMSI)
    assert tt.node.store.track_history(track_ids[0], None, None)
    feats = await _bb_features(client)
    assert sorted(f["properties"]["mmsi"] for f in feats) == MMSI
    events = (await client.get("/api/events", params={"type": "encounter"})).json()
    assert [e["origin"] for e in events] == ["bb"]

    # past retention: gone from the federation table, the store, the history, the live picture, the API
    assert await wait_until(lambda: not tt.federation.db.received(origin="bb"), timeout_s=30)
    assert [s for s in tt.node.store.latest_tracks() if "bb" in s.nodes] == []
    assert tt.node.store.events(EventQuery(types=("encounter",))) == []
    for track_id in track_ids:
        assert tt.node.store.track_history(track_id, None, None) == []
        assert track_id not in tt.node.live
    for m in MMSI:
        assert tt.node.track_of_mmsi(m) is None
    assert await _bb_features(client) == []
    assert (await client.get("/api/events", params={"type": "encounter"})).json() == []

    # audited: every received item expired, for retention
    expired = tt.federation.audit.query(action="expired", limit=10_000)
    from_bb = [r for r in expired if r.origin == "bb"]
    assert {(r.origin, r.seq) for r in from_bb} == {(r.origin, r.seq) for r in received}
    assert all(r.reason == "retention" for r in from_bb)
    # tt's own events raised on bb's data went with them (the shortest retention of their sources)
    assert all((r.reason or "").startswith("derived from partner data") for r in expired if r.origin == "tt")
    # bb keeps its own data
    assert len([s for s in bb.node.store.latest_tracks() if s.mmsi in MMSI]) == len(MMSI)
