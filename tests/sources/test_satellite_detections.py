"""Satellite detections: real KSAT RADARSAT-2 deliveries (combined and per scene), generic CSV, GeoJSON."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import shapely
from shapely import wkt

from seawatch.model.observation import Observation, Rejected, SensorKind
from seawatch.sources.satellite import iter_satellite_file, load_satellite_file, sniff_satellite
from tests.shared import require_shared

DATA = "sar-vessel-detections-ksat-rs2-pacific"
COMBINED = "ksat-detections-fp-v20200117.csv"
SCENE_COUNTS = {
    "RS2_20190810_041741_0074_DVWF_HH_SCS_748061_9282_29818027": 12,
    "RS2_20190814_150146_0074_DVWF_HH_SCS_749162_9324_29818029": 13,
    "RS2_20190817_041333_0074_DVWF_HH_SCS_749777_9350_29818031": 11,
    "RS2_20190831_150553_0074_DVWF_HH_SCS_753433_9526_29818035": 28,
    "RS2_20190903_041744_0075_DVWF_HH_SCS_754024_9569_29818064": 23,
    "RS2_20190907_150145_0074_DVWF_HH_SCS_755211_9635_29818066": 22,
    "RS2_20190910_041334_0075_DVWF_HH_SCS_755804_9677_29818068": 23,
    "RS2_20190917_151000_0074_DVWF_HH_SCS_757762_9770_29818070": 24,
    "RS2_20190924_150552_0074_DVWF_HH_SCS_759668_9852_29818072": 17,
}


def _raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_combined_file_every_field() -> None:
    path = require_shared(DATA, COMBINED)
    assert sniff_satellite(path, path.read_bytes()[:8192])
    frame, rejects, counts = load_satellite_file(path)
    assert rejects == [] and counts["satellite"] == 173 and frame.height == 173
    assert frame["sensor"].unique().to_list() == ["satellite"]
    assert frame["mmsi"].null_count() == 173
    assert dict(frame.group_by("scene_id").len().iter_rows()) == SCENE_COUNTS
    raw = {r["DetectionId"]: r for r in _raw_rows(path)}
    assert frame["target_ref"].n_unique() == 173 and set(frame["target_ref"]) == set(raw)
    for row in frame.iter_rows(named=True):
        r = raw[row["target_ref"]]
        assert row["lat"] == float(r["lat"]) and row["lon"] == float(r["lon"])
        assert row["length_m"] == float(r["Length"])
        assert row["heading_deg"] == pytest.approx(float(r["Heading"]) % 360)
        assert row["confidence"] == pytest.approx(float(r["Probability"]) / 100)
        start = datetime.fromisoformat(r["ProductStartTime"])
        assert row["t"] == pytest.approx(start.timestamp(), abs=1e-3)
        assert row["scene_id"] == r["scene_id"]
        poly = wkt.loads(row["footprint"])
        assert poly.is_valid and poly.equals(wkt.loads(r["footprint"]))
        assert poly.buffer(0.05).contains(shapely.Point(row["lon"], row["lat"]))  # inside its scene (~5 km)
    t = frame["t"]
    assert datetime.fromtimestamp(t.min(), UTC).date().isoformat() == "2019-08-10"
    assert datetime.fromtimestamp(t.max(), UTC).date().isoformat() == "2019-09-24"
    assert frame["length_m"].min() > 0


def test_per_scene_deliveries_match_the_combined_file() -> None:
    folder = require_shared(DATA, "per_scene_raw")
    combined, _, _ = load_satellite_file(require_shared(DATA, COMBINED))
    by_id = {r["target_ref"]: r for r in combined.iter_rows(named=True)}
    total = 0
    for path in sorted(folder.glob("*.csv")):
        frame, rejects, _ = load_satellite_file(path)
        assert rejects == []
        scene = path.name.removesuffix("_GLOBAL-FISHING_VD.csv")
        assert frame["scene_id"].unique().to_list() == [scene]
        assert frame.height == SCENE_COUNTS[scene]
        total += frame.height
        for row in frame.iter_rows(named=True):
            ref = by_id[row["target_ref"]]
            for key in ("t", "lat", "lon", "length_m", "heading_deg", "confidence", "scene_id"):
                assert row[key] == pytest.approx(ref[key]), key
            assert row["footprint"] is None  # KSAT's per-scene delivery has no footprint
    assert total == 173


def test_generic_csv_and_geojson(tmp_path: Path) -> None:
    csv_path = tmp_path / "det.csv"
    csv_path.write_text(
        "detection_id,scene_id,time,lat,lon,length_m,heading_deg,confidence\n"
        "d1,s1,2024-03-01T12:00:00Z,17.5,-76.5,12.5,370,0.9\n"
        "d2,s1,,17.6,-76.6,,,\n"
        "d3,s1,2024-03-01T12:00:00Z,,-76.6,,,\n"
        "d4,s1,yesterday,17.6,-76.6,,,\n"
    )
    items = list(iter_satellite_file(csv_path))
    obs = [i for i in items if isinstance(i, Observation)]
    rej = [i for i in items if isinstance(i, Rejected)]
    assert len(obs) == 1 and len(rej) == 3
    assert obs[0].sensor == SensorKind.SATELLITE and obs[0].target_ref == "d1" and obs[0].heading_deg == 10.0
    assert obs[0].length_m == 12.5 and obs[0].extra["confidence"] == 0.9
    assert [r.reason for r in rej] == [
        "detection without a time",
        "detection without a position",
        "invalid time 'yesterday'",
    ]
    assert [r.line_no for r in rej] == [3, 4, 5]
    gj = tmp_path / "det.geojson"
    gj.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-76.5, 17.5]},
                     "properties": {"detection_id": "g1", "scene_id": "s", "time": "2024-03-01T12:00:00Z"}},
                    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-76.5, 17.5]},
                     "properties": {"detection_id": "g2", "scene_id": "s"}},
                    {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                     "properties": {}},
                ],
            }
        )
    )  # fmt: skip
    assert sniff_satellite(gj, gj.read_bytes())
    frame, rejects, _ = load_satellite_file(gj)
    assert frame["target_ref"].to_list() == ["g1"] and frame["lat"].to_list() == [17.5]
    assert sorted(r.reason for r in rejects) == ["detection without a time", "feature is not a Point"]


def test_registry_routes_detection_files() -> None:
    from seawatch.sources.formats import detect_format, read_head

    path = require_shared(DATA, COMBINED)
    spec = detect_format(path, read_head(path))
    assert spec is not None and spec.name == "satellite-detections"
    res = spec.load(path)
    assert isinstance(res.positions, pl.DataFrame) and res.positions.height == 173
    for scene in sorted(require_shared(DATA, "per_scene_raw").glob("*.csv")):
        found = detect_format(scene, read_head(scene))
        assert found is not None and found.name == "satellite-detections", scene.name
