"""What a partner sends is input across a trust boundary: a poison item is quarantined (kept, audited,
acked) without failing the node's own data beside it; a partner cannot rewrite the node's own events or
drag its own tracks; an item kept but not yet merged when the node died is merged at restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("seawatch.api.app")

from seawatch.model import Event, Observation, SensorKind
from seawatch.node.pipeline import PartnerEvent
from seawatch.node.settings import NodeSettings
from seawatch.share.envelope import Envelope, Releasability, seal
from seawatch.share.memory_transport import MemoryBroker, MemoryTransport
from seawatch.share.service import FederatedNode
from seawatch.share.transport import Delivery
from seawatch.store.base import EventQuery
from tests.share.helpers import make_keys, make_settings

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
KEYS = make_keys(["bb", "tt"])


async def _ack() -> None:
    return None


def _wire(seq: int, kind: str, payloads: list[dict[str, object]]) -> Delivery:
    envs = [Envelope("bb", seq + i, T0, kind, Releasability(("tt",)), p) for i, p in enumerate(payloads)]
    return Delivery(seal(envs, KEYS["bb"], "tt", KEYS["tt"].public_key()), f"seawatch.bb.tt.{kind}", _ack)


@pytest.fixture
async def tt(tmp_path: Path) -> AsyncIterator[FederatedNode]:
    node = FederatedNode(
        NodeSettings(node_id="tt", data_dir=tmp_path / "tt"),
        make_settings("tt", KEYS, tmp_path),
        MemoryTransport(MemoryBroker()),
        detectors=[],
    )
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


def _ais(mmsi: int, k: int, lat: float, lon: float) -> Observation:
    return Observation(
        time=T0 + timedelta(seconds=10 * k),
        lat=lat,
        lon=lon,
        sensor=SensorKind.AIS,
        source="tt-ais",
        station="tt-rx",
        mmsi=mmsi,
        sog_kn=5.0,
        cog_deg=90.0,
    )


def _track(ref: str, mmsi: object, lat: float = 10.6, lon: float = -61.5) -> dict[str, object]:
    return {"track_id": ref, "mmsi": mmsi, "time": "2026-01-01T12:00:30Z", "lat": lat, "lon": lon}


async def test_poison_item_quarantined_and_the_batch_beside_it_kept(tt: FederatedNode) -> None:
    fed = tt.federation
    poison = _track("p1", 1e30)
    good = _track("g1", 366_000_123)
    also_bad = [
        {**_track("p2", 366_000_124), "lat": "north"},
        {**_track("p3", 366_000_125), "sog_kn": 1e9},
        {**_track("p4", 366_000_126), "name": "x" * 10_000},
        {**_track("p5", 366_000_127), "unknown_field": 1},
    ]
    merged = await fed.handle([_wire(1, "track", [poison, good, *also_bad])])
    assert merged == 1  # the good item in the same signed bundle went through
    await tt.node.submit("tt-ais", [_ais(366_000_999, 0, 10.5, -61.4)])  # the node's own data still flows
    await tt.node.drain()
    mmsis = {s.mmsi for s in tt.node.store.latest_tracks()}
    assert {366_000_123, 366_000_999} <= mmsis and 10**30 not in mmsis
    quarantined = {q.seq: q.reason for q in fed.db.quarantined()}
    assert sorted(quarantined) == [1, 3, 4, 5, 6]
    assert "mmsi" in quarantined[1] and "outside" in quarantined[1]
    assert "lat" in quarantined[3] and "sog_kn" in quarantined[4] and "name" in quarantined[5]
    assert "unknown_field" in quarantined[6]
    audited = [r for r in fed.audit.query(action="quarantined")]
    assert sorted(r.seq for r in audited if r.seq is not None) == [1, 3, 4, 5, 6]
    # redelivery of the same message (a lost ack): nothing new, nothing quarantined twice
    assert await fed.handle([_wire(1, "track", [poison, good, *also_bad])]) == 0
    assert len(fed.db.quarantined()) == 5


async def test_partner_cannot_rewrite_own_event(tt: FederatedNode) -> None:
    own = Event(
        "port_visit", (366_000_001,), T0, T0 + timedelta(hours=1), 10.65, -61.52, {"duration_s": 3600.0}
    )
    await tt.node.submit("tt-detect", [PartnerEvent(own, "tt")])
    forged = {**own.to_json(), "lat": 0.0, "lon": 0.0}
    del forged["id"]
    forged.pop("severity", None)
    assert await tt.federation.handle([_wire(10, "event", [forged])]) == 1
    await tt.node.drain()
    store = tt.node.store
    [kept] = [e for e in store.events(EventQuery(types=("port_visit",), limit=10))]
    assert (kept.lat, kept.lon) == (10.65, -61.52)
    assert store.event_origin(kept.event_id) == "tt"


async def test_partner_cannot_drag_own_track(tt: FederatedNode) -> None:
    mmsi = 366_000_050
    for k in range(3):
        await tt.node.submit("tt-ais", [_ais(mmsi, k, 10.6, -61.5 + 0.0005 * k)])
    await tt.node.drain()
    lies = [_track(f"l{i}", mmsi, lat=0.0, lon=0.0) for i in range(10)]
    await tt.federation.handle([_wire(20, "track", lies)])
    await tt.node.drain()
    states = [s for s in tt.node.live.values() if s.mmsi == mmsi]
    assert states and all(abs(s.lat - 10.6) < 0.01 for s in states)
    assert all("tt" in s.nodes or not s.nodes for s in states)
    assert tt.federation.sink.own_preferred == 10  # type: ignore[attr-defined]
    consistent = [_track("c1", mmsi, lat=10.6, lon=-61.4985)]  # agrees with our track: merged into it
    await tt.federation.handle([_wire(40, "track", consistent)])
    await tt.node.drain()
    assert tt.federation.sink.own_preferred == 10  # type: ignore[attr-defined]


async def test_kept_but_unmerged_items_merged_at_restart(tmp_path: Path) -> None:
    """A crash between keeping an item (acked) and the node taking it: the next start hands it over."""
    settings = make_settings("tt", KEYS, tmp_path)
    first = FederatedNode(
        NodeSettings(node_id="tt", data_dir=tmp_path / "tt"), settings, MemoryTransport(MemoryBroker()), []
    )

    class Dead:
        async def merge(self, envelopes: list[Envelope]) -> None:
            raise RuntimeError("node died")

        def forget(self, gone: list[tuple[str, int, str]]) -> None:
            return None

    first.federation.sink = Dead()
    assert await first.federation.handle([_wire(1, "track", [_track("u1", 366_000_321)])]) == 1
    assert len(first.federation.db.unmerged()) == 1
    first.federation.close()
    first.node.store.close()

    second = FederatedNode(
        NodeSettings(node_id="tt", data_dir=tmp_path / "tt"), settings, MemoryTransport(MemoryBroker()), []
    )
    await second.start()
    try:
        assert await second.federation.merge_unmerged() in (0, 1)  # the retention loop may have done it
        await second.node.drain()
        assert any(s.mmsi == 366_000_321 for s in second.node.store.latest_tracks())
        assert second.federation.db.unmerged() == []
    finally:
        await second.stop()


async def test_link_health_and_quarantine_in_the_api(tt: FederatedNode) -> None:
    import httpx

    from seawatch.api.auth import add_user, new_token
    from seawatch.server import federated_app

    await tt.federation.handle([_wire(1, "track", [_track("p1", 1e30), _track("g1", 366_000_123)])])
    add_user(tt.node.store, "admin", "admin", None)
    token = new_token(tt.node.store, "admin", "api", None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=federated_app(tt, manage=False)),
        base_url="http://test",
        headers={"authorization": f"Bearer {token}"},
    ) as client:
        body = (await client.get("/api/share/links")).json()
        [bb] = body["links"]
        assert bb["partner"] == "bb" and bb["received"] == 1 and bb["refused"] == 1
        assert bb["last_received"] is not None and "mmsi" in bb["last_error"]
        quarantined = (await client.get("/api/share/quarantine")).json()["items"]
        assert [q["seq"] for q in quarantined] == [1] and "1e+30" in quarantined[0]["payload"]


async def test_partner_track_names_and_withheld_positions_carried(tt: FederatedNode) -> None:
    named = {**_track("n1", 366_000_777), "name": "SEA SPIRIT", "ship_type": 30}
    event = {
        "type": "ais_gap",
        "start": "2026-01-01T11:00:00Z",
        "end": "2026-01-01T12:00:00Z",
        "mmsi": [366_000_777],
        "lat": 10.6,
        "lon": -61.5,
        "details": {"duration_s": 3600.0},
        "withheld": ["details.end"],
    }
    await tt.federation.handle([_wire(1, "track", [named])])
    await tt.federation.handle([_wire(2, "event", [event])])
    await tt.node.drain()
    [state] = [s for s in tt.node.store.latest_tracks() if s.mmsi == 366_000_777]
    assert (state.name, state.ship_type) == ("SEA SPIRIT", 30)
    [stored] = tt.node.store.events(EventQuery(types=("ais_gap",), limit=10))
    assert stored.details["withheld"] == ["details.end"]
    assert tt.node.store.event_origin(stored.event_id) == "bb"


async def test_event_derived_from_partner_data_ends_with_its_retention(tt: FederatedNode) -> None:
    import time

    from seawatch.node.bus import LiveItem

    mmsi = 366_000_888
    env = Envelope("bb", 1, T0, "track", Releasability(("tt",), False, 3600.0), _track("d1", mmsi))
    wire = seal([env], KEYS["bb"], "tt", KEYS["tt"].public_key())
    await tt.federation.handle([Delivery(wire, "seawatch.bb.tt.track", _ack)])
    await tt.node.drain()
    assert any(s.mmsi == mmsi and "bb" in s.nodes for s in tt.node.live.values())
    derived = Event("loitering", (mmsi,), T0, T0 + timedelta(hours=2), 10.6, -61.5, {"duration_s": 7200.0})
    own = Event("loitering", (366_000_889,), T0, T0 + timedelta(hours=2), 10.7, -61.5, {"duration_s": 7200.0})
    await tt.node.submit("tt-detect", [PartnerEvent(derived, "tt"), PartnerEvent(own, "tt")])
    await tt.node.drain()
    tt.link.on_live(LiveItem("event", derived, "tt"))  # raised by tt's detectors on bb's track
    tt.link.on_live(LiveItem("event", own, "tt"))
    store = tt.node.store
    assert len(store.events(EventQuery(types=("loitering",), limit=10))) == 2
    tt.federation.clock = lambda: time.time() + 3700  # past bb's hour
    tt.federation.expire()
    [left] = store.events(EventQuery(types=("loitering",), limit=10))
    assert left.mmsi == (366_000_889,)  # the own event on own data stays


async def test_partner_report_of_our_own_event_is_one_event_with_both_origins(tt: FederatedNode) -> None:
    pair = (366_000_401, 366_000_402)
    own = Event("encounter", pair, T0, T0 + timedelta(hours=2), 10.6, -61.5, {"duration_s": 7200.0})
    await tt.node.submit("tt-detect", [PartnerEvent(own, "tt")])
    theirs = {
        "type": "encounter",
        "mmsi": list(pair),
        "start": (T0 + timedelta(minutes=10)).isoformat(),  # their detector started a little later
        "end": (T0 + timedelta(hours=2)).isoformat(),
        "lat": 10.61,
        "lon": -61.49,
        "details": {"duration_s": 6600.0},
    }
    other = {**theirs, "mmsi": [366_000_403, 366_000_404]}  # a different pair: their own event
    assert await tt.federation.handle([_wire(1, "event", [theirs, other])]) == 2
    await tt.node.drain()
    store = tt.node.store
    events = store.events(EventQuery(types=("encounter",), limit=10))
    assert len(events) == 2
    [ours] = [e for e in events if set(e.mmsi) == set(pair)]
    assert store.event_origin(ours.event_id) == "tt" and ours.details["also_reported_by"] == ["bb"]
    assert (ours.lat, ours.lon) == (10.6, -61.5)
    [bbs] = [e for e in events if set(e.mmsi) != set(pair)]
    assert store.event_origin(bbs.event_id) == "bb"


async def test_own_detection_after_the_partners_report_is_one_event_with_both_origins(
    tt: FederatedNode,
) -> None:
    """The other way round: bb's event came first (an operator acknowledged it), tt's detectors raise the
    same encounter later: one event, tt's own, listing bb; bb's copy leaves the list, its state moves."""
    from seawatch.node.bus import LiveItem

    pair = (366_000_501, 366_000_502)
    theirs = {
        "type": "encounter",
        "mmsi": list(pair),
        "start": T0.isoformat(),
        "end": (T0 + timedelta(hours=2)).isoformat(),
        "lat": 10.61,
        "lon": -61.49,
        "details": {"duration_s": 7200.0},
    }
    unrelated = {**theirs, "mmsi": [366_000_503, 366_000_504]}
    assert await tt.federation.handle([_wire(1, "event", [theirs, unrelated])]) == 2
    await tt.node.drain()
    store = tt.node.store
    [bbs] = [e for e in store.events(EventQuery(types=("encounter",), limit=10)) if set(e.mmsi) == set(pair)]
    assert store.event_origin(bbs.event_id) == "bb"
    assert store.set_alert_state(bbs.event_id, "acknowledged", None, "op1") is not None
    seen: list[LiveItem] = []
    tt.node.subscribe(seen.append)
    own = Event("encounter", pair, T0 + timedelta(minutes=5), T0 + timedelta(hours=2), 10.6, -61.5, {})
    await tt.node.submit("tt-detect", [PartnerEvent(own, "tt")])
    await tt.node.drain()
    events = store.events(EventQuery(types=("encounter",), limit=10))
    assert len(events) == 2  # tt's (with bb folded in) and bb's unrelated one
    [ours] = [e for e in events if set(e.mmsi) == set(pair)]
    assert ours.event_id == own.event_id and store.event_origin(ours.event_id) == "tt"
    assert ours.details["also_reported_by"] == ["bb"]
    assert store.alert_states([own.event_id])[own.event_id]["state"] == "acknowledged"
    assert store.alert_states([bbs.event_id]) == {}
    dismissed = [i.item for i in seen if i.kind == "alert_state"]
    assert [d["event_id"] for d in dismissed] == [bbs.event_id] and dismissed[0]["state"] == "dismissed"
    # a later update of the own event (it grows) folds nothing more and keeps both origins
    await tt.node.submit("tt-detect", [PartnerEvent(own, "tt")])
    await tt.node.drain()
    [ours] = [e for e in store.events(EventQuery(types=("encounter",), limit=10)) if set(e.mmsi) == set(pair)]
    assert store.event_origin(ours.event_id) == "tt" and ours.details["also_reported_by"] == ["bb"]
