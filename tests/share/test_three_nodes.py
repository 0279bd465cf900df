"""Three real nodes (bb, tt, jm: store, pipeline, API) federated over a real NATS server on loopback.

bb shares radar and AIS tracks in its EEZ with tt only (sensor ids stripped), events with tt and jm.
jm must never receive bb's tracks (checked through jm's API and by reading jm's store); tt receives all,
merged with its own AIS into one track per vessel carrying both nodes.
"""

from __future__ import annotations

import asyncio
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
                transport=httpx.ASGITransport(app=federated_app(fnode, manage=False)),
                base_url="http://test",
                headers={"authorization": f"Bearer {self.tokens[n]}"},
            )

    def store_tracks_from(self, node: str, origin: str) -> list[Any]:
        return [s for s in self.nodes[node].node.store.latest_tracks() if origin in s.nodes]

    def store_events_from(self, node: str, origin: str, kind: str = "encounter") -> list[Event]:
        from seawatch.store.base import EventQuery

        store = self.nodes[node].node.store
        events = store.events(EventQuery(types=(kind,), limit=5000))
        return [e for e in events if store.event_origin(e.event_id) == origin]


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


def _radar(target: int, scan: int, lat: float, lon: float) -> Observation:
    return Observation(
        time=T0 + timedelta(seconds=10 * scan),
        lat=lat,
        lon=lon + 0.0013 * scan,  # ~28 kn east
        sensor=SensorKind.RADAR,
        source="bb-radar",
        station="bb-radar-site-1",
        target_ref=f"bb-radar-site-1:{target}",
        sog_kn=28.0,
        cog_deg=90.0,
    )


def _ais(mmsi: int, scan: int, lat: float, lon: float, source: str) -> Observation:
    return Observation(
        time=T0 + timedelta(seconds=10 * scan),
        lat=lat,
        lon=lon + 0.0003 * scan,
        sensor=SensorKind.AIS,
        source=source,
        station=f"{source}-rx",
        mmsi=mmsi,
        sog_kn=6.0,
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


RADAR_IN = [(13.0 + 0.05 * i, -59.5) for i in range(5)]
RADAR_OUT = [(18.0 + 0.05 * i, -76.8) for i in range(2)]  # off Jamaica: outside bb's EEZ


async def _feed(bb: FederatedNode, tt: FederatedNode, scans: int = 6) -> None:
    """Scan by scan, as live feeds deliver: tt's AIS sees the ten shared vessels, bb's radar and AIS too."""
    for k in range(scans):
        ais = [(m, 12.8, -59.0 + 0.02 * i) for i, m in enumerate(SHARED_MMSI)]
        await tt.node.submit("tt-ais", [_ais(m, k, lat, lon, "tt-ais") for m, lat, lon in ais])
        radar = [_radar(i, k, lat, lon) for i, (lat, lon) in enumerate([*RADAR_IN, *RADAR_OUT])]
        await bb.node.submit("bb-radar", radar)
        await bb.node.submit("bb-ais", [_ais(m, k, lat, lon, "bb-ais") for m, lat, lon in ais])
        await asyncio.sleep(0.1)


def _from_bb(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f["properties"] for f in features if "bb" in f["properties"]["nodes"]]


async def test_three_nations(region: Region) -> None:
    bb, tt, jm = (region.nodes[n] for n in ("bb", "tt", "jm"))
    await _feed(bb, tt)
    await bb.node.submit("bb-detect", [PartnerEvent(_event(i), "bb") for i in range(5)])

    def tt_has_all() -> bool:
        tracks = region.store_tracks_from("tt", "bb")
        return sum(s.mmsi is None for s in tracks) >= len(RADAR_IN) and sum(
            s.mmsi in SHARED_MMSI for s in tracks
        ) == len(SHARED_MMSI)

    assert await wait_until(tt_has_all, timeout_s=30), region.store_tracks_from("tt", "bb")
    assert await wait_until(lambda: len(region.store_events_from("jm", "bb")) == 5, timeout_s=30)
    assert await wait_until(lambda: len(region.store_events_from("tt", "bb")) == 5, timeout_s=30)
    await bb.link.flush()
    await asyncio.sleep(0.5)
    await jm.node.drain()
    await bb.link.flush()

    def sent_to(partner: str) -> set[int]:
        rows = bb.federation.audit.query(action="sent", partner=partner, limit=100_000)
        return {r.seq for r in rows if r.seq is not None}

    def received_by(node: str) -> set[int]:
        return {r.seq for r in region.nodes[node].federation.db.received(origin="bb")}

    # every item bb sent to tt and to jm arrived there, counted by sequence number
    assert await wait_until(
        lambda: bb.federation.db.outbox_size() == 0 and received_by("tt") == sent_to("tt")
    )
    assert await wait_until(lambda: received_by("jm") == sent_to("jm"))
    sent = bb.federation.audit.query(action="sent", limit=100_000)
    assert any(r.partner == "tt" and r.kind == "track" for r in sent)

    # jm: never bb's tracks, in its store, its federation table and its API
    assert region.store_tracks_from("jm", "bb") == []
    assert jm.federation.db.received(kind="track") == []
    assert not [r for r in sent if r.partner == "jm" and r.kind == "track"]
    resp = await region.clients["jm"].get("/api/tracks")
    assert resp.status_code == 200
    assert _from_bb(resp.json()["features"]) == []
    events = (await region.clients["jm"].get("/api/events", params={"type": "encounter"})).json()
    assert sorted(e["origin"] for e in events) == ["bb"] * 5
    # bb's own detections (fusion's dark targets from its radar) reach jm too: events are shared with all
    assert {e["origin"] for e in (await region.clients["jm"].get("/api/events")).json()} == {"bb"}

    # tt: bb's radar tracks in the EEZ (none from off Jamaica), bb's sensor ids stripped
    feats = (await region.clients["tt"].get("/api/tracks")).json()["features"]
    from_bb = _from_bb(feats)
    dark = [f for f in feats if "bb" in f["properties"]["nodes"] and f["properties"]["mmsi"] is None]
    assert len(dark) >= len(RADAR_IN)
    for f in dark:
        lon, lat = f["geometry"]["coordinates"]
        assert 12.0 <= lat <= 14.5 and -60.5 <= lon <= -58.0
        assert f["properties"]["nodes"] == ["bb"] and "partner" in f["properties"]["sources"]
    assert not any(s.startswith(("bb-radar", "bb-ais")) for p in from_bb for s in p["sensors"])
    # the same vessel seen by both nations is one track with both as sources
    merged = [p for p in from_bb if p["mmsi"] in SHARED_MMSI]
    assert sorted(p["mmsi"] for p in merged) == SHARED_MMSI
    assert all(set(p["nodes"]) == {"tt", "bb"} and {"ais", "partner"} <= set(p["sources"]) for p in merged)

    # audit: bb's sent log (admin, exportable), tt's received and viewed log
    params = {"action": "sent", "limit": 100_000}
    audit = (await region.clients["bb"].get("/api/share/audit", params=params)).json()
    assert {r["partner"] for r in audit["records"]} == {"tt", "jm"}
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
    for k in range(6):
        await bb.node.submit("bb-radar", [_radar(1, k, 13.123456, -59.654321)])
        await asyncio.sleep(0.05)
    assert await wait_until(lambda: len(region.store_tracks_from("jm", "bb")) >= 1, timeout_s=30)
    received = region.nodes["jm"].federation.db.received(kind="track")
    assert received
    for row in received:  # rounded at bb before it left (jm's fusion then smooths the positions)
        assert (round(row.payload["lat"], 2), round(row.payload["lon"], 2)) == (
            row.payload["lat"],
            row.payload["lon"],
        )
    changes = bb.federation.audit.query(action="policy_changed")
    assert [(c.partner, c.user) for c in changes] == [("jm", "admin")]
    status = (await region.clients["jm"].get("/api/share/status")).json()
    assert status["connected"] is True
