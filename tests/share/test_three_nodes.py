"""Three real nodes (bb, tt, jm: store, pipeline, API) federated over a real NATS server on loopback.

bb shares radar and AIS tracks in its EEZ with tt only (sensor ids stripped), events with tt and jm.
jm must never receive bb's tracks (checked through jm's API and by reading jm's store); tt receives all,
merged with its own AIS into one track per vessel carrying both nodes.
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
from seawatch.share.localbroker import LocalNatsServer
from seawatch.share.service import FederatedNode
from tests.share.helpers import BB_EEZ, make_keys, make_settings, wait_until

pytestmark = pytest.mark.broker

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
BB_POLICIES = {
    "tt": {
        "track_sources": ["radar", "ais"],
        "event_types": ["*"],
        "areas": [BB_EEZ],
        "strip_fields": ["sensors"],
    },
    "jm": {"event_types": ["*"]},
}
SHARED_MMSI = [366_000_000 + i for i in range(10)]


class Region:
    def __init__(self, tmp: Path, url: str) -> None:
        keys = make_keys(["bb", "tt", "jm"])
        self.nodes: dict[str, FederatedNode] = {}
        self.tokens: dict[str, str] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        for n in keys:
            node_settings = NodeSettings(node_id=n, data_dir=tmp / n)
            fed_settings = make_settings(n, keys, tmp, BB_POLICIES if n == "bb" else {}, url)
            fnode = FederatedNode(node_settings, fed_settings, detectors=[])
            self.nodes[n] = fnode
            add_user(fnode.node.store, "admin", "admin", None)
            add_user(fnode.node.store, "watch", "viewer", None)
            self.tokens[n] = new_token(fnode.node.store, "admin", "api", None)
            self.clients[n] = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=fnode.app(manage=False)),
                base_url="http://test",
                headers={"authorization": f"Bearer {self.tokens[n]}"},
            )

    def store_tracks_from(self, node: str, origin: str) -> list[Any]:
        return [s for s in self.nodes[node].node.store.latest_tracks() if origin in s.nodes]

    def store_events_from(self, node: str, origin: str) -> list[Event]:
        from seawatch.store.base import EventQuery

        store = self.nodes[node].node.store
        return [e for e in store.events(EventQuery(limit=5000)) if store.event_origin(e.event_id) == origin]


@pytest.fixture
async def region(tmp_path: Path, nats_server: LocalNatsServer) -> AsyncIterator[Region]:
    r = Region(tmp_path, nats_server.url)
    for n in r.nodes.values():
        await n.start()
    try:
        yield r
    finally:
        for c in r.clients.values():
            await c.aclose()
        for n in r.nodes.values():
            await n.stop()


def _radar(i: int, lat: float, lon: float) -> Observation:
    return Observation(
        time=T0 + timedelta(seconds=i),
        lat=lat,
        lon=lon,
        sensor=SensorKind.RADAR,
        source="bb-radar",
        station="bb-radar-site-1",
        target_ref=f"bb-radar-site-1:{i}",
        sog_kn=28.0,
    )


def _ais(mmsi: int, lat: float, lon: float, source: str) -> Observation:
    return Observation(
        time=T0,
        lat=lat,
        lon=lon,
        sensor=SensorKind.AIS,
        source=source,
        station=f"{source}-rx",
        mmsi=mmsi,
        sog_kn=10.0,
        cog_deg=90.0,
    )


def _event(i: int) -> Event:
    return Event(
        "encounter",
        (SHARED_MMSI[i], SHARED_MMSI[i + 1]),
        T0,
        T0 + timedelta(hours=2),
        13.2,
        -59.3,
        {"distance_m": 120.0},
        {"max_distance_m": 500},
    )


async def test_three_nations(region: Region) -> None:
    bb, tt, jm = (region.nodes[n] for n in ("bb", "tt", "jm"))
    # tt sees the same ten vessels on its own AIS first
    await tt.node.submit(
        "tt-ais", [_ais(m, 13.0, -59.0 + i * 0.01, "tt-ais") for i, m in enumerate(SHARED_MMSI)]
    )
    radar_in = [_radar(i, 13.0 + i * 0.01, -59.5) for i in range(20)]
    radar_out = [_radar(100 + i, 18.0, -76.8 + i * 0.01) for i in range(5)]  # Jamaica: outside bb's EEZ
    ais_bb = [_ais(m, 13.0, -59.0 + i * 0.01, "bb-ais") for i, m in enumerate(SHARED_MMSI)]
    await bb.node.submit("bb-radar", [*radar_in, *radar_out])
    await bb.node.submit("bb-ais", ais_bb)
    await bb.node.submit("bb-detect", [PartnerEvent(_event(i), "bb") for i in range(5)])

    assert await wait_until(lambda: len(region.store_tracks_from("tt", "bb")) == 30, timeout_s=30)
    assert await wait_until(lambda: len(region.store_events_from("jm", "bb")) == 5, timeout_s=30)
    assert await wait_until(lambda: len(region.store_events_from("tt", "bb")) == 5, timeout_s=30)
    await bb.link.flush()
    await jm.node.drain()

    # jm: never bb's tracks, in its store, its federation table and its API
    assert region.store_tracks_from("jm", "bb") == []
    assert jm.federation.db.received(kind="track") == []
    resp = await region.clients["jm"].get("/api/tracks")
    assert resp.status_code == 200
    assert not [f for f in resp.json()["features"] if "bb" in f["properties"]["nodes"]]
    events = (await region.clients["jm"].get("/api/events")).json()
    assert sorted(e["origin"] for e in events) == ["bb"] * 5

    # tt: all 30 shared tracks (20 radar + 10 AIS in the EEZ, none from outside), sensor ids stripped
    feats = (await region.clients["tt"].get("/api/tracks")).json()["features"]
    from_bb = [f["properties"] for f in feats if "bb" in f["properties"]["nodes"]]
    assert len(from_bb) == 30
    assert all("partner" in p["sources"] for p in from_bb)
    assert not any(
        s.startswith("bb-radar-site") or s.startswith("bb-ais") for p in from_bb for s in p["sensors"]
    )
    # the same vessel seen by both nations is one track with both as sources
    merged = [p for p in from_bb if p["mmsi"] in SHARED_MMSI]
    assert len(merged) == 10
    assert all(set(p["nodes"]) == {"tt", "bb"} and {"ais", "partner"} <= set(p["sources"]) for p in merged)
    dark = [p for p in from_bb if p["mmsi"] is None]
    assert len(dark) == 20 and all(p["nodes"] == ["bb"] for p in dark)

    # audit: bb's sent log (admin, exportable), tt's received and viewed log
    audit = (await region.clients["bb"].get("/api/share/audit", params={"action": "sent"})).json()
    sent_to = {r["partner"] for r in audit["records"]}
    assert sent_to == {"tt", "jm"}
    assert sum(r["partner"] == "jm" and r["kind"] == "track" for r in audit["records"]) == 0
    csv_text = (await region.clients["bb"].get("/api/share/audit", params={"format": "csv"})).text
    assert csv_text.splitlines()[0].startswith("id,time,action,partner,origin,seq")
    jsonl = (await region.clients["tt"].get("/api/share/audit", params={"format": "jsonl"})).text
    assert '"action":"received"' in jsonl
    viewed = tt.federation.audit.query(action="viewed")
    assert [(v.user, v.origin, v.kind) for v in viewed] == [("admin", "bb", "/api/tracks")]


async def test_policy_admin_api(region: Region) -> None:
    bb = region.nodes["bb"]
    client = region.clients["bb"]
    viewer = new_token(bb.node.store, "watch", "api", None)
    resp = await client.put(
        "/api/share/policies/jm",
        json={"track_sources": ["radar"]},
        headers={"authorization": f"Bearer {viewer}"},
    )
    assert resp.status_code == 403
    assert (await client.put("/api/share/policies/xx", json={})).status_code == 404
    bad = await client.put("/api/share/policies/jm", json={"track_sources": ["sonar"]})
    assert bad.status_code == 400
    ok = await client.put(
        "/api/share/policies/jm", json={"track_sources": ["radar"], "precision_decimals": 2}
    )
    assert ok.status_code == 200 and ok.json()["track_sources"] == ["radar"]
    assert (await client.get("/api/share/policies")).json()["jm"]["precision_decimals"] == 2
    await bb.node.submit("bb-radar", [_radar(1, 13.123456, -59.654321)])
    assert await wait_until(lambda: len(region.store_tracks_from("jm", "bb")) == 1, timeout_s=30)
    state = region.store_tracks_from("jm", "bb")[0]
    assert (state.lat, state.lon) == (13.12, -59.65)
    changes = bb.federation.audit.query(action="policy_changed")
    assert [(c.partner, c.user) for c in changes] == [("jm", "admin")]
    status = (await region.clients["jm"].get("/api/share/status")).json()
    assert status["connected"] is True
