"""Narrowing or revoking a policy takes effect at once: on what waits in the outbox (re-applied, the rest
withheld and audited) and on what the broker still holds undelivered for that partner (purged)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer
from seawatch.share.memory_transport import MemoryBroker, MemoryTransport
from seawatch.share.policy import SharePolicy
from seawatch.share.transport import NatsTransport
from tests.share.helpers import make_keys, make_settings, radar_track

EVENTS_LATE = {"event_types": ["*"], "delay_s": 600, "track_sources": ["radar"]}


def _event(i: int) -> dict[str, object]:
    return {
        "kind": "event",
        "data": {
            "type": "encounter",
            "start": "2026-01-01T00:00:00Z",
            "end": "2026-01-01T01:00:00Z",
            "mmsi": [366_000_000 + i],
            "lat": 13.0 + i * 0.01,
            "lon": -59.5,
        },
    }


def _pair(tmp_path: Path, transport_for: object = None) -> tuple[Federation, Federation]:
    keys = make_keys(["bb", "jm"])
    broker = MemoryBroker()
    bb = Federation(make_settings("bb", keys, tmp_path, {"jm": EVENTS_LATE}), MemoryTransport(broker))
    jm = Federation(make_settings("jm", keys, tmp_path), MemoryTransport(broker))
    return bb, jm


async def test_revoked_policy_withholds_everything_queued(tmp_path: Path) -> None:
    bb, jm = _pair(tmp_path)
    clock = [1_000_000.0]
    bb.clock = lambda: clock[0]
    assert bb.publish_many([_event(i) for i in range(6)]) == 6
    assert bb.db.outbox_size() == 6
    bb.set_policy("jm", {}, user="admin")  # revoke, 6 items still held by the 600 s delay
    assert bb.db.outbox_size() == 0
    withheld = bb.audit.query(action="withheld", partner="jm")
    assert sorted(r.seq for r in withheld if r.seq is not None) == list(range(1, 7))
    assert all(r.user == "admin" and "policy changed" in (r.reason or "") for r in withheld if r.seq)
    clock[0] += 3600
    await bb.transport.start()
    await jm.transport.start()
    assert await bb.send_due() == 0
    assert await jm.receive_from("bb", timeout_s=0.01) == 0


async def test_narrowed_policy_reapplied_to_queue(tmp_path: Path) -> None:
    bb, jm = _pair(tmp_path)
    clock = [1_000_000.0]
    bb.clock = lambda: clock[0]
    bb.publish_many([_event(i) for i in range(3)] + [radar_track(i) for i in range(3)])
    assert bb.db.outbox_size() == 6
    bb.set_policy("jm", {"event_types": ["encounter"], "precision_decimals": 1, "delay_s": 1200})
    assert bb.db.outbox_size() == 3  # tracks no longer allowed: withheld
    clock[0] += 700  # past the old delay, not the new one
    await bb.transport.start()
    await jm.transport.start()
    assert await bb.send_due() == 0
    clock[0] += 600
    assert await bb.send_due() == 1  # one bundle of the 3 events
    assert await jm.receive_from("bb", timeout_s=0.01) == 3
    received = jm.db.received(origin="bb")
    assert {r.kind for r in received} == {"event"}
    assert all(round(r.payload["lat"], 1) == r.payload["lat"] for r in received)


def test_open_or_narrow() -> None:
    old = SharePolicy.from_dict("jm", {"event_types": ["*"], "precision_decimals": 3})
    assert SharePolicy.from_dict("jm", {"event_types": ["*"]}).at_least_as_open_as(old)
    assert not SharePolicy.from_dict(
        "jm", {"event_types": ["*"], "precision_decimals": 2}
    ).at_least_as_open_as(old)
    assert not SharePolicy.from_dict("jm", {}).at_least_as_open_as(old)
    assert SharePolicy.from_dict("jm", {}).at_least_as_open_as(SharePolicy.from_dict("jm", {}))


@pytest.mark.broker
async def test_revocation_purges_undelivered_on_broker(tmp_path: Path, nats_server: LocalNatsServer) -> None:
    keys = make_keys(["bb", "jm", "tt"])
    policies = {"jm": {"event_types": ["*"]}, "tt": {"event_types": ["*"]}}
    bb = Federation(
        make_settings("bb", keys, tmp_path, policies, nats_server.url), NatsTransport(nats_server.url)
    )
    jm = Federation(make_settings("jm", keys, tmp_path, {}, nats_server.url), NatsTransport(nats_server.url))
    tt = Federation(make_settings("tt", keys, tmp_path, {}, nats_server.url), NatsTransport(nats_server.url))
    try:
        await bb.transport.start()
        for i in range(5):  # five messages on the broker
            bb.publish(_event(i))
        while bb.db.outbox_size():
            assert await bb.send_due() > 0
        lag = await bb.transport.lag("bb", "jm")
        assert lag is not None and lag.waiting == 5  # on the broker, jm has not taken them
        bb.set_policy("jm", {}, user="admin")
        await bb.send_due()  # the send loop's turn: purge first
        lag = await bb.transport.lag("bb", "jm")
        assert lag is not None and lag.waiting == 0
        reasons = [r.reason or "" for r in bb.audit.query(action="withheld", partner="jm")]
        assert any("5 undelivered messages purged" in r for r in reasons)
        await jm.transport.start()
        await tt.transport.start()
        assert await jm.receive_from("bb", timeout_s=0.5) == 0
        got = 0
        for _ in range(10):  # tt's own items are untouched by jm's revocation
            got += await tt.receive_from("bb", timeout_s=0.3)
            if got == 5:
                break
        assert got == 5
    finally:
        for fed in (bb, jm, tt):
            await fed.transport.close()
            fed.close()


@pytest.mark.broker
async def test_narrowing_purge_delivers_what_is_still_allowed(
    tmp_path: Path, nats_server: LocalNatsServer
) -> None:
    """A narrowing purges what the broker holds for the partner, then sends again what the new policy
    still allows: the partner ends with every allowed item once, the rest withheld item by item."""
    keys = make_keys(["bb", "jm"])
    bb = Federation(
        make_settings(
            "bb", keys, tmp_path, {"jm": {"event_types": ["*"], "track_sources": ["radar"]}}, nats_server.url
        ),
        NatsTransport(nats_server.url),
    )
    jm = Federation(make_settings("jm", keys, tmp_path, {}, nats_server.url), NatsTransport(nats_server.url))
    try:
        await bb.transport.start()
        await jm.transport.start()
        bb.publish_many([_event(i) for i in range(2)])
        while bb.db.outbox_size():
            assert await bb.send_due() > 0
        taken = 0
        for _ in range(20):  # jm takes (and acks) the first two
            taken += await jm.receive_from("bb", timeout_s=0.3)
            if taken == 2:
                break
        assert taken == 2
        bb.publish_many([_event(i) for i in range(2, 5)] + [radar_track(i) for i in range(3)])
        while bb.db.outbox_size():
            assert await bb.send_due() > 0
        lag = await bb.transport.lag("bb", "jm")
        assert lag is not None and lag.waiting == 2  # two bundles: 3 events, 3 tracks
        bb.set_policy("jm", {"event_types": ["*"]}, user="admin")  # tracks no longer
        await bb.send_due()  # purge, then the 3 events queued again...
        while bb.db.outbox_size():
            await bb.send_due()  # ...and sent
        for _ in range(20):
            taken += await jm.receive_from("bb", timeout_s=0.3)
            if taken >= 5:
                break
        await jm.receive_from("bb", timeout_s=0.3)  # nothing more comes
        received = jm.db.received(origin="bb")
        assert sorted(r.seq for r in received) == [1, 2, 3, 4, 5]  # every event once
        assert {r.kind for r in received} == {"event"}
        withheld = bb.audit.query(action="withheld", partner="jm")
        assert sorted(r.seq for r in withheld if r.seq is not None) == [6, 7, 8]  # the tracks, by seq
        summary = [r.reason or "" for r in withheld if r.seq is None]
        assert any("3 items still allowed queued again, 3 withheld" in r for r in summary), summary
        assert jm.stats["rejected"] == 0  # no replay: nothing sent twice
    finally:
        for fed in (bb, jm):
            await fed.transport.close()
            fed.close()
