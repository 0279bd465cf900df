"""A node's store filled with one real hour of AIS (New York harbour, 2020-06-30, compacted to Parquet),
a synthetic track across the antimeridian in the next hour (still in SQLite), events at real positions,
zones and sightings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawatch.model import AisStatic, Event
from seawatch.sources.csv_ais import load_csv
from seawatch.store.base import IngestBatch, PositionRow
from seawatch.store.sqlite import SqliteStore
from tests.shared import require_shared

HOUR0 = 1593475200.0  # 2020-06-30T00:00:00Z, the recording's hour
HOUR1 = HOUR0 + 3600.0
NY_ZONE = {"type": "Feature", "id": "ny-upper-bay",
           "properties": {"zone_id": "ny-upper-bay", "name": "Upper Bay (test zone)", "kind": "custom"},
           "geometry": {"type": "Polygon", "coordinates": [[[-74.08, 40.60], [-73.99, 40.60], [-73.99, 40.70],
                                                            [-74.08, 40.70], [-74.08, 40.60]]]}}  # fmt: skip
# a vessel crossing the antimeridian near Fiji, one fix a minute (synthetic: no real data crosses there)
DATELINE = [(HOUR1 + 60 * i, -16.5 + 0.001 * i, 179.95 + 0.01 * i if 179.95 + 0.01 * i <= 180 else
             179.95 + 0.01 * i - 360) for i in range(10)]  # fmt: skip
DATELINE_MMSI = 520123456


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


@pytest.fixture(scope="package")
def ny_csv() -> Path:
    return require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")


@pytest.fixture(scope="package")
def store(ny_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    data = load_csv(ny_csv)
    pos = data.positions
    rows = [
        PositionRow(t=r["t"], track_id=f"mmsi:{r['mmsi']}", mmsi=r["mmsi"], lat=r["lat"], lon=r["lon"],
                    sog_kn=r["sog_kn"], cog_deg=r["cog_deg"], heading_deg=r["heading_deg"], sensor="ais",
                    source="ny-harbour", node="test")
        for r in pos.iter_rows(named=True)
    ]  # fmt: skip
    statics = [
        AisStatic(mmsi=r["mmsi"], msg_type=5, shipname=r["shipname"], callsign=r["callsign"],
                  received_at=_utc(r["t"]), source="ny-harbour")
        for r in data.statics.iter_rows(named=True) if r["shipname"]
    ]  # fmt: skip
    store = SqliteStore(tmp_path_factory.mktemp("export-store"))
    store.write_batch(IngestBatch(positions=rows, statics=statics))
    assert store.compact(_utc(HOUR1)) == len(rows)  # the real hour is read back from Parquet
    store.write_batch(IngestBatch(positions=[
        PositionRow(t=t, track_id="radar:fj-1:7", mmsi=DATELINE_MMSI, lat=lat, lon=lon, sog_kn=8.0,
                    cog_deg=90.0, heading_deg=None, sensor="ais", source="fiji", node="test")
        for t, lat, lon in DATELINE
    ]))  # fmt: skip
    first = pos.sort("t").unique("mmsi", keep="first", maintain_order=True).head(5).to_dicts()
    events = [
        Event(type="loitering", mmsi=(r["mmsi"],), start=_utc(r["t"]), end=_utc(r["t"] + 900), lat=r["lat"],
              lon=r["lon"], details={"duration_s": 900, "median_sog_kn": 0.4}, params={"max_sog_kn": 2.0},
              track_ids=(f"mmsi:{r['mmsi']}",))
        for r in first
    ]  # fmt: skip
    events.append(Event(type="dark_target", mmsi=(), start=_utc(DATELINE[0][0]), end=_utc(DATELINE[-1][0]),
                        lat=DATELINE[5][1], lon=DATELINE[5][2], details={"sensor": "radar"}))  # fmt: skip
    store.write_batch(IngestBatch(events=[(e, "test") for e in events]))
    store.put_zone("ny-upper-bay", NY_ZONE)
    zones = json.loads((Path(__file__).parents[2] / "seawatch/geo/data/caribbean_zones.geojson").read_text())
    for f in zones["features"][:5]:  # copies of bundled zones, under ids of their own
        zone_id = f"copy-{f['id']}"
        store.put_zone(
            zone_id,
            {**f, "id": zone_id, "properties": {**f["properties"], "id": zone_id, "zone_id": zone_id}},
        )
    for i, r in enumerate(first[:3]):
        store.add_sighting({"id": f"s{i}", "t": r["t"] + 60, "lat": r["lat"], "lon": r["lon"],
                            "mmsi": r["mmsi"], "name": None, "reported_by": "op",
                            "notes": 'seen from the patrol boat, "no lights"'})  # fmt: skip
    yield store
    store.close()
