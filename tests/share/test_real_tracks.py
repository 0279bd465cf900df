"""Field stripping and area filtering on real AIS tracks (US coastal 2020, Puerto Rico waters), end to
end through a real NATS server: the partner's stream only ever holds what the policy lets through."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from shapely.geometry import shape

from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer
from seawatch.share.policy import ShareItem
from seawatch.share.transport import NatsTransport
from tests.share.helpers import make_keys, make_settings, wait_until
from tests.share.test_federation_memory import ListSink
from tests.shared import require_shared

pytestmark = [pytest.mark.broker, pytest.mark.shared_data]


def _puerto_rico_waters() -> dict[str, object]:
    path = require_shared("osm-maritime-borders", "geo-maps_countries-maritime-10km.geojson")
    features = json.loads(path.read_text())["features"]
    return next(f for f in features if f["properties"].get("A3") == "PRI")


def _tracks_near_puerto_rico() -> pl.DataFrame:
    path = require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
    frame = pl.read_csv(path)
    return frame.filter((pl.col("lat") < 19.5) & (pl.col("lon") > -68.5))


async def test_area_and_field_policy_on_real_tracks(tmp_path: Path, nats_server: LocalNatsServer) -> None:
    area = _puerto_rico_waters()
    rows = _tracks_near_puerto_rico()
    assert rows.height > 1000
    geom = shape(area["geometry"])  # type: ignore[arg-type]
    inside = shapely.contains_xy(geom, rows["lon"].to_numpy(), rows["lat"].to_numpy())
    expected = int(np.count_nonzero(inside))
    assert 0 < expected < rows.height  # the area really splits the data

    keys = make_keys(["us", "tt"])
    policy = {
        "track_sources": ["ais"],
        "areas": [area],
        "strip_fields": ["sensors", "station"],
        "precision_decimals": 3,
    }
    sender = Federation(
        make_settings("us", keys, tmp_path, {"tt": policy}, nats_server.url), NatsTransport(nats_server.url)
    )
    sink = ListSink()
    receiver = Federation(
        make_settings("tt", keys, tmp_path, {}, nats_server.url), NatsTransport(nats_server.url), sink
    )
    await sender.start()
    await receiver.start()
    try:
        items = [
            ShareItem(
                "track",
                {
                    "track_id": f"mmsi:{r['mmsi']}",
                    "mmsi": r["mmsi"],
                    "time": r["timestamp_utc"],
                    "lat": r["lat"],
                    "lon": r["lon"],
                    "sensor": "ais",
                    "sources": ["ais"],
                    "sensors": ["pr-receiver-1"],
                    "station": "san-juan",
                    "nodes": ["us"],
                },
            )
            for r in rows.iter_rows(named=True)
        ]
        assert sender.publish_many(items) == expected
        assert await wait_until(lambda: len(sink.items) >= expected, timeout_s=60)
    finally:
        await sender.stop()
        await receiver.stop()
    got = sink.items
    assert len(got) == expected and len({e.seq for e in got}) == expected
    lons = np.array([e.payload["lon"] for e in got])
    lats = np.array([e.payload["lat"] for e in got])
    # rounding to 3 decimals moves a point ≤ ~80 m: all still inside the slightly buffered area
    assert shapely.contains_xy(geom.buffer(0.001), lons, lats).all()
    assert all(round(v, 3) == v for v in np.concatenate([lons, lats]))
    for env in got:
        assert "sensors" not in env.payload and "station" not in env.payload
        assert env.payload["mmsi"] in set(rows["mmsi"].to_list())
    assert {e.payload["mmsi"] for e in got} == set(rows.filter(pl.Series(inside))["mmsi"].to_list())
