"""Federation logic over the in-memory transport (unit level; the broker tests use real NATS)."""

from __future__ import annotations

from pathlib import Path

import orjson

from seawatch.share.envelope import Envelope
from seawatch.share.federation import Federation
from seawatch.share.memory_transport import MemoryBroker, MemoryTransport, _noop_ack
from seawatch.share.transport import Delivery
from tests.share.helpers import BB_EEZ, make_keys, make_settings, radar_track


class ListSink:
    def __init__(self) -> None:
        self.items: list[Envelope] = []
        self.forgotten: list[tuple[str, int, str]] = []

    async def merge(self, envelopes: list[Envelope]) -> None:
        self.items.extend(envelopes)

    def forget(self, gone: list[tuple[str, int, str]]) -> None:
        self.forgotten.extend(gone)


def _nodes(
    tmp_path: Path, clock: list[float] | None = None
) -> tuple[dict[str, Federation], dict[str, ListSink]]:
    keys = make_keys(["bb", "tt", "jm"])
    broker = MemoryBroker()
    bb_pol = {
        "tt": {"track_sources": ["radar"], "event_types": ["*"], "areas": [BB_EEZ], "retention_s": 60},
        "jm": {"event_types": ["*"]},
    }
    sinks = {n: ListSink() for n in keys}
    feds = {}
    for n in keys:
        settings = make_settings(n, keys, tmp_path, bb_pol if n == "bb" else {})
        kw = {"clock": (lambda: clock[0])} if clock is not None else {}
        feds[n] = Federation(settings, MemoryTransport(broker), sinks[n], **kw)
    return feds, sinks


async def _pump(feds: dict[str, Federation]) -> None:
    for f in feds.values():
        await f.transport.start()
    await feds["bb"].send_due()
    for n in ("tt", "jm"):
        await feds[n].receive_from("bb", timeout_s=0.01)


async def test_policy_routes_items(tmp_path: Path) -> None:
    feds, sinks = _nodes(tmp_path)
    bb = feds["bb"]
    assert bb.publish(radar_track(1)) == 1  # radar: tt only
    assert bb.publish(radar_track(2, lat=18.0, lon=-76.8)) == 0  # outside bb's area: nobody
    event = {
        "kind": "event",
        "data": {
            "start": "2026-01-01T00:00:00Z",
            "end": "2026-01-01T01:00:00Z",
            "type": "encounter",
            "lat": 13.0,
            "lon": -59.0,
            "mmsi": [1, 2],
        },
    }
    assert bb.publish(event) == 2  # events: tt and jm
    await _pump(feds)
    assert [e.kind for e in sinks["tt"].items] == ["track", "event"]
    assert [e.kind for e in sinks["jm"].items] == ["event"]
    assert feds["jm"].db.received(kind="track") == []
    assert bb.audit.counts()["sent"] == 3


async def test_outage_store_and_forward(tmp_path: Path) -> None:
    feds, sinks = _nodes(tmp_path)
    broker = feds["bb"].transport.broker  # type: ignore[attr-defined]
    for f in feds.values():
        await f.transport.start()
    broker.up = False
    for i in range(20):
        feds["bb"].publish(radar_track(i))
    assert await feds["bb"].send_due() == 0
    assert feds["bb"].db.outbox_size() == 20
    broker.up = True
    await _pump(feds)
    assert feds["bb"].db.outbox_size() == 0
    assert sorted(e.seq for e in sinks["tt"].items) == list(range(1, 21))


async def test_a_swapped_transport_carries_both_ways(tmp_path: Path) -> None:
    """The sender and the receiver share the node's connection: replacing it (the benchmark sends
    through a fault proxy after a direct warm-up) must move both, or items go out on the old one."""
    feds, sinks = _nodes(tmp_path)
    old = feds["bb"].transport
    other = MemoryBroker()
    for n in ("bb", "tt"):
        feds[n].transport = MemoryTransport(other)
    await feds["bb"].transport.start()
    await feds["tt"].transport.start()
    feds["bb"].publish(radar_track(1))
    assert await feds["bb"].send_due() == 1
    await feds["tt"].receive_from("bb", timeout_s=0.01)
    assert [e.seq for e in sinks["tt"].items] == [1]
    assert old.broker is not other  # type: ignore[attr-defined]


async def test_replay_and_tamper_rejected_and_audited(tmp_path: Path) -> None:
    feds, sinks = _nodes(tmp_path)
    feds["bb"].publish(radar_track(1))
    await _pump(feds)
    tt = feds["tt"]
    stream = next(iter(tt.transport.broker.streams.values()))  # type: ignore[attr-defined]
    subject, wire = stream[0]
    assert await tt.handle([Delivery(wire, subject, _noop_ack)]) == 0  # replay
    obj = orjson.loads(wire)
    obj["ct"] = obj["ct"][:-8] + ("AAAAAAA=" if obj["ct"][-8:] != "AAAAAAA=" else "BBBBBBB=")
    assert await tt.handle([Delivery(orjson.dumps(obj), subject, _noop_ack)]) == 0  # tampered
    assert await feds["jm"].handle([Delivery(wire, "seawatch.bb.jm.track", _noop_ack)]) == 0  # not for jm
    reasons = [r.reason for r in tt.audit.query(action="rejected")]
    assert any("replay" in (r or "") for r in reasons)
    assert any("signature" in (r or "") for r in reasons)
    assert any("sealed to 'tt'" in (r.reason or "") for r in feds["jm"].audit.query(action="rejected"))
    assert len(sinks["tt"].items) == 1 and sinks["jm"].items == []


async def test_no_reshare_and_retention(tmp_path: Path) -> None:
    clock = [1_000_000.0]
    feds, sinks = _nodes(tmp_path, clock)
    feds["bb"].publish(radar_track(1))
    await _pump(feds)
    tt = feds["tt"]
    tt.set_policy("jm", {"track_sources": ["radar"]})
    # tt's fused track now carries bb's contribution: bb said may_reshare = false
    fused = radar_track(9)
    fused["data"]["nodes"] = ["tt", "bb"]
    assert tt.publish(fused) == 0
    assert tt.audit.query(action="withheld")
    clock[0] += 61
    assert tt.expire() == 1
    assert sinks["tt"].forgotten == [("bb", 1, "track")]
    assert tt.db.received() == []


async def test_delay_holds_items(tmp_path: Path) -> None:
    clock = [1_000_000.0]
    feds, sinks = _nodes(tmp_path, clock)
    feds["bb"].set_policy("jm", {"event_types": ["*"], "delay_s": 30})
    feds["bb"].publish(
        {
            "kind": "event",
            "data": {
                "start": "2026-01-01T00:00:00Z",
                "end": "2026-01-01T01:00:00Z",
                "type": "ais_gap",
                "lat": 13.0,
                "lon": -59.0,
            },
        }
    )
    await _pump(feds)
    assert sinks["jm"].items == [] and len(sinks["tt"].items) == 1
    clock[0] += 31
    await _pump(feds)
    assert len(sinks["jm"].items) == 1


async def test_policy_override_persists(tmp_path: Path) -> None:
    feds, _ = _nodes(tmp_path)
    feds["bb"].set_policy("jm", {"sightings": True}, user="admin")
    again = Federation(feds["bb"].settings, feds["bb"].transport)
    assert again.policy_for("jm").sightings is True
    assert again.audit.query(action="policy_changed")[0].user == "admin"


async def test_old_sequence_numbers_stay_replays_after_pruning(tmp_path: Path) -> None:
    clock = [1_000_000.0]
    feds, sinks = _nodes(tmp_path, clock)
    for i in range(3):
        feds["bb"].publish(radar_track(i))
    await _pump(feds)
    tt = feds["tt"]
    stream = next(iter(tt.transport.broker.streams.values()))  # type: ignore[attr-defined]
    subject, first_wire = stream[0]
    clock[0] += tt.settings.seen_keep_s + 1
    tt.expire()
    assert tt.db.prune_seen(clock[0]) == 0  # already pruned by expire
    assert await tt.handle([Delivery(first_wire, subject, _noop_ack)]) == 0  # below the floor: replay
    feds["bb"].publish(radar_track(9))
    await _pump(feds)
    assert [e.seq for e in sinks["tt"].items] == [1, 2, 3, 4]


async def test_reshare_when_allowed(tmp_path: Path) -> None:
    feds, _ = _nodes(tmp_path)
    feds["bb"].set_policy("tt", {"track_sources": ["radar"], "may_reshare": True, "retention_s": 3600})
    feds["bb"].publish(radar_track(1))
    await _pump(feds)
    tt = feds["tt"]
    tt.set_policy("jm", {"track_sources": ["radar"]})
    tt.set_policy("bb", {"track_sources": ["radar"]})
    fused = radar_track(9)
    fused["data"]["nodes"] = ["tt", "bb"]
    assert tt.publish(fused) == 1  # to jm (bb said it may be passed on), never back to bb
    [row] = tt.db.due(1e18, 10)
    assert row.partner == "jm"
    await tt.send_due()
    await feds["jm"].receive_from("tt", timeout_s=0.01)
    [kept] = feds["jm"].db.received(origin="tt")
    assert kept.expires_t - kept.received_t == 3600  # bb's retention, shorter than tt's default week
