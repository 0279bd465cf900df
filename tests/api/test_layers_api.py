"""Reference layers through the API: the bundled NOAA EEZ / contiguous-zone lines, and the radar
coverage of a node whose feed is the simulator (the demo's), which has no sensors file of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seawatch.node.settings import FeedSettings, NodeSettings
from seawatch.sim.scenario import load_scenario
from tests.node.harness import RunningNode, free_port, running_node


def _points(geometry: dict[str, object]) -> list[list[float]]:
    coords = geometry["coordinates"]
    assert isinstance(coords, list)
    return coords if geometry["type"] == "LineString" else [p for part in coords for p in part]


def test_maritime_limits_are_noaa_lines_and_caribbean_eez_boundaries(live_node: RunningNode) -> None:
    with live_node.client("viewer") as viewer:
        body = viewer.get("/api/layers/maritime-limits").json()
    assert "NOAA" in body["attribution"]
    features = body["features"]
    kinds = {f["properties"]["kind"] for f in features}
    regions = {f["properties"]["region"] for f in features}
    assert kinds == {"eez", "contiguous_zone"}
    assert {"Puerto Rico and U.S. Virgin Islands", "Atlantic Coast and Gulf of Mexico"} <= regions
    assert "Natural Earth" in body["attribution"]
    # beyond the US lines: the EEZ boundaries between the other Caribbean states (Natural Earth)
    ne = [f for f in features if f["properties"]["region"].startswith("Caribbean and neighbours")]
    assert len(ne) >= 20 and all(f["properties"]["kind"] == "eez" for f in ne)
    # e.g. the median line between the Dominican Republic and Puerto Rico (Mona Passage, ~67.5-68.5 W)
    mona = [
        (lon, lat)
        for f in ne
        for lon, lat in _points(f["geometry"])
        if 17.5 < lat < 19.0 and -68.5 < lon < -67.3
    ]
    assert mona
    points = [p for f in features for p in _points(f["geometry"])]
    assert all(-100 <= lon <= -55 and 5 <= lat <= 35 for lon, lat in points)
    # the EEZ of Puerto Rico / USVI reaches ~200 nm north of San Juan (18.5 N): past 20 N, below 22 N
    pr_eez = [
        p
        for f in features
        if f["properties"]["kind"] == "eez" and f["properties"]["region"].startswith("Puerto Rico")
        for p in _points(f["geometry"])
    ]
    assert pr_eez and 20.5 < max(lat for _, lat in pr_eez) < 22.0
    assert all(-70 < lon < -63 for lon, _ in pr_eez)


def test_fine_land_in_a_harbour_bbox(live_node: RunningNode) -> None:
    """OpenStreetMap land clipped to the asked box (New York's Upper Bay), covered; none off the regions."""
    box = (-74.10, 40.60, -74.00, 40.70)
    with live_node.client("viewer") as viewer:
        body = viewer.get("/api/layers/land", params={"bbox": ",".join(map(str, box))}).json()
        pacific = viewer.get("/api/layers/land", params={"bbox": "-120.5,33.5,-120,34"}).json()
        too_wide = viewer.get("/api/layers/land", params={"bbox": "-76,36,-73,38"})
        missing = viewer.get("/api/layers/land")
    assert body["covered"] is True and "OpenStreetMap" in body["attribution"]
    rings = [ring for f in body["features"] for ring in f["geometry"]["coordinates"]]
    assert len(body["features"]) >= 5 and sum(len(r) for r in rings) > 200  # piers, slips, islands
    assert all(box[0] <= x <= box[2] and box[1] <= y <= box[3] for ring in rings for x, y in ring)
    assert all(ring[0] == ring[-1] for ring in rings)
    assert pacific["covered"] is False and pacific["features"] == []
    for answer in (too_wide, missing):
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "bbox" in answer.text


@pytest.fixture(scope="module")
def sim_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    settings = NodeSettings(
        node_id="sim",
        data_dir=Path(tmp_path_factory.mktemp("simnode")),
        port=free_port(),
        feeds=[FeedSettings(name="sim:sts", kind="sim", scenario="sts-transfer", speed=1.0)],
    )
    with running_node(settings, wait_feeds=False) as node:
        yield node


def test_a_sim_feed_reports_its_scenarios_radars_as_coverage(sim_node: RunningNode) -> None:
    radars = load_scenario("sts-transfer", check_geo=False).radars
    assert radars, "the scenario has radar sites to show"
    with sim_node.client("viewer") as viewer:
        sites = viewer.get("/api/layers/coverage").json()["sites"]
    assert [(s["id"], s["lat"], s["lon"], s["range_m"]) for s in sites] == [
        (r.id, r.lat, r.lon, r.range_m) for r in radars
    ]
    assert {s["feed"] for s in sites} == {"sim:sts"} and {s["kind"] for s in sites} == {"radar"}
