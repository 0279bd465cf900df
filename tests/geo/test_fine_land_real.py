"""Moored vessels of real AIS against the bundled coastlines: the fine (OpenStreetMap) land puts several
times fewer of them on land than Natural Earth does.

Stationary fixes: SOG < 0.5 kn where the data has it (NY Harbor hour), else the speed between a fix and the
previous one of its trajectory (Virginia Beach's 3 days, the US coastal day: Tracktable tracks, positions
only) below 0.5 kn over at least 30 s. Only fixes inside the fine land's regions count (the Caribbean / Gulf
and the US east coast; elsewhere both answers are Natural Earth's).

Measured (2026-12-07), stationary fixes on land, Natural Earth → OpenStreetMap:
- NY Harbor hour, 6,393 fixes of 268 vessels: 53.2 % → 8.85 % (6.0x fewer);
- Virginia Beach 3 days, 18,447 fixes of 81 vessels: 68.9 % → 5.62 % (12x);
- US coastal day, 44,096 fixes of 672 vessels: 59.1 % → 38.9 % (1.5x).
What is left is water the OSM *coastline* does not carve out: rivers, creeks, canals and basins mapped as
inland water (the Ohio and Mississippi rivers, Lake Charles, the bayous: most of the US day; Newtown Creek,
the Morris Canal basin, Bronx creeks in New York; the Elizabeth River's branches, Lynnhaven and Currituck
Sound near Virginia Beach), and quays a few metres off after the source's ~55 m simplification (with 20 m
of tolerance NY drops to 5.2 %, Virginia Beach to 4.5 %). The thresholds are these figures with a margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest

from seawatch.geo.distance import haversine_m
from tests.shared import require_shared

MOORED_KN = 0.5
KNOT_MS = 1852.0 / 3600.0
# per data set: the most stationary fixes on the fine land, and how many times fewer than on Natural Earth
LIMITS = {"NY Harbor hour": (0.10, 5.0), "Virginia Beach 3 days": (0.07, 8.0), "US coastal day": (0.45, 1.4)}


@dataclass
class Moored:
    name: str
    lon: np.ndarray
    lat: np.ndarray
    mmsi: np.ndarray


def ny_harbor() -> Moored:
    path = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    frame = pl.read_csv(path, infer_schema_length=10_000).filter(pl.col("SOG") < MOORED_KN)
    return Moored(
        "NY Harbor hour", frame["LON"].to_numpy(), frame["LAT"].to_numpy(), frame["MMSI"].to_numpy()
    )


def still_fixes(name: str, file: str) -> Moored:
    """Fixes whose speed from the previous fix of the same trajectory is below MOORED_KN."""
    path = require_shared("ais-tracks-us-coastal-2020", file)
    frame = pl.read_csv(path).with_columns(pl.col("timestamp_utc").str.to_datetime("%Y-%m-%d %H:%M:%S"))
    frame = frame.sort("traj_id", "timestamp_utc")
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    traj = frame["traj_id"].to_numpy()
    t = frame["timestamp_utc"].dt.epoch("s").to_numpy().astype(np.float64)
    same = traj[1:] == traj[:-1]
    dt = np.diff(t)
    dist = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    still = same & (dt >= 30.0) & (dist / np.maximum(dt, 1.0) < MOORED_KN * KNOT_MS)
    rows = np.flatnonzero(still) + 1
    return Moored(name, lon[rows], lat[rows], frame["mmsi"].to_numpy()[rows])


@pytest.fixture(scope="module")
def moored() -> list[Moored]:
    return [
        ny_harbor(),
        still_fixes("Virginia Beach 3 days", "VirginiaBeach_2020_06_04_to_06_filtered.csv.gz"),
        still_fixes("US coastal day", "US_coastal_2020_06_30.csv.gz"),
    ]


def test_moored_vessels_are_not_on_fine_land(moored: list[Moored]) -> None:
    require_shared("natural-earth-marine")
    from seawatch.geo.fine_land import fine_land
    from seawatch.geo.land import default_land

    fine, coarse = fine_land(), default_land()
    lines = []
    for m in moored:
        keep = fine.in_regions(m.lon, m.lat)
        lon, lat = m.lon[keep], m.lat[keep]
        assert lon.size >= 200, f"{m.name}: only {lon.size} stationary fixes in the fine land's regions"
        old = int(coarse.is_on_land(lon, lat).sum())
        on_fine = fine.is_on_land(lon, lat)
        new = int(on_fine.sum())
        vessels = np.unique(m.mmsi[keep]).size
        vessels_on = np.unique(m.mmsi[keep][on_fine]).size
        lines.append(
            f"{m.name}: {lon.size} stationary fixes of {vessels} vessels; on land: Natural Earth {old}"
            f" ({old / lon.size:.1%}), OSM {new} ({new / lon.size:.2%}) of {vessels_on}"
            " vessels"
        )
        most, fewer = LIMITS[m.name]
        assert new <= most * lon.size, lines[-1]
        assert new * fewer <= old, lines[-1]
    print("\n".join(lines))


def test_fine_land_knows_harbour_places() -> None:
    """Known points a few hundred metres apart: land Natural Earth misses, water it fills."""
    from seawatch.geo.fine_land import fine_land

    fine = fine_land()
    # Staten Island ferry terminal slip (water), Governors Island (land), Norfolk Naval Station piers' basin
    # (water), San Juan's Old City (land), San Juan harbour's cruise berths basin (water)
    lon = np.array([-74.0716, -74.0165, -76.3270, -66.1150, -66.1080])
    lat = np.array([40.6443, 40.6895, 36.9570, 18.4660, 18.4610])
    assert fine.in_regions(lon, lat).all()
    assert fine.is_on_land(lon, lat).tolist() == [False, True, False, True, False]
    assert fine.covers(-74.1, 40.6, -74.0, 40.7)
    assert not fine.covers(-120.0, 33.0, -119.0, 34.0)  # California: not bundled
