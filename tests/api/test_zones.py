"""Zones through the API on a running node: one list of kinds, clear refusals, edits mid-stream.

The node has replayed the real Gulf/Caribbean slice; the vessels here are made-up MMSIs posted as
observations in open sea south of St Croix, so each test knows exactly which crossings it caused.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from seawatch.model.zone import ZONE_KINDS
from tests.node.harness import RunningNode

_mmsi = itertools.count(338_000_500)
BIN_S = 600  # detect defaults: tracks.bin_s


def _box(lon0: float, lat0: float, lon1: float, lat1: float) -> list[list[list[float]]]:
    return [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]


def _zone(name: str, kind: Any = "custom", coords: Any = None, **extra: Any) -> dict[str, Any]:
    geometry = {"type": "Polygon", "coordinates": coords or _box(-64.6, 17.0, -64.4, 17.2)}
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name, "kind": kind, **extra}}


class Vessel:
    """A made-up vessel at 12 kn due east along lat 17.1, one fix a minute from `start_s`."""

    def __init__(self, client: httpx.Client, start_s: float, lon0: float = -64.64) -> None:
        self.client, self.start_s, self.lon0 = client, start_s, lon0
        self.mmsi = next(_mmsi)

    def fix(self, minute: float) -> dict[str, Any]:
        when = datetime.fromtimestamp(self.start_s + 60 * minute, UTC).isoformat()
        lon = self.lon0 + 0.0035 * minute
        return {"time": when, "lat": 17.1, "lon": lon, "mmsi": self.mmsi, "sog_kn": 12.0, "cog_deg": 90.0}

    def sail(self, minutes: range) -> httpx.Response:
        body = {"observations": [self.fix(m) for m in minutes]}
        return self.client.post("/api/observations", json=body)


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_kinds_are_one_list(live_node: RunningNode) -> None:
    with live_node.client("viewer") as viewer:
        body = viewer.get("/api/zones/kinds").json()
    assert tuple(k["kind"] for k in body["kinds"]) == ZONE_KINDS
    assert body["default"] in ZONE_KINDS
    assert all(k["label"] for k in body["kinds"])


def test_unknown_kind_refused_with_a_clear_422(live_node: RunningNode) -> None:
    with live_node.client("analyst") as analyst:
        before = analyst.get("/api/zones").json()["features"]
        body = _problem(analyst.post("/api/zones", json=_zone("bad kind", kind="harbour_watch")))
        assert body["errors"][0]["field"] == "properties"
        assert "'harbour_watch'" in body["detail"] and "territorial_sea" in body["detail"]
        _problem(analyst.post("/api/zones", json=_zone("no kind string", kind=7)))
        assert analyst.get("/api/zones").json()["features"] == before  # nothing stored


def test_older_kind_names_are_stored_as_their_kind(live_node: RunningNode) -> None:
    with live_node.client("analyst") as analyst:
        created = analyst.post("/api/zones", json=_zone("old page default", kind="user"))
        assert created.status_code == 201, created.text
        zone_id = created.json()["id"]
        assert analyst.get(f"/api/zones/{zone_id}").json()["properties"]["kind"] == "custom"
        assert analyst.delete(f"/api/zones/{zone_id}").status_code == 204


@pytest.mark.parametrize(
    ("coords", "words"),
    [
        ([[[-64.6, 17.0], [-64.4, 17.2], [-64.4, 17.0], [-64.6, 17.2], [-64.6, 17.0]]], "Self-intersection"),
        (_box(-100.0, 0.0, -40.0, 30.0), "at most 40"),
        ([[[17.1, -95.0], [17.2, -95.0], [17.2, -94.0], [17.1, -95.0]]], "outside"),
    ],
    ids=["self-intersecting", "huge", "lat-lon-swapped"],
)
def test_bad_polygons_refused(live_node: RunningNode, coords: Any, words: str) -> None:
    with live_node.client("analyst") as analyst:
        body = _problem(analyst.post("/api/zones", json=_zone("bad shape", coords=coords)))
    assert body["errors"][0]["field"] == "geometry"
    assert words in body["detail"]


def test_bad_overrides_and_bundled_ids_refused(live_node: RunningNode) -> None:
    with live_node.client("analyst") as analyst:
        body = _problem(analyst.post("/api/zones", json=_zone("o", overrides={"ais_gap": {"min_gap_x": 1}})))
        assert "min_gap_x" in body["detail"]
        taken = {**_zone("clash"), "id": "ts-vir"}
        assert "bundled zone" in _problem(analyst.post("/api/zones", json=taken))["detail"]


def test_bundled_zones_served_for_the_map(live_node: RunningNode) -> None:
    with live_node.client("viewer") as viewer:
        body = viewer.get("/api/zones/bundled").json()
    kinds = {f["properties"]["kind"] for f in body["features"]}
    assert kinds <= set(ZONE_KINDS) and "territorial_sea" in kinds
    assert "OpenStreetMap" in body["attribution"]


@pytest.mark.parametrize("kind", ZONE_KINDS)
def test_a_zone_of_every_kind_is_watched(live_node: RunningNode, kind: str) -> None:
    start = live_node.node.data_time_s + 60
    with live_node.client("operator") as operator, live_node.client("analyst") as analyst:
        vessel = Vessel(operator, start)
        assert vessel.sail(range(6)).status_code == 200  # outside, heading for the box
        created = analyst.post("/api/zones", json=_zone(f"watched {kind}", kind=kind))
        assert created.status_code == 201, created.text
        assert vessel.sail(range(6, 20)).status_code == 200  # crosses lon -64.6 at minute 12
        events = operator.get("/api/events", params={"type": "zone_entry", "mmsi": vessel.mmsi}).json()
        assert analyst.delete(f"/api/zones/{created.json()['id']}").status_code == 204
    entries = [e for e in events if e["details"]["zone_id"] == created.json()["id"]]
    assert len(entries) == 1
    assert entries[0]["details"]["zone_kind"] == kind


def test_zone_deleted_or_edited_with_a_vessel_inside_never_fails_a_batch(live_node: RunningNode) -> None:
    """A vessel inside a zone sits in the detectors' open time bin; the zone is deleted (then another
    edited); the next batches, which close that bin, are accepted and watched as before."""
    start = math.ceil(live_node.node.data_time_s / BIN_S + 1) * BIN_S  # minute 19 in a bin, 25 in the next
    with live_node.client("operator") as operator, live_node.client("analyst") as analyst:
        # ids in this order: the deleted zone comes last in the detectors' list (its index is gone after)
        doomed_zone = {**_zone("deleted while occupied"), "id": "zz-deleted-while-occupied"}
        doomed = analyst.post("/api/zones", json=doomed_zone).json()["id"]
        edited = analyst.post(
            "/api/zones", json=_zone("edited while occupied", coords=_box(-64.3, 17.0, -64.1, 17.2))
        )
        inside = Vessel(operator, start)
        assert inside.sail(range(20)).status_code == 200  # ends inside the first box
        assert analyst.delete(f"/api/zones/{doomed}").status_code == 204
        # a second vessel's fixes a bin later close the bin holding the first vessel's fix
        other = Vessel(operator, start + 25 * 60, lon0=-64.36)
        assert other.sail(range(12)).status_code == 200
        moved = _zone("edited while occupied", coords=_box(-64.35, 17.0, -64.1, 17.2))
        assert analyst.put(f"/api/zones/{edited.json()['id']}", json=moved).status_code == 200
        assert other.sail(range(12, 30)).status_code == 200
        assert inside.sail(range(20, 90)).status_code == 200  # reaches the edited zone at minute 83
        events = operator.get("/api/events", params={"type": "zone_entry", "mmsi": inside.mmsi}).json()
        assert analyst.delete(f"/api/zones/{edited.json()['id']}").status_code == 204
    names = [e["details"]["zone_name"] for e in events]
    assert names.count("deleted while occupied") == 1  # entered before the delete
    assert names.count("edited while occupied") == 1  # the edited zone is still watched
