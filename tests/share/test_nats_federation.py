"""Federation over a real NATS JetStream server on loopback: routing, outages, catch-up, bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import orjson
import pytest

from seawatch.share.envelope import Envelope, Releasability, generate_key, seal
from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer
from seawatch.share.transport import NatsTransport
from tests.share.helpers import BB_EEZ, make_keys, make_settings, radar_track, wait_until
from tests.share.test_federation_memory import ListSink

pytestmark = pytest.mark.broker

BB_POLICIES = {
    "tt": {"track_sources": ["radar"], "event_types": ["*"], "areas": [BB_EEZ]},
    "jm": {"event_types": ["*"]},
}


class Trio:
    def __init__(self, tmp: Path, url: str) -> None:
        self.keys = make_keys(["bb", "tt", "jm"])
        self.sinks = {n: ListSink() for n in self.keys}
        self.feds = {
            n: Federation(
                make_settings(n, self.keys, tmp, BB_POLICIES if n == "bb" else {}, url),
                NatsTransport(url),
                self.sinks[n],
            )
            for n in self.keys
        }

    def seqs(self, node: str, kind: str | None = None) -> list[int]:
        return sorted(e.seq for e in self.sinks[node].items if kind is None or e.kind == kind)


@pytest.fixture
async def trio(tmp_path: Path, nats_server: LocalNatsServer) -> AsyncIterator[Trio]:
    t = Trio(tmp_path, nats_server.url)
    for f in t.feds.values():
        await f.start()
    try:
        yield t
    finally:
        for f in t.feds.values():
            await f.stop()
            f.close()


def _event(i: int) -> dict[str, object]:
    return {
        "kind": "event",
        "data": {
            "start": "2026-01-01T00:00:00Z",
            "end": "2026-01-01T01:00:00Z",
            "type": "encounter",
            "mmsi": [i, i + 1],
            "lat": 13.0,
            "lon": -59.5,
        },
    }


async def test_policy_routing_over_broker(trio: Trio) -> None:
    bb = trio.feds["bb"]
    for i in range(50):
        bb.publish(radar_track(i))
        bb.publish(radar_track(1000 + i, lat=18.0, lon=-76.8))  # outside bb's EEZ box: nobody
    for i in range(10):
        bb.publish(_event(i))
    assert await wait_until(lambda: len(trio.sinks["tt"].items) == 60 and len(trio.sinks["jm"].items) == 10)
    assert len(trio.seqs("tt", "track")) == 50
    assert trio.seqs("jm", "track") == []
    assert trio.feds["jm"].db.received(kind="track") == []
    assert len(trio.feds["tt"].db.received(kind="track")) == 50
    assert all(e.payload["lat"] == 13.1 for e in trio.sinks["tt"].items if e.kind == "track")
    # tt's and jm's views never overlap in sequence numbers: each envelope is for one partner
    assert not set(trio.seqs("tt")) & set(trio.seqs("jm"))
    assert bb.audit.counts()["sent"] == 70


async def test_broker_killed_mid_stream_no_loss_no_dup(trio: Trio, nats_server: LocalNatsServer) -> None:
    bb = trio.feds["bb"]
    total = 600

    async def produce() -> None:
        for i in range(total):
            bb.publish(radar_track(i))
            await asyncio.sleep(0.002)

    producer = asyncio.create_task(produce())
    assert await wait_until(lambda: len(trio.sinks["tt"].items) >= 100)
    nats_server.stop()  # the broker dies while items keep coming
    await asyncio.sleep(0.5)
    queued_while_down = bb.db.outbox_size()
    nats_server.start()
    await producer
    assert await wait_until(lambda: len(trio.sinks["tt"].items) >= total, timeout_s=40)
    assert await wait_until(lambda: bb.db.outbox_size() == 0)
    await asyncio.sleep(0.5)  # give any duplicate a chance to show up
    seqs = trio.seqs("tt")
    assert queued_while_down > 0
    assert seqs == list(range(1, total + 1)), (len(seqs), len(set(seqs)))  # zero lost, zero duplicated
    assert len(trio.feds["tt"].db.received()) == total


async def test_partner_offline_catches_up(trio: Trio) -> None:
    bb, jm = trio.feds["bb"], trio.feds["jm"]
    await jm.stop()  # jm goes away entirely
    for i in range(100):
        bb.publish(_event(i))
    assert await wait_until(lambda: len(trio.sinks["tt"].items) == 100)
    assert trio.sinks["jm"].items == []
    await jm.start()  # back: its durable consumer hands over what it missed
    assert await wait_until(lambda: len(trio.sinks["jm"].items) == 100)
    assert len(set(trio.seqs("jm"))) == 100


async def test_tampered_forged_replayed_rejected(trio: Trio, nats_server: LocalNatsServer) -> None:
    bb, tt = trio.feds["bb"], trio.feds["tt"]
    bb.publish(radar_track(1))
    assert await wait_until(lambda: len(trio.sinks["tt"].items) == 1)
    original = trio.sinks["tt"].items[0]
    tt_key = trio.keys["tt"].public_key()
    good = seal(original, trio.keys["bb"], "tt", tt_key)
    tampered = orjson.loads(good)
    tampered["ct"] = tampered["ct"][:-8] + ("AAAAAAA=" if tampered["ct"][-8:] != "AAAAAAA=" else "BBBBBBB=")
    forged = Envelope("bb", 999, original.time, "track", Releasability(("tt",)), {"lat": 1.0, "lon": 1.0})
    unknown = Envelope("xx", 1, original.time, "track", Releasability(("tt",)), {"lat": 1.0, "lon": 1.0})
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await js.publish("seawatch.bb.tt.track", good)  # replay of seq 1
    await js.publish("seawatch.bb.tt.track", orjson.dumps(tampered))
    await js.publish("seawatch.bb.tt.track", seal(forged, generate_key(), "tt", tt_key))
    await js.publish("seawatch.bb.tt.track", seal(unknown, trio.keys["bb"], "tt", tt_key))
    await js.publish("seawatch.bb.tt.track", b"x" * 600_000)
    await nc.close()
    assert await wait_until(lambda: tt.stats["rejected"] >= 5)
    reasons = " | ".join(r.reason or "" for r in tt.audit.query(action="rejected"))
    for needle in ("replay", "bad signature", "unknown origin", "oversized"):
        assert needle in reasons
    assert reasons.count("bad signature") == 2
    assert len(trio.sinks["tt"].items) == 1  # nothing bad merged
    assert len(tt.db.received()) == 1


async def test_node_starts_while_broker_down(tmp_path: Path) -> None:
    server = LocalNatsServer(tmp_path / "nats-late")
    t = Trio(tmp_path, server.url)  # the broker is not running yet
    for f in t.feds.values():
        await f.start()
    try:
        for i in range(30):
            t.feds["bb"].publish(_event(i))
        await asyncio.sleep(1.0)
        assert t.feds["bb"].db.outbox_size() == 60 and not t.sinks["tt"].items
        server.start()
        assert await wait_until(lambda: len(t.sinks["tt"].items) == 30 and len(t.sinks["jm"].items) == 30)
        assert await wait_until(lambda: t.feds["bb"].db.outbox_size() == 0)
    finally:
        for f in t.feds.values():
            await f.stop()
            f.close()
        server.stop()


async def test_link_flapping_no_loss_no_dup(trio: Trio, nats_server: LocalNatsServer) -> None:
    bb = trio.feds["bb"]
    total = 900

    async def produce() -> None:
        for i in range(total):
            bb.publish(_event(i) if i % 3 == 0 else radar_track(i))
            await asyncio.sleep(0.002)

    producer = asyncio.create_task(produce())
    for _ in range(3):  # the broker drops and returns three times while items flow
        await asyncio.sleep(0.4)
        nats_server.stop()
        await asyncio.sleep(0.3)
        nats_server.start()
    await producer
    n_tt, n_jm = total, total // 3  # tt: everything; jm: the events only
    assert await wait_until(
        lambda: len(trio.sinks["tt"].items) >= n_tt and len(trio.sinks["jm"].items) >= n_jm, timeout_s=40
    )
    await asyncio.sleep(0.5)
    tt_seqs, jm_seqs = trio.seqs("tt"), trio.seqs("jm")
    assert len(tt_seqs) == len(set(tt_seqs)) == n_tt
    assert len(jm_seqs) == len(set(jm_seqs)) == n_jm
    assert sorted(tt_seqs + jm_seqs) == list(range(1, n_tt + n_jm + 1))  # every number, once
    assert trio.seqs("jm", "track") == []
