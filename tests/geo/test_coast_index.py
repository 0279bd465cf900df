"""`CoastIndex` gives the exact nearest-vertex chord a brute-force scan gives; `beyond_shore_m` the same
answer as comparing `distance_to_shore_m` with the gate."""

from __future__ import annotations

import numpy as np
import pytest

from seawatch.geo.coast_index import CoastIndex
from seawatch.geo.distance import chord_for_m, unit_xyz
from tests.shared import require_shared


def brute_force(index: CoastIndex, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Chord to the nearest vertex, computed like the index (and a KD-tree): (dx² + dy²) + dz², sqrt."""
    q = unit_xyz(lat, lon)
    out = np.empty(lat.size)
    for i in range(lat.size):
        d = index.xyz - q[i]
        out[i] = np.sqrt((d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2]).min()
    return out


@pytest.fixture(scope="module")
def land():  # type: ignore[no-untyped-def]
    require_shared("natural-earth-marine")
    from seawatch.geo.land import default_land

    return default_land()


def test_nearest_chord_equals_brute_force(land) -> None:  # type: ignore[no-untyped-def]
    index = land.coast
    rng = np.random.default_rng(2)
    vertex = rng.integers(0, index.xyz.shape[0], 150)
    near_lat = np.degrees(np.arcsin(index.xyz[vertex, 2])) + rng.normal(0.0, 0.1, vertex.size)
    near_lon = np.degrees(np.arctan2(index.xyz[vertex, 1], index.xyz[vertex, 0])) + rng.normal(0.0, 0.1, 150)
    lat = np.concatenate(
        [np.clip(near_lat, -90.0, 90.0), np.degrees(np.arcsin(rng.uniform(-1, 1, 150))), [90.0, -90.0, 0.0]]
    )
    lon = np.concatenate([(near_lon + 180.0) % 360.0 - 180.0, rng.uniform(-180, 180, 150), [0.0, 0.0, 180.0]])
    expected = brute_force(index, lat, lon)
    assert np.array_equal(index.min_chord(lat, lon), expected)
    bound = chord_for_m(30_000.0)
    assert np.array_equal(index.min_chord(lat, lon, bound), np.where(expected < bound, expected, np.inf))


def test_beyond_shore_is_distance_at_least_gate(land) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(4)
    n = 20_000
    lon = np.concatenate([rng.uniform(-100.0, -55.0, n), rng.uniform(-180.0, 180.0, n)])
    lat = np.concatenate([rng.uniform(5.0, 35.0, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))])
    lon[:50], lat[:50] = -66.1, 18.65  # many points in one cell
    gate = np.where(rng.random(lon.size) < 0.5, 37_040.0, 18_520.0)
    gate[::97] = 0.0
    expected = land.distance_to_shore_m(lon, lat, cap_m=37_040.0, land_check=False) >= gate
    assert 0 < expected.sum() < expected.size
    assert np.array_equal(land.beyond_shore_m(lon, lat, gate), expected)
    assert not land.beyond_shore_m([np.nan], [18.0], 100.0)[0]


def test_nearest_chord_equals_scipy_kdtree(land) -> None:  # type: ignore[no-untyped-def]
    """Against the library it replaces: scipy's KD-tree over the same coastline vertices, on real AIS
    positions and on random points of the Caribbean box."""
    from scipy.spatial import cKDTree

    from seawatch.sources.csv_ais import load_csv

    day = load_csv(require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")).positions
    rng = np.random.default_rng(11)
    pick = rng.integers(0, day.height, 20_000)
    lat = np.concatenate([day["lat"].to_numpy()[pick], rng.uniform(5.0, 35.0, 5_000)])
    lon = np.concatenate([day["lon"].to_numpy()[pick], rng.uniform(-100.0, -55.0, 5_000)])
    index = land.coast
    expected, _ = cKDTree(index.xyz).query(unit_xyz(lat, lon))
    assert np.allclose(index.min_chord(lat, lon), expected, rtol=0, atol=1e-15)
