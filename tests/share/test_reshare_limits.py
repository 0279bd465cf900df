"""Re-sharing keeps the originator's limits: the originator's delay, areas, fields and precision travel in
the envelope and a re-sharer applies the most restrictive of both; positions jittered once stay jittered
once (a re-applied policy starts from the node's own item, a re-sharer adds only its radius beyond the
originator's)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from seawatch.share.federation import Federation
from seawatch.share.kinds import ShareItem
from seawatch.share.memory_transport import MemoryBroker, MemoryTransport
from tests.share.helpers import BB_EEZ, make_keys, make_settings

T0 = 1_000_000.0


def _event(i: int, lat: float = 13.0, lon: float = -59.5, **details: Any) -> dict[str, Any]:
    return {
        "kind": "event",
        "data": {
            "id": f"ev-{i}",
            "type": "encounter",
            "start": "2026-01-01T00:00:00Z",
            "end": "2026-01-01T01:00:00Z",
            "mmsi": [366_000_000 + i],
            "lat": lat,
            "lon": lon,
            "details": {"sensors": ["BB-RADAR"], **details},
        },
    }


def _region(
    tmp_path: Path, bb_policies: dict[str, dict[str, Any]]
) -> tuple[dict[str, Federation], list[float]]:
    keys = make_keys(["bb", "tt", "jm"])
    broker = MemoryBroker()
    clock = [T0]
    feds = {
        n: Federation(
            make_settings(n, keys, tmp_path, bb_policies if n == "bb" else {}),
            MemoryTransport(broker),
            clock=lambda: clock[0],
        )
        for n in keys
    }
    return feds, clock


async def _deliver(feds: dict[str, Federation], origin: str, to: str) -> int:
    for f in feds.values():
        await f.transport.start()
    await feds[origin].send_due()
    return await feds[to].receive_from(origin, timeout_s=0.01)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = math.radians(a[0] - b[0])
    dlon = math.radians(a[1] - b[1]) * math.cos(math.radians(a[0]))
    return 6_371_000.0 * math.hypot(dlat, dlon)


async def test_reshare_keeps_originators_delay_areas_fields_and_jitter(tmp_path: Path) -> None:
    bb_to_tt = {
        "event_types": ["*"],
        "may_reshare": True,
        "areas": [BB_EEZ],
        "precision_decimals": 3,
        "jitter_m": 2000,
        "retention_s": 7200,
    }
    feds, clock = _region(tmp_path, {"tt": bb_to_tt, "jm": {"event_types": ["*"], "delay_s": 600}})
    bb, tt, jm = feds["bb"], feds["tt"], feds["jm"]
    bb.publish(_event(1))
    assert await _deliver(feds, "bb", "tt") == 1
    [got] = tt.db.received(origin="bb")
    assert "sensors" not in (got.payload.get("details") or {})  # bb's default: no sensor ids
    # what tt's node re-shares: bb's event as tt stored it (NodeLink stamps origin_node)
    tt.set_policy("jm", {"event_types": ["*"], "fields": ["*"], "jitter_m": 500, "precision_decimals": 5})
    again = {**got.payload, "origin_node": "bb", "details": {"sensors": ["TT-RADAR"]}}
    assert tt.publish({"kind": "event", "data": again}) == 1
    [row] = tt.db.due(1e18, 10)
    assert row.partner == "jm"
    # bb holds its own copy for jm 600 s: tt may not pass it on earlier (tt's own delay is 0)
    assert tt.db.due(T0 + 599, 10) == []
    clock[0] += 601
    assert await _deliver(feds, "tt", "jm") == 1
    [out] = jm.db.received(origin="tt")
    # bb's fields (no sensor ids) and precision (3 decimals) kept, though tt's policy allows more
    assert "sensors" not in (out.payload.get("details") or {})
    assert round(out.payload["lat"], 3) == out.payload["lat"]
    # jittered once in total: bb's 2 km radius covers tt's 500 m, so tt adds nothing
    assert (out.payload["lat"], out.payload["lon"]) == (got.payload["lat"], got.payload["lon"])
    assert out.expires_t - out.received_t == 7200  # bb's retention
    # the envelope told jm both nodes' limits, bb's first, for any further re-share
    assert [x["node"] for x in jm.origins.upstream(["tt"])] == []  # tt's policy: no re-share
    tt.set_policy("jm", {"event_types": ["*"], "may_reshare": True})
    assert tt.publish({"kind": "event", "data": {**again, "id": "ev-again"}}) == 1
    clock[0] += 601
    assert await _deliver(feds, "tt", "jm") == 1
    chain = jm.origins.upstream(["tt"])
    assert [x["node"] for x in chain] == ["bb", "tt"]
    assert chain[0]["delay_s"] == 600 and chain[0]["precision_decimals"] == 3


async def test_reshare_outside_originators_area_is_withheld(tmp_path: Path) -> None:
    bb_to_tt = {"event_types": ["*"], "may_reshare": True, "areas": [BB_EEZ]}
    feds, _ = _region(tmp_path, {"tt": bb_to_tt})
    bb, tt = feds["bb"], feds["tt"]
    bb.publish(_event(1))
    assert await _deliver(feds, "bb", "tt") == 1
    tt.set_policy("jm", {"event_types": ["*"]})  # tt itself shares anywhere
    # an event tt raised on bb's track, positioned outside bb's area: bb's area still binds it
    derived = _event(2, lat=18.0, lon=-76.8)
    derived["data"]["nodes"] = ["bb"]
    assert tt.publish(derived) == 0
    reasons = [r.reason or "" for r in tt.audit.query(action="withheld", partner="jm")]
    assert any("outside the areas of ['bb']" in r for r in reasons)
    # ...and a second position of a re-shared event outside bb's area is removed and named
    inside = _event(3, end_lat=18.0, end_lon=-76.8)
    inside["data"]["nodes"] = ["bb"]
    assert tt.publish(inside) == 1
    [row] = tt.db.due(1e18, 10)
    assert row.partner == "jm"


async def test_reapplied_policy_does_not_jitter_again(tmp_path: Path) -> None:
    policy = {"event_types": ["*"], "jitter_m": 3000, "delay_s": 600}
    feds, clock = _region(tmp_path, {"jm": policy})
    bb, jm = feds["bb"], feds["jm"]
    original = _event(1)
    bb.publish(original)
    expected = bb.policy_for("jm").apply(ShareItem("event", original["data"]), bb.jitter_secret)
    assert expected is not None
    for delay in (900, 1200, 1500):  # three narrowings while it waits: each re-applies the policy
        bb.set_policy("jm", {**policy, "delay_s": delay})
    clock[0] += 1600
    assert await _deliver(feds, "bb", "jm") == 1
    [out] = jm.db.received(origin="bb")
    assert (out.payload["lat"], out.payload["lon"]) == (expected.data["lat"], expected.data["lon"])
    moved = _metres((out.payload["lat"], out.payload["lon"]), (13.0, -59.5))
    assert 0 < moved <= 3000.5
