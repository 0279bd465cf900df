"""Land, shore distance, ports and zones against known places."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seawatch.errors import ConfigError
from seawatch.geo.distance import chord_for_m, haversine_m, m_for_chord
from seawatch.geo.zones import ZoneIndex, default_zones, load_zones
from tests.shared import require_shared


@pytest.fixture(scope="module")
def land():  # type: ignore[no-untyped-def]
    require_shared("natural-earth-marine")
    from seawatch.geo.land import default_land

    return default_land()


def test_haversine_one_degree_of_latitude() -> None:
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195, rel=1e-3)
    assert float(m_for_chord(chord_for_m(12_345.0))) == pytest.approx(12_345.0, rel=1e-9)


def test_land_and_sea_points(land) -> None:  # type: ignore[no-untyped-def]
    # San Juan inland, open Caribbean, central Cuba, Gulf of Mexico, Kansas (coarse world land), mid-Atlantic
    lon = np.array([-66.06, -70.0, -79.0, -90.0, -98.0, -40.0])
    lat = np.array([18.35, 15.0, 22.0, 25.0, 38.5, 30.0])
    assert land.is_on_land(lon, lat).tolist() == [True, False, True, False, True, False]


def test_distance_to_shore(land) -> None:  # type: ignore[no-untyped-def]
    # 10 nm north of San Juan's coast; middle of the Caribbean; on land
    dist = land.distance_to_shore_m(np.array([-66.1, -75.0, -66.06]), np.array([18.65, 14.5, 18.35]))
    assert 14_000 < dist[0] < 25_000
    assert dist[1] > 150_000
    assert dist[2] == 0.0
    capped = land.distance_to_shore_m(np.array([-75.0]), np.array([14.5]), cap_m=18_520.0)
    assert capped[0] == 18_520.0
    assert np.isnan(land.distance_to_shore_m(np.array([np.nan]), np.array([1.0]))[0])


def test_wpi_ports_nearest() -> None:
    require_shared("ports", "nga_wpi_UpdatedPub150.csv.gz")
    from seawatch.geo.ports import load_ports

    ports = load_ports()
    assert len(ports) > 3000
    dist, idx = ports.nearest([18.46, 15.0], [-66.10, -70.0], max_m=10_000)
    assert dist[0] < 3_000 and "San Juan" in ports.names[idx[0]]
    assert np.isinf(dist[1]) and idx[1] == -1


def test_ports_nearest_in_bulk_is_the_live_answer_and_the_closest_port() -> None:
    """Vectorised `nearest` (few points and many) = scalar `nearest_one` = the closest of every port."""
    require_shared("ports", "nga_wpi_UpdatedPub150.csv.gz")
    from seawatch.geo.ports import load_ports

    ports = load_ports()
    rng = np.random.default_rng(5)
    pick = rng.integers(0, len(ports), 60_000)
    lat = np.clip(ports.lat[pick] + rng.normal(0.0, 0.03, pick.size), -90.0, 90.0)
    lon = (ports.lon[pick] + rng.normal(0.0, 0.03, pick.size) + 180.0) % 360.0 - 180.0
    for max_m in (4_000.0, 10_000.0):
        dist, idx = ports.nearest(lat, lon, max_m=max_m)  # > 50,000 points: the dense cell grid
        few_dist, few_idx = ports.nearest(lat[:2_000], lon[:2_000], max_m=max_m)  # cell search
        assert np.array_equal(few_idx, idx[:2_000]) and np.array_equal(few_dist, dist[:2_000])
        assert 0 < (idx >= 0).sum() < idx.size
        for i in range(0, 2_000, 7):
            assert ports.nearest_one(lat[i], lon[i], max_m) == (dist[i], idx[i])
        every_dist, _ = ports.nearest(lat[:2_000], lon[:2_000])
        close = every_dist <= max_m
        assert np.array_equal(few_dist[close], every_dist[close]) and np.isinf(few_dist[~close]).all()


def test_default_zones_cover_puerto_rico_not_open_sea() -> None:
    zones = default_zones()
    assert len(zones) >= 30
    index = ZoneIndex(zones)
    inside = index.zones_at(-66.1, 18.5)
    assert [zones[i].name for i in inside] == ["Puerto Rico territorial waters"]
    assert index.zones_at(-70.0, 15.0) == frozenset()
    matrix = index.membership(np.array([-66.1, -70.0]), np.array([18.5, 15.0]))
    assert matrix.shape == (2, len(zones)) and matrix[0].sum() == 1 and matrix[1].sum() == 0


def _write(tmp_path: Path, obj: object) -> Path:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(obj))
    return path


def test_zone_file_errors_name_feature_and_problem(tmp_path: Path) -> None:
    square = {"type": "Polygon", "coordinates": [[[-66, 18], [-65, 18], [-65, 19], [-66, 19], [-66, 18]]]}
    good = {
        "type": "Feature",
        "properties": {"name": "Box", "kind": "protected", "overrides": {"ais_gap": {"min_gap_s": 3600}}},
        "geometry": square,
    }
    zones = load_zones(_write(tmp_path, {"type": "FeatureCollection", "features": [good]}))
    assert zones[0].name == "Box" and zones[0].overrides == {"ais_gap": {"min_gap_s": 3600}}
    bad_kind = {**good, "properties": {"name": "X", "kind": "lake"}}
    with pytest.raises(ConfigError, match=r"feature 1 \(X\): kind 'lake'"):
        load_zones(_write(tmp_path, {"type": "FeatureCollection", "features": [good, bad_kind]}))
    point = {**good, "geometry": {"type": "Point", "coordinates": [0, 0]}}
    with pytest.raises(ConfigError, match=r"feature 0.*Polygon or MultiPolygon"):
        load_zones(_write(tmp_path, {"type": "FeatureCollection", "features": [point]}))
    nameless = {**good, "properties": {}}
    with pytest.raises(ConfigError, match="'name' is required"):
        load_zones(_write(tmp_path, {"type": "FeatureCollection", "features": [nameless]}))
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match=r"broken\.geojson: not valid GeoJSON"):
        load_zones(broken)


def test_land_cache_round_trip_and_damaged_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seawatch.geo import land as land_mod

    require_shared("natural-earth-marine")
    monkeypatch.setenv("SEAWATCH_CACHE_DIR", str(tmp_path))
    built = land_mod.LandMask.from_natural_earth()  # builds and writes the cache
    files = list(tmp_path.glob("land-*.pickle"))
    assert len(files) == 1
    cached = land_mod.LandMask.from_natural_earth()
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(5, 35, 20_000), rng.uniform(-100, -55, 20_000)
    assert np.array_equal(cached.is_on_land(lon, lat), built.is_on_land(lon, lat))
    assert np.array_equal(cached.distance_to_shore_m(lon, lat), built.distance_to_shore_m(lon, lat))
    files[0].write_bytes(b"not a cache")
    rebuilt = land_mod.LandMask.from_natural_earth()
    assert np.array_equal(rebuilt.is_on_land(lon, lat), built.is_on_land(lon, lat))
    assert files[0].stat().st_size > 1000  # rewritten


def test_old_land_caches_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from seawatch.geo import land as land_mod

    require_shared("natural-earth-marine")
    monkeypatch.setenv("SEAWATCH_CACHE_DIR", str(tmp_path))
    old = []
    for k in range(6):  # caches of earlier versions or other land files, oldest first
        path = tmp_path / f"land-old{k}.pickle"
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 + k, 1_000_000 + k))
        old.append(path)
    other = tmp_path / "keep-me.txt"
    other.write_text("not a land cache")
    land_mod.LandMask.from_natural_earth()  # writes the current cache, then prunes
    left = sorted(p.name for p in tmp_path.glob("land-*.pickle"))
    assert len(left) == land_mod.CACHE_KEEP
    assert {p.name for p in old[-(land_mod.CACHE_KEEP - 1) :]} <= set(left)  # the newest old ones stay
    assert other.exists()
