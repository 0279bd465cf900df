"""The operations API on a live node: assets from the settings file, alerts ranked by interceptability,
tasking seen by every client, problem+json on bad input, and Cursor-on-Target to and from a real pytak
peer on real UDP sockets."""

from __future__ import annotations

import asyncio
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import orjson
import pytest
from pydantic import TypeAdapter

from seawatch.api.live_messages import LiveMessage
from seawatch.geo.fine_land import fine_land
from seawatch.geo.land import default_land
from seawatch.model import Event, Observation, SensorKind
from seawatch.ops.tak import TakFeedSettings, cot_event
from tests.node.harness import RunningNode, free_port, running_node
from tests.ops.helpers import boat, go_fast, go_fast_alert, on_node, ops_settings, radar_contact

pytak = pytest.importorskip("pytak")

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
LIVE_MESSAGE: TypeAdapter[Any] = TypeAdapter(LiveMessage)
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


class UdpPeer:
    """pytak's own UDP receiver on a real socket, in a thread with its own loop, collecting datagrams."""

    def __init__(self, port: int) -> None:
        self.url = f"udp+ro://127.0.0.1:{port}"
        self.messages: list[bytes] = []
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._receive())

    async def _receive(self) -> None:
        reader, _ = await pytak.create_udp_client(urlparse(self.url))
        self._ready.set()
        while True:
            data, _ = await reader.recv()
            self.messages.append(data)

    def wait_for(self, uid: str, timeout_s: float = 20.0) -> ET.Element:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for raw in list(self.messages):
                root = ET.fromstring(raw)
                if root.get("uid") == uid:
                    return root
            time.sleep(0.05)
        raise AssertionError(f"no CoT {uid} among {len(self.messages)} messages")


async def _send_udp(port: int, data: bytes) -> None:
    _, writer = await pytak.create_udp_client(urlparse(f"udp+wo://127.0.0.1:{port}"))
    await writer.send(data)


@pytest.fixture(scope="module")
def peer() -> UdpPeer:
    return UdpPeer(free_port())


@pytest.fixture(scope="module")
def ops_node(tmp_path_factory: pytest.TempPathFactory, peer: UdpPeer) -> Iterator[tuple[RunningNode, int]]:
    listen_port = free_port()
    settings = ops_settings(
        "ops",
        tmp_path_factory.mktemp("ops-node"),
        assets=[
            boat("CG-1", 17.78, -64.45, tak_uid="ANDROID-cg1"),  # east of St Croix, near the go-fast
            boat("CG-2", 17.68, -64.95, max_speed_kn=30.0, mmsi=338123456),
            boat(
                "CG-3",
                17.80,
                -64.50,
                readiness={"state": "maintenance", "until": TOMORROW, "reason": "gearbox"},
            ),
        ],
        tak=[
            TakFeedSettings(
                name="team",
                url=f"udp://127.0.0.1:{int(urlparse(peer.url).port or 0)}",
                listen=f"udp+ro://127.0.0.1:{listen_port}",
            )
        ],
    )
    with running_node(settings, wait_feeds=False) as running:
        yield running, listen_port


def _inject(running: RunningNode) -> None:
    """A go-fast (radar-only, 32 kn east, just off St Croix's east end) and a dark target far out at sea."""
    far = radar_contact(T0, 13.0, -75.0, "far", "DK1", 6.0, 200.0)
    on_node(running, running.node.ingest_observations([go_fast(T0), far], "ops"))
    dark = Event(type="dark_target", mmsi=(), start=T0, end=T0, lat=13.0, lon=-75.0, track_ids=("radar:DK1",))
    on_node(running, running.node.ingest_events([go_fast_alert(T0, median_sog_kn=32.0), dark], "ops"))


def _ranked(client: Any, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = client.get("/api/ops/alerts").json()
        if len(rows) == 2 and all(r["intercept"].get("reason") != "not planned yet" for r in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(f"alerts not planned: {rows}")


def _drain(bus_client: Any) -> set[str]:
    """The kinds of the messages queued for one WebSocket client, each checked against `LiveMessage`."""
    kinds = set()
    while not bus_client.queue.empty():
        message = LIVE_MESSAGE.validate_python(orjson.loads(bus_client.queue.get_nowait()))
        kinds.add(message.kind)
    return kinds


def test_alerts_ranked_tasking_and_tak(ops_node: tuple[RunningNode, int], peer: UdpPeer) -> None:
    running, _ = ops_node
    viewer, operator = running.client("viewer"), running.client("operator")
    assets = viewer.get("/api/ops/assets").json()
    assert [a["id"] for a in assets] == ["CG-1", "CG-2", "CG-3"]
    bus_client = running.node.bus.add_client(1000)  # what each operator's WebSocket drains
    _inject(running)

    rows = _ranked(viewer)
    first, second = rows
    assert first["event"]["type"] == "speed_anomaly"
    assert first["intercept"]["reachable"] and first["intercept"]["asset"] == "CG-1"
    assert first["intercept"]["eta_s"] > 0
    assert second["event"]["type"] == "dark_target"
    assert not second["intercept"]["reachable"] and "no asset" in second["intercept"]["reason"]

    plans = viewer.get("/api/ops/intercept/radar:GF1").json()
    by_asset = {p["asset"]: p for p in plans}
    assert plans[0]["asset"] == "CG-1"
    assert not by_asset["CG-3"]["reachable"] and "maintenance" in by_asset["CG-3"]["reason"]

    # the go-fast went out to the TAK peer as CoT, with its data time
    gofast = peer.wait_for("seawatch.radar:GF1")
    assert gofast.get("type") == "a-s-S"

    # a viewer may not task; an unknown asset is a 404 problem
    assert viewer.post("/api/ops/assets/CG-1/task", json={"track_id": "radar:GF1"}).status_code == 403
    missing = operator.post("/api/ops/assets/NOPE/task", json={"track_id": "radar:GF1"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )
    down = operator.post("/api/ops/assets/CG-3/task", json={"track_id": "radar:GF1"})
    assert down.status_code == 409
    peer.messages.clear()
    tasked = operator.post(
        "/api/ops/assets/CG-1/task", json={"track_id": "radar:GF1", "event_id": first["event"]["id"]}
    )
    assert tasked.status_code == 200, tasked.text
    assert tasked.json()["readiness"]["state"] == "on_task"
    assert tasked.json()["tasking"]["plan"]["route"]
    # every client is told (the WebSocket sends what the bus queues), as the page's types declare it
    kinds = _drain(bus_client)
    assert {"tasking", "asset", "intercept"} <= kinds
    assert viewer.get("/api/ops/taskings").json()[0]["track_id"] == "radar:GF1"
    log = viewer.get("/api/ops/assets/CG-1/log").json()
    assert log[0]["action"] == "asset.task" and log[0]["actor"] == "operator"

    # the tasked target and the intercept point arrive at the real peer: position, type and time
    cot = peer.wait_for("seawatch.radar:GF1")
    assert cot.get("type") == "a-s-S"
    point = cot.find("point")
    assert point is not None
    assert float(point.get("lat", 0)) == pytest.approx(17.80) and float(point.get("lon", 0)) == pytest.approx(
        -64.40
    )
    assert datetime.fromisoformat(str(cot.get("time")).replace("Z", "+00:00")) == T0
    meet = peer.wait_for("seawatch.radar:GF1.intercept.CG-1")
    assert meet.get("type") == "b-m-p-w"
    plan = tasked.json()["tasking"]["plan"]
    meet_point = meet.find("point")
    assert meet_point is not None and float(meet_point.get("lat", 0)) == pytest.approx(plan["lat"], abs=1e-5)

    # released: ready again
    released = operator.post("/api/ops/assets/CG-1/release")
    assert released.status_code == 200 and released.json()["readiness"]["state"] == "ready"
    assert "tasking" in _drain(bus_client)  # the end of the tasking: every screen drops the route
    assert operator.post("/api/ops/assets/CG-1/release").status_code == 409


def test_asset_position_from_cot_and_bad_cot(ops_node: tuple[RunningNode, int]) -> None:
    running, listen_port = ops_node
    viewer = running.client("viewer")
    bridge = running.app.state.ops.tak  # type: ignore[attr-defined]
    at = datetime.now(UTC).replace(microsecond=0)
    bad = [
        b"not xml at all",
        b"<event uid='x'><point lat='95' lon='0'/></event>",
        b'<!DOCTYPE e [<!ENTITY a "aaaa">]><event/>',
        cot_event("ANDROID-stranger", "a-f-S", 17.7, -64.6, at),
    ]
    for data in bad:
        asyncio.run(_send_udp(listen_port, data))
    asyncio.run(_send_udp(listen_port, cot_event("ANDROID-cg1", "a-f-S-X", 17.71, -64.52, at)))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        where = viewer.get("/api/ops/assets/CG-1").json()["where"]
        if where["source"] == "tak":
            break
        time.sleep(0.1)
    assert where["source"] == "tak"
    assert (where["lat"], where["lon"]) == pytest.approx((17.71, -64.52))
    reasons = [r for r, _ in bridge.rejects]
    # kept and counted for the analyst, the node unharmed
    status = running.client("analyst").get("/api/ops/tak").json()
    assert status["received"] >= 1 and sum(status["reject_counts"].values()) >= 4
    assert {r["reason"] for r in status["rejects"]} >= set(reasons[-4:])
    assert viewer.get("/api/ops/tak").status_code == 403
    assert any("not XML" in r for r in reasons)
    assert any("bad point" in r for r in reasons)
    assert any("DTD" in r for r in reasons)
    assert any("unknown sender" in r for r in reasons)


def test_bad_input_is_problem_json_and_writes_nothing(ops_node: tuple[RunningNode, int]) -> None:
    running, _ = ops_node
    operator, admin = running.client("operator"), running.client("admin")
    on_land = operator.post(
        "/api/ops/intercept", json={"lat": 17.73, "lon": -64.75, "cog_deg": 0, "sog_kn": 5}
    )
    assert on_land.status_code == 400 and "on land" in on_land.json()["detail"]
    assert on_land.headers["content-type"].startswith("application/problem+json")
    fast = boat("CG-9", 17.7, -64.7).model_dump(mode="json") | {"max_speed_kn": 300.0}
    bad = admin.post("/api/ops/assets", json=fast)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    good = boat("CG-9", 17.7, -64.7).model_dump(mode="json")
    assert operator.post("/api/ops/assets", json=good).status_code == 403
    assert admin.post("/api/ops/assets", json=good).status_code == 201
    assert admin.post("/api/ops/assets", json=good).status_code == 409
    ids = [a["id"] for a in operator.get("/api/ops/assets").json()]
    assert ids.count("CG-9") == 1
    assert len(operator.get("/api/ops/assets/CG-9/log").json()) == 1
    maint = operator.put(
        "/api/ops/assets/CG-9/readiness", json={"state": "maintenance", "reason": "no until given"}
    )
    assert maint.status_code == 422
    assert operator.get("/api/ops/assets/CG-9").json()["readiness"]["state"] == "ready"
    board = operator.get("/api/ops/readiness").json()
    assert board["totals"]["boat"] == 4 and len(board["days"]) == 7


def test_asset_position_from_its_own_ais(ops_node: tuple[RunningNode, int]) -> None:
    running, _ = ops_node
    viewer = running.client("viewer")
    assert viewer.get("/api/ops/assets/CG-2").json()["where"]["source"] == "base"
    fix = Observation(
        time=datetime.now(UTC).replace(microsecond=0),
        lat=17.70,
        lon=-64.90,
        sensor=SensorKind.AIS,
        source="ais:test",
        mmsi=338123456,
        sog_kn=12.0,
        cog_deg=45.0,
    )
    on_node(running, running.node.submit("ais:test", [fix]))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        where = viewer.get("/api/ops/assets/CG-2").json()["where"]
        if where["source"] == "ais":
            break
        time.sleep(0.1)
    assert where["source"] == "ais" and (where["lat"], where["lon"]) == pytest.approx((17.70, -64.90))


def test_plan_for_a_given_target_and_a_position_by_hand(ops_node: tuple[RunningNode, int]) -> None:
    running, _ = ops_node
    viewer, operator = running.client("viewer"), running.client("operator")
    # off St Croix's south coast: the boats north and west of the island route round it
    target = {"lat": 17.62, "lon": -64.75, "cog_deg": 270, "sog_kn": 5, "time": "2026-12-07T06:00:00Z"}
    plans = viewer.post("/api/ops/intercept", json=target).json()
    reachable = [p for p in plans if p["reachable"]]
    assert reachable and all(p["route"][-1] == pytest.approx([p["lon"], p["lat"]]) for p in reachable)
    assert [p["eta_s"] for p in reachable] == sorted(p["eta_s"] for p in reachable)
    vague = viewer.post("/api/ops/intercept", json={**target, "pos_sigma_m": 400, "vel_sigma_mps": 1}).json()
    assert [p["asset"] for p in vague if p["reachable"]] == [p["asset"] for p in reachable]
    for p in (p for p in vague if p["reachable"]):
        assert p["search_radius_nm"] > 0.5 and p["eta_worst_s"] > p["eta_s"]
    refused = viewer.post("/api/ops/intercept", json={**target, "pos_sigma_m": -1})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    moved = operator.put("/api/ops/assets/CG-2/position", json={"lat": 17.60, "lon": -64.80})
    assert moved.status_code == 200 and moved.json()["where"]["source"] == "manual"
    log = viewer.get("/api/ops/assets/CG-2/log").json()
    assert log[0]["action"] == "asset.position" and log[0]["actor"] == "operator"
    bad = operator.put("/api/ops/assets/CG-2/position", json={"lat": 95, "lon": -64.8})
    assert bad.status_code == 422
    assert viewer.get("/api/ops/assets/CG-2").json()["where"]["lat"] == pytest.approx(17.60)


def test_a_target_in_a_harbour_natural_earth_closes_is_planned(ops_node: tuple[RunningNode, int]) -> None:
    running, _ = ops_node
    viewer = running.client("viewer")
    lat, lon = 18.446, -66.126  # San Juan bay: land for Natural Earth, water for OSM
    assert default_land().is_on_land(lon, lat)[0] and not fine_land().is_on_land(lon, lat)[0]
    target = {"lat": lat, "lon": lon, "cog_deg": 0, "sog_kn": 0, "time": "2026-12-07T06:00:00Z"}
    answer = viewer.post("/api/ops/intercept", json=target)
    assert answer.status_code == 200, answer.text
    harbour = [p for p in answer.json() if p["reachable"]]
    assert harbour and all(p["method"] == "harbour" and p["route_nm"] > 0 for p in harbour)
    assert all(p["route"][-1] == pytest.approx([lon, lat]) for p in harbour)
    inland = viewer.post("/api/ops/intercept", json={**target, "lat": 18.40, "lon": -66.10})
    assert inland.status_code == 400 and "on land" in inland.json()["detail"]
