"""Each export format read back with an independent library and compared with the store, row for row:
GeoJSON with shapely, CSV with the csv module, GeoParquet with pyarrow, KML with fastkml."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import orjson
import pyarrow.parquet as pq
import pytest
import shapely
from fastkml import kml as fkml

from seawatch.errors import InputError
from seawatch.export import StoreSource, build_query, export_bytes
from seawatch.export.query import parse_bbox, zone_area
from seawatch.export.tables import chunks
from seawatch.store.base import EventQuery
from seawatch.store.sqlite import SqliteStore
from seawatch.timeutil import iso_utc
from tests.export.conftest import DATELINE, DATELINE_MMSI, HOUR0, HOUR1

START, END = iso_utc(HOUR0), iso_utc(HOUR1 + 3599)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _export(store: SqliteStore, kind: str, fmt: str, **kw: Any) -> bytes:
    area = kw.pop("area", None)
    query = build_query(kind, kw.pop("start", START), kw.pop("end", END), NOW, area, **kw)
    return b"".join(export_bytes(StoreSource(store), query, fmt))


def _placemarks(kml_bytes: bytes) -> list[Any]:
    """The Placemarks of the document, as fastkml parses them."""
    # bytes, not str: with lxml installed, fastkml refuses a str that carries an XML declaration
    root: Any = fkml.KML.from_string(kml_bytes)  # type: ignore[arg-type]
    return list(root.features[0].features)


def _store_positions(store: SqliteStore, mmsis: list[int]) -> list[tuple[Any, ...]]:
    """The store's own rows (its public per-vessel read), as (time, mmsi, track, lon, lat, sog)."""
    out = []
    for m in mmsis:
        for r in store.vessel_history(
            m, datetime.fromtimestamp(HOUR0, UTC), datetime.fromtimestamp(HOUR1 + 3599, UTC)
        ):
            out.append((iso_utc(r.t), r.mmsi, r.track_id, r.lon, r.lat, r.sog_kn))
    return sorted(out, key=lambda x: (x[0], x[1]))


@pytest.fixture(scope="module")
def mmsis(store: SqliteStore, ny_csv: Any) -> list[int]:
    from seawatch.sources.csv_ais import load_csv

    return sorted({*load_csv(ny_csv).positions["mmsi"].to_list(), DATELINE_MMSI})


@pytest.fixture(scope="module")
def expected(store: SqliteStore, mmsis: list[int]) -> list[tuple[Any, ...]]:
    rows = _store_positions(store, mmsis)
    assert len(rows) > 8000
    return rows


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda x: (x[0], x[1]))


def test_geojson_positions_equal_the_store(store: SqliteStore, expected: list[tuple[Any, ...]]) -> None:
    doc = json.loads(_export(store, "positions", "geojson"))
    assert doc["type"] == "FeatureCollection"
    got = []
    for f in doc["features"]:
        point: Any = shapely.geometry.shape(f["geometry"])
        p = f["properties"]
        assert (point.x, point.y) == (p["lon"], p["lat"])
        got.append((p["time"], p["mmsi"], p["track_id"], point.x, point.y, p["sog_kn"]))
    assert _sorted(got) == expected


def test_csv_positions_equal_the_store(store: SqliteStore, expected: list[tuple[Any, ...]]) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(store, "positions", "csv").decode())))
    got = [(r["time"], int(r["mmsi"]), r["track_id"], float(r["lon"]), float(r["lat"]),
            float(r["sog_kn"]) if r["sog_kn"] else None) for r in rows]  # fmt: skip
    assert _sorted(got) == expected


def test_parquet_positions_equal_the_store(store: SqliteStore, expected: list[tuple[Any, ...]]) -> None:
    table = pq.read_table(io.BytesIO(_export(store, "positions", "parquet")))
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"] == "WKB"
    points = shapely.from_wkb(table.column("geometry").to_pylist())
    cols = table.to_pydict()
    got = list(zip(cols["time"], cols["mmsi"], cols["track_id"], shapely.get_x(points).tolist(),
                   shapely.get_y(points).tolist(), cols["sog_kn"], strict=True))  # fmt: skip
    assert _sorted(got) == expected


def test_positions_stream_an_hour_at_a_time(store: SqliteStore) -> None:
    query = build_query("positions", START, END, NOW)
    sizes = [len(c) for c in chunks(StoreSource(store), query)]
    assert len(sizes) == 2 and sizes[1] == len(DATELINE)  # Parquet hour, then the SQLite hour
    table = pq.ParquetFile(io.BytesIO(_export(store, "positions", "parquet")))
    assert table.metadata.num_row_groups == 2


def test_tracks_as_lines_with_time(store: SqliteStore, mmsis: list[int]) -> None:
    doc = json.loads(_export(store, "tracks", "geojson"))
    by_id = {f["properties"]["track_id"]: f for f in doc["features"]}
    for m in [*mmsis[:20], DATELINE_MMSI]:
        rows = store.vessel_history(m, None, None)
        track = by_id[rows[0].track_id]
        geom = shapely.geometry.shape(track["geometry"])
        coords = shapely.get_coordinates(geom).tolist()
        assert coords == [[r.lon, r.lat] for r in rows]
        assert track["properties"]["times"] == [iso_utc(r.t) for r in rows]
        assert track["properties"]["points"] == len(rows)
    text = _export(store, "tracks", "kml", mmsi=[DATELINE_MMSI])
    assert [p.name for p in _placemarks(text)] == [f"MMSI {DATELINE_MMSI}"]
    ns = {"k": "http://www.opengis.net/kml/2.2", "gx": "http://www.google.com/kml/ext/2.2"}
    track = ElementTree.fromstring(text).find(".//gx:Track", ns)  # a line with a time per vertex
    assert track is not None
    whens = [w.text for w in track.findall("k:when", ns)]
    coords = [tuple(float(v) for v in (c.text or "").split()[:2]) for c in track.findall("gx:coord", ns)]
    assert whens == [iso_utc(t) for t, _, _ in DATELINE]
    assert coords == [(lon, lat) for _, lat, lon in DATELINE]


def test_kml_events_are_placemarks_with_their_reason(store: SqliteStore) -> None:
    events = store.events(EventQuery(limit=100))
    placemarks = _placemarks(_export(store, "events", "kml"))
    assert len(placemarks) == len(events) == 6
    by_name = {p.name: p for p in placemarks}
    for e in events:
        j = e.to_json()
        place = by_name[f"{e.type.replace('_', ' ')} {', '.join(map(str, e.mmsi))}".strip()]
        assert (place.geometry.x, place.geometry.y) == (j["lon"], j["lat"])
        assert e.type.replace("_", " ") in place.description
        for key, value in j["details"].items():
            assert f"{key} {value}" in place.description
        assert place.times.begin.dt == e.start and place.times.end.dt == e.end


def test_events_geojson_csv_parquet_equal_the_store(store: SqliteStore) -> None:
    expected = sorted((e.to_json() for e in store.events(EventQuery(limit=100))), key=lambda j: j["id"])
    doc = json.loads(_export(store, "events", "geojson"))
    got = sorted((f["properties"] for f in doc["features"]), key=lambda p: p["id"])
    for j, p in zip(expected, got, strict=True):
        assert {
            k: p[k] for k in ("id", "type", "mmsi", "start", "end", "lat", "lon", "details", "params")
        } == {k: j[k] for k in ("id", "type", "mmsi", "start", "end", "lat", "lon", "details", "params")}
    rows = sorted(
        csv.DictReader(io.StringIO(_export(store, "events", "csv").decode())), key=lambda r: r["id"]
    )
    assert [(r["id"], json.loads(r["mmsi_list"]), json.loads(r["details"])) for r in rows] == [
        (j["id"], j["mmsi"], j["details"]) for j in expected
    ]
    table = pq.read_table(io.BytesIO(_export(store, "events", "parquet"))).to_pydict()
    assert sorted(table["id"]) == [j["id"] for j in expected]


def test_zones_and_sightings(store: SqliteStore) -> None:
    doc = json.loads(_export(store, "zones", "geojson"))
    ids = {f["properties"]["zone_id"] for f in doc["features"]}
    assert ids == {z["id"] for z in store.zones()} and "ny-upper-bay" in ids
    for f in doc["features"]:
        zone = store.zone(f["properties"]["zone_id"])
        assert zone is not None
        assert shapely.geometry.shape(f["geometry"]).equals(shapely.geometry.shape(zone["geometry"]))
    assert len(_placemarks(_export(store, "zones", "kml"))) == len(doc["features"])
    rows = list(csv.DictReader(io.StringIO(_export(store, "sightings", "csv").decode())))
    stored = {s["id"]: s for s in store.sightings()}
    assert len(rows) == len(stored) == 3
    for r in rows:
        s = stored[r["id"]]
        assert (float(r["lat"]), float(r["lon"]), int(r["mmsi"]), r["notes"]) == (
            s["lat"],
            s["lon"],
            s["mmsi"],
            s["notes"],
        )


def test_bbox_and_zone_areas(store: SqliteStore, expected: list[tuple[Any, ...]]) -> None:
    area = parse_bbox("-74.05,40.60,-74.00,40.65")
    doc = json.loads(_export(store, "positions", "geojson", area=area))
    want = [r for r in expected if -74.05 <= r[3] <= -74.00 and 40.60 <= r[4] <= 40.65]
    assert 0 < len(doc["features"]) == len(want)
    zone = zone_area(store.zone("ny-upper-bay"), "ny-upper-bay")
    doc = json.loads(_export(store, "positions", "geojson", area=zone))
    poly = shapely.geometry.shape(store.zone("ny-upper-bay")["geometry"])  # type: ignore[index]
    want = [r for r in expected if poly.intersects(shapely.Point(r[3], r[4]))]
    assert 0 < len(doc["features"]) == len(want)


def test_antimeridian_bbox(store: SqliteStore) -> None:
    doc = json.loads(_export(store, "positions", "geojson", area=parse_bbox("179.9,-17,-179.9,-16")))
    lons = sorted(f["properties"]["lon"] for f in doc["features"])
    assert len(lons) == len(DATELINE) and lons[0] < -179 and lons[-1] > 179  # both sides of ±180°
    events = json.loads(_export(store, "events", "geojson", area=parse_bbox("179.9,-17,-179.9,-16")))
    assert [f["properties"]["type"] for f in events["features"]] == ["dark_target"]
    tracks = json.loads(_export(store, "tracks", "geojson", area=parse_bbox("179.9,-17,-179.9,-16")))
    assert [f["properties"]["mmsi"] for f in tracks["features"]] == [DATELINE_MMSI]


@pytest.mark.parametrize(
    "bbox", ["1,2,3", "a,b,c,d", "0,50,10,40", "-190,0,10,10", "0,-95,10,10", "nan,0,1,1"]
)
def test_invalid_bbox_is_a_clear_error(bbox: str) -> None:
    with pytest.raises(InputError, match="bbox"):
        parse_bbox(bbox)


def test_bad_queries_are_clear_errors() -> None:
    with pytest.raises(InputError, match="before start"):
        build_query("positions", END, START, NOW)
    with pytest.raises(InputError, match="unknown event type"):
        build_query("events", START, END, NOW, event_types=["piracy"])
    with pytest.raises(InputError, match="at most"):
        build_query("positions", "2000-01-01T00:00:00Z", END, NOW)
    with pytest.raises(InputError, match="kind"):
        build_query("vessels", START, END, NOW)


@pytest.mark.parametrize("kind", ["positions", "tracks", "events", "sightings"])
def test_empty_window_is_a_valid_empty_file_in_every_format(store: SqliteStore, kind: str) -> None:
    window = {"start": "2001-01-01T00:00:00Z", "end": "2001-01-02T00:00:00Z"}
    assert json.loads(_export(store, kind, "geojson", **window)) == {
        "type": "FeatureCollection",
        "features": [],
    }
    rows = list(csv.reader(io.StringIO(_export(store, kind, "csv", **window).decode())))
    assert len(rows) == 1 and rows[0]  # the header only
    table = pq.read_table(io.BytesIO(_export(store, kind, "parquet", **window)))
    assert table.num_rows == 0 and "geometry" in table.column_names and b"geo" in table.schema.metadata
    assert _placemarks(_export(store, kind, "kml", **window)) == []


def test_filters_by_vessel(store: SqliteStore, mmsis: list[int]) -> None:
    doc = orjson.loads(_export(store, "positions", "geojson", mmsi=[mmsis[3]]))
    assert {f["properties"]["mmsi"] for f in doc["features"]} == {mmsis[3]}
    assert len(doc["features"]) == len(store.vessel_history(mmsis[3], None, None))


def test_too_many_positions_for_tracks_is_a_clear_error_before_any_byte(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seawatch.export.tables as tables

    monkeypatch.setattr(tables, "TRACKS_MAX_POSITIONS", 1000)
    for fmt in ("geojson", "csv", "parquet", "kml"):
        blocks = export_bytes(StoreSource(store), build_query("tracks", START, END, NOW), fmt)
        with pytest.raises(InputError, match="narrow the window"):
            next(blocks)  # the API turns this into a 400 before the response starts
