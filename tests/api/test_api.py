"""The node's HTTP API against a real running node that replayed the real US coastal day (Gulf slice)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from seawatch.api.app import PUBLIC_PATHS
from tests.node.harness import RunningNode

LIVE_AGE_S = 3600.0
PR_BBOX = (-68.5, 17.5, -64.0, 19.5)  # Puerto Rico / USVI
GULF_BBOX = (-98.0, 18.0, -60.0, 31.0)


@pytest.fixture(scope="module")
def frame(us_slice: Path) -> pl.DataFrame:
    data = pl.read_csv(us_slice).with_columns(
        pl.col("timestamp_utc").str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC").dt.epoch("s").alias("t")
    )
    return data


def _in(bbox: tuple[float, float, float, float]) -> pl.Expr:
    return pl.col("lon").is_between(bbox[0], bbox[2]) & pl.col("lat").is_between(bbox[1], bbox[3])


def _bbox_q(bbox: tuple[float, float, float, float]) -> str:
    return ",".join(map(str, bbox))


def test_replay_counted_and_acknowledged(live_node: RunningNode, frame: pl.DataFrame) -> None:
    with live_node.client("viewer") as c:
        health = c.get("/api/health").json()
        metrics = c.get("/metrics").text
    assert health["acknowledged"]["positions"] == frame.height
    assert health["feeds"]["us-gulf"]["decoded"] == frame.height
    assert f'seawatch_received_total{{source="us-gulf"}} {frame.height}' in metrics
    assert re.search(r"^seawatch_acknowledged_positions \d+$", metrics, re.M)


def test_latest_tracks_in_bbox(live_node: RunningNode, frame: pl.DataFrame) -> None:
    end = frame["t"].max()
    last = frame.sort("t").group_by("mmsi").last()
    expected = set(last.filter((pl.col("t") >= end - 6 * LIVE_AGE_S) & _in(PR_BBOX))["mmsi"].to_list())
    with live_node.client("viewer") as c:
        body = c.get("/api/tracks", params={"bbox": _bbox_q(PR_BBOX), "max_age_s": 6 * LIVE_AGE_S}).json()
        default_age = c.get("/api/tracks", params={"bbox": _bbox_q(GULF_BBOX)}).json()["features"]
    live_expected = last.filter((pl.col("t") >= end - LIVE_AGE_S) & _in(GULF_BBOX))
    assert {f["properties"]["mmsi"] for f in default_age} == set(live_expected["mmsi"].to_list())
    assert body["type"] == "FeatureCollection"
    got = {f["properties"]["mmsi"] for f in body["features"]}
    assert got == expected and got
    for f in body["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert PR_BBOX[0] <= lon <= PR_BBOX[2] and PR_BBOX[1] <= lat <= PR_BBOX[3]
        assert f["properties"]["sources"] == ["ais"] and f["properties"]["nodes"] == ["test"]


def test_tracks_at_past_time_from_history(live_node: RunningNode, frame: pl.DataFrame) -> None:
    at = datetime(2020, 6, 30, 12, 0, tzinfo=UTC).timestamp()
    window = frame.filter((pl.col("t") <= at) & (pl.col("t") >= at - LIVE_AGE_S) & _in(GULF_BBOX))
    with live_node.client("viewer") as c:
        body = c.get("/api/tracks", params={"bbox": _bbox_q(GULF_BBOX), "at": "2020-06-30T12:00:00Z"}).json()
    got = {f["properties"]["mmsi"] for f in body["features"]}
    assert got == set(window["mmsi"].unique().to_list()) and got
    assert all(f["properties"]["time"] <= "2020-06-30T12:00:00Z" for f in body["features"])


def test_track_history_and_dossier(live_node: RunningNode, frame: pl.DataFrame) -> None:
    counts = frame.group_by("mmsi").len().sort("len", descending=True)
    mmsi, n = counts.row(0)
    with live_node.client("viewer") as c:
        history = c.get(f"/api/tracks/mmsi:{mmsi}/history").json()
        dossier = c.get(f"/api/vessels/{mmsi}").json()
        missing = c.get("/api/vessels/999999999")
    assert history["geometry"]["type"] == "LineString"
    assert history["properties"]["count"] == n
    assert dossier["mmsi"] == mmsi
    assert dossier["track"]["properties"]["track_id"] == f"mmsi:{mmsi}"
    assert dossier["history"]["properties"]["count"] == n
    assert isinstance(dossier["identity_changes"], list) and isinstance(dossier["events"], list)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "123456789", path)


def test_every_route_needs_credentials(live_node: RunningNode) -> None:
    paths = live_node.app.openapi()["paths"]  # type: ignore[attr-defined]
    assert len(paths) >= 15
    checked = 0
    with live_node.client() as anonymous:
        for path, operations in paths.items():
            if path in PUBLIC_PATHS:
                continue
            for method in operations:
                response = anonymous.request(method.upper(), _concrete(path), json={})
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.headers["content-type"].startswith("application/problem+json")
                checked += 1
    assert checked >= 20
    with pytest.raises(InvalidStatus):
        connect(live_node.url.replace("http", "ws") + "/api/live", open_timeout=5).close()


def test_roles_on_zones(live_node: RunningNode) -> None:
    zone = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[-66, 18], [-65, 18], [-65, 19], [-66, 18]]]},
        "properties": {"name": "test box", "kind": "custom"},
    }
    with live_node.client("viewer") as viewer, live_node.client("operator") as operator:
        assert viewer.post("/api/zones", json=zone).status_code == 403
        assert operator.post("/api/zones", json=zone).status_code == 403
        assert viewer.put("/api/zones/z1", json=zone).status_code == 403
        assert viewer.delete("/api/zones/z1").status_code == 403
    with live_node.client("analyst") as analyst, live_node.client("viewer") as viewer:
        created = analyst.post("/api/zones", json=zone)
        assert created.status_code == 201
        zone_id = created.json()["id"]
        assert viewer.get(f"/api/zones/{zone_id}").json()["properties"]["name"] == "test box"
        assert viewer.delete(f"/api/zones/{zone_id}").status_code == 403
        assert analyst.delete(f"/api/zones/{zone_id}").status_code == 204
        assert viewer.get(f"/api/zones/{zone_id}").status_code == 404
    with live_node.client("admin") as admin:
        actions = [row["action"] for row in admin.get("/api/audit").json()]
    assert "zone.create" in actions and "zone.delete" in actions


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "post",
            "/api/zones",
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}},
            "geometry",
        ),
        ("post", "/api/sightings", {"lat": 100, "lon": 0}, "lat"),
        ("post", "/api/watchlist", {"mmsi": "abc"}, "mmsi"),
        ("get", "/api/events?type=nonsense", None, "type"),
        ("get", "/api/tracks?bbox=1,2,3", None, "bbox"),
        ("get", "/api/tracks?at=yesterday", None, "at"),
    ],
)
def test_problem_json_names_the_field(
    live_node: RunningNode, method: str, path: str, body: dict[str, object] | None, field: str
) -> None:
    with live_node.client("admin") as c:
        response = c.request(method.upper(), path, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("path", "body", "field", "kind", "ctx"),
    [
        (
            "/api/cases",
            {"track_id": "t", "title": "x" * 201},
            "title",
            "string_too_long",
            {"max_length": 200},
        ),
        ("/api/sightings", {"lat": 100, "lon": 0}, "lat", "less_than_equal", {"le": 90}),
        ("/api/sightings", {"lon": 0}, "lat", "missing", None),
    ],
)
def test_problem_json_says_the_error_type(
    live_node: RunningNode,
    path: str,
    body: dict[str, object],
    field: str,
    kind: str,
    ctx: dict[str, object] | None,
) -> None:
    """422s carry the error type and its values (beside the unchanged `detail`) so the page can word them."""
    with live_node.client("admin") as c:
        problem = c.post(path, json=body).json()
    first = problem["errors"][0]
    assert problem["status"] == 422 and problem["detail"].startswith(f"{field}: ")
    assert (first["field"], first["type"], first.get("ctx")) == (field, kind, ctx)
    assert isinstance(first["message"], str) and first["message"]


def test_oversize_request_refused(live_node: RunningNode) -> None:
    big = {"observations": [], "pad": "x" * (live_node.node.settings.api.max_request_bytes + 10)}
    with live_node.client("operator") as c:
        response = c.post(
            "/api/observations", content=json.dumps(big), headers={"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_login_session_cookie(live_node: RunningNode) -> None:
    with live_node.client() as c:
        bad = c.post("/api/auth/login", json={"username": "viewer", "password": "wrong"})
        assert bad.status_code == 401
        good = c.post(
            "/api/auth/login", json={"username": "viewer", "password": live_node.passwords["viewer"]}
        )
        assert good.status_code == 200
        cookie = good.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert c.get("/api/auth/me").json() == {"name": "viewer", "role": "viewer", "via": "session"}
        assert c.post("/api/auth/logout").status_code == 204
        c.cookies.clear()
        assert c.get("/api/auth/me").status_code == 401
        wrong = [c.post("/api/auth/login", json={"username": "admin", "password": "x"}) for _ in range(6)]
        assert [r.status_code for r in wrong] == [401] * 5 + [429]  # password guessing is slowed down


def _receive_until(ws: object, predicate: object, limit: int = 5000) -> dict[str, object]:
    for _ in range(limit):
        message = json.loads(ws.recv(timeout=10))  # type: ignore[attr-defined]
        if predicate(message):  # type: ignore[operator]
            return message  # type: ignore[no-any-return]
    raise AssertionError("message not received")


def test_websocket_pushes_track_and_event_deltas(live_node: RunningNode) -> None:
    mmsi = 338000111
    end = datetime.fromtimestamp(live_node.node.data_time_s, UTC).isoformat()
    url = live_node.url.replace("http", "ws") + "/api/live"
    with connect(url, additional_headers={"Authorization": f"Bearer {live_node.tokens['viewer']}"}) as ws:
        with live_node.client("analyst") as analyst:
            entry = analyst.post("/api/watchlist", json={"mmsi": mmsi, "reason": "test"})
            assert entry.status_code == 201
        with live_node.client("operator") as operator:
            obs = {"time": end, "lat": 18.4, "lon": -66.1, "mmsi": mmsi, "sog_kn": 31.0, "cog_deg": 90.0}
            ack = operator.post("/api/observations", json={"observations": [obs]})
            assert ack.status_code == 200 and ack.json()["accepted"] == 1
        track = _receive_until(ws, lambda m: m["kind"] == "track" and m["data"]["id"] == f"mmsi:{mmsi}")
        event = _receive_until(ws, lambda m: m["kind"] == "event" and m["data"]["type"] == "watchlist_hit")
    assert track["data"]["properties"]["sog_kn"] == 31.0  # type: ignore[index]
    assert event["data"]["mmsi"] == [mmsi]  # type: ignore[index]
    with live_node.client("viewer") as c:
        events = c.get("/api/events", params={"type": "watchlist_hit", "mmsi": mmsi}).json()
    assert [e["id"] for e in events] == [event["data"]["id"]]  # type: ignore[index]


def test_sighting_becomes_an_observation(live_node: RunningNode) -> None:
    when = datetime.fromtimestamp(live_node.node.data_time_s, UTC).isoformat()
    body = {"time": when, "lat": 18.2, "lon": -65.5, "notes": "go-fast, no AIS", "sog_kn": 35}
    with live_node.client("viewer") as viewer:
        assert viewer.post("/api/sightings", json=body).status_code == 403
    with live_node.client("operator") as operator:
        saved = operator.post("/api/sightings", json=body)
        assert saved.status_code == 201
        sighting_id = saved.json()["id"]
        tracks = operator.get("/api/tracks", params={"bbox": "-65.6,18.1,-65.4,18.3"}).json()["features"]
        listed = operator.get("/api/sightings").json()
    mine = [f for f in tracks if f["id"] == f"sighting:sighting-{sighting_id}"]
    assert len(mine) == 1
    assert mine[0]["properties"]["sources"] == ["sighting"] and mine[0]["properties"]["dark"] is True
    assert any(s["id"] == sighting_id and s["reported_by"] == "operator" for s in listed)


def test_openapi_is_published(live_node: RunningNode) -> None:
    with live_node.client() as c:
        spec = c.get("/openapi.json").json()
    for path in (
        "/api/tracks",
        "/api/vessels/{mmsi}",
        "/api/events",
        "/api/zones",
        "/api/sightings",
        "/metrics",
    ):
        assert path in spec["paths"]


def test_rejects_are_kept_and_listed(live_node: RunningNode) -> None:
    from seawatch.model import Rejected

    node = live_node.node
    assert node.loop is not None
    bad = Rejected("!AIVDM,garbage", "bad_checksum", "us-gulf", 7)
    asyncio.run_coroutine_threadsafe(node.submit("us-gulf", [bad]), node.loop).result(timeout=30)
    with live_node.client("viewer") as viewer, live_node.client("analyst") as analyst:
        assert viewer.get("/api/rejects").status_code == 403
        listed = analyst.get("/api/rejects").json()
        counts = analyst.get("/api/rejects/counts").json()
    last = listed[-1]
    assert {k: last[k] for k in ("source", "reason", "raw", "line_no")} == {
        "source": "us-gulf",
        "reason": "bad_checksum",
        "raw": "!AIVDM,garbage",
        "line_no": 7,
    }
    assert {"source": "us-gulf", "reason": "bad_checksum"} in [
        {"source": c["source"], "reason": c["reason"]} for c in counts
    ]


def test_zone_drawn_on_a_running_node_raises_entries_at_once(live_node: RunningNode) -> None:
    """No restart needed: a zone drawn by an analyst is watched from the next batch on."""
    mmsi = 338000222
    start = live_node.node.data_time_s + 60
    # open sea south of St Croix
    box = [[-64.6, 17.0], [-64.4, 17.0], [-64.4, 17.2], [-64.6, 17.2], [-64.6, 17.0]]
    zone = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [box]}}
    zone["properties"] = {"name": "drawn patrol box", "kind": "custom"}

    def fix(minutes: float, lon: float) -> dict[str, object]:
        when = datetime.fromtimestamp(start + 60 * minutes, UTC).isoformat()
        return {"time": when, "lat": 17.1, "lon": lon, "mmsi": mmsi, "sog_kn": 12.0, "cog_deg": 90.0}

    with live_node.client("operator") as operator, live_node.client("analyst") as analyst:
        outside = [fix(m, -64.64 + 0.0035 * m) for m in range(6)]  # 12 kn east towards the box
        assert operator.post("/api/observations", json={"observations": outside}).json()["accepted"] == 6
        created = analyst.post("/api/zones", json=zone)
        assert created.status_code == 201
        inside = [fix(m, -64.64 + 0.0035 * m) for m in range(6, 20)]  # crosses lon -64.6 at minute 12
        assert operator.post("/api/observations", json={"observations": inside}).json()["accepted"] == 14
        events = operator.get("/api/events", params={"type": "zone_entry", "mmsi": mmsi}).json()
        assert analyst.delete(f"/api/zones/{created.json()['id']}").status_code == 204
    entries = [e for e in events if e["details"]["zone_name"] == "drawn patrol box"]
    assert len(entries) == 1
    assert entries[0]["start"].startswith(datetime.fromtimestamp(start + 720, UTC).strftime("%Y-%m-%dT%H:%M"))
