"""Real AIS (US coastal day, Virginia Beach, NY Harbor hour): alert-level events per 1,000 vessel-hours
stay within a budget a watch officer can act on, no port visit lacks a stop and no rendezvous is two
vessels stationary at one berth, judged from the positions (not from the events' own details).

Budget: at most ALERT_BUDGET alert-level events per 1,000 vessel-hours (vessel-hours: each MMSI's first to
last report). Recorded (see README "Alert budget"): NY Harbor hour 27, Virginia Beach 26, US day 49.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np
import polars as pl
import pytest

from seawatch.detect.bulk import run_bulk
from seawatch.detect.context import DetectContext
from seawatch.geo.distance import haversine_m
from seawatch.geo.zones import default_zones
from seawatch.model.event import Event
from seawatch.sources.formats import LoadResult
from tests.shared import require_shared

ALERT_BUDGET = 60.0  # alert-level events per 1,000 vessel-hours
FILES = (
    "NYHarbor_2020_06_30_first_hour.csv.gz",
    "VirginiaBeach_2020_06_04_to_06_filtered.csv.gz",
    "US_coastal_2020_06_30.csv.gz",
)
STOP_S = 900.0  # a stop: 15 min ...
STOP_RADIUS_M = 300.0  # ... within this of where it began (GPS noise of a moored ship)
BERTH_SHORE_M = 2000.0  # Natural Earth's coastline is generalised by 1-2 km in harbours
STILL_RADIUS_M = 150.0


@lru_cache(maxsize=3)
def _run(name: str) -> tuple[LoadResult, list[Event]]:
    from seawatch.sources.inputs import load_inputs

    loaded = load_inputs([require_shared("ais-tracks-us-coastal-2020", name)])
    ctx = DetectContext(zones=default_zones())
    return loaded, run_bulk(loaded.positions, loaded.statics, ctx).events


def _fixes(positions: pl.DataFrame, mmsi: int, event: Event) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = positions.filter(
        (pl.col("mmsi") == mmsi) & pl.col("t").is_between(event.start.timestamp(), event.end.timestamp())
    ).sort("t")
    return f["t"].to_numpy(), f["lat"].to_numpy(), f["lon"].to_numpy()


def _has_stop(t: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> bool:
    for i in range(len(t)):
        j = int(np.searchsorted(t, t[i] + STOP_S))
        if j >= len(t):
            return False
        if float(np.max(haversine_m(lat[i], lon[i], lat[i : j + 1], lon[i : j + 1]))) <= STOP_RADIUS_M:
            return True
    return False


def _still(lat: np.ndarray, lon: np.ndarray) -> bool:
    mid_lat, mid_lon = float(np.median(lat)), float(np.median(lon))
    return len(lat) > 0 and float(np.max(haversine_m(mid_lat, mid_lon, lat, lon))) <= STILL_RADIUS_M


@pytest.mark.parametrize("name", FILES)
def test_alert_budget_per_vessel_hour(name: str) -> None:
    loaded, events = _run(name)
    spans = loaded.positions.group_by("mmsi").agg((pl.col("t").max() - pl.col("t").min()).alias("s"))
    vessel_hours = float(spans["s"].sum()) / 3600.0
    by = Counter((e.severity, e.type) for e in events)
    alerts = sum(n for (severity, _), n in by.items() if severity == "alert")
    rate = 1000.0 * alerts / vessel_hours
    print(
        name,
        f"{vessel_hours:.0f} vessel-h, {alerts} alerts = {rate:.1f} per 1000 vessel-h",
        sorted(by.items()),
    )
    assert all(e.severity in ("alert", "notice") for e in events)
    assert rate <= ALERT_BUDGET, (rate, sorted(by.items()))


@pytest.mark.parametrize("name", FILES)
def test_every_port_visit_has_a_stop(name: str) -> None:
    loaded, events = _run(name)
    visits = [e for e in events if e.type == "port_visit"]
    assert visits
    lacking = [e.to_json() for e in visits if not _has_stop(*_fixes(loaded.positions, e.mmsi[0], e))]
    assert lacking == []


@pytest.mark.parametrize("name", FILES)
def test_no_rendezvous_is_two_ships_at_one_berth(name: str) -> None:
    from seawatch.geo.land import default_land

    loaded, events = _run(name)
    berthed = []
    for e in (e for e in events if e.type == "rendezvous"):
        (_, lat_a, lon_a), (_, lat_b, lon_b) = (_fixes(loaded.positions, m, e) for m in e.mmsi)
        if not (_still(lat_a, lon_a) and _still(lat_b, lon_b)):
            continue
        lat, lon = float(np.median(np.r_[lat_a, lat_b])), float(np.median(np.r_[lon_a, lon_b]))
        if float(default_land().distance_to_shore_m([lon], [lat])[0]) < BERTH_SHORE_M:
            berthed.append(e.to_json())
    assert berthed == []
