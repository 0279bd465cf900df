"""Sea paths as lon/lat polylines: explicit waypoints or searoute lanes between WPI ports, densified so
that linear interpolation stays on the water and land checks see every few hundred metres."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from seawatch.sim.geodata import Port, SimGeo, haversine_m

MAX_STEP_M = 1_000.0


def densify(
    lon: np.ndarray, lat: np.ndarray, max_step_m: float = MAX_STEP_M
) -> tuple[np.ndarray, np.ndarray]:
    """Insert points so no segment is longer than max_step_m (linear in lon/lat)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if len(lon) < 2:
        return lon, lat
    seg = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    parts = np.maximum(1, np.ceil(seg / max_step_m)).astype(np.int64)
    seg_idx = np.repeat(np.arange(len(parts)), parts)
    step = np.arange(len(seg_idx)) - np.repeat(np.cumsum(parts) - parts, parts) + 1
    frac = step / parts[seg_idx]
    out_lon = lon[seg_idx] + (lon[seg_idx + 1] - lon[seg_idx]) * frac
    out_lat = lat[seg_idx] + (lat[seg_idx + 1] - lat[seg_idx]) * frac
    return np.concatenate([lon[:1], out_lon]), np.concatenate([lat[:1], out_lat])


@lru_cache(maxsize=4096)
def searoute_coords(a: tuple[float, float], b: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    import searoute

    feature = searoute.searoute(list(a), list(b), units="km")
    return tuple((float(x), float(y)) for x, y in feature["geometry"]["coordinates"])


def port_path(a: Port, b: Port) -> tuple[np.ndarray, np.ndarray]:
    """Port a → searoute lane → port b, densified."""
    coords = [(a.lon, a.lat), *searoute_coords((a.lon, a.lat), (b.lon, b.lat)), (b.lon, b.lat)]
    arr = np.array(coords)
    return densify(arr[:, 0], arr[:, 1])


def first_land_point(
    geo: SimGeo, lon: np.ndarray, lat: np.ndarray, *, port_margin_m: float = 0.0, ports: tuple[Port, ...] = ()
) -> int | None:
    """Index of the first sample on land (ignoring samples within port_margin_m of the given ports)."""
    land = geo.on_land(lon, lat)
    if port_margin_m > 0 and ports:
        for port in ports:
            land &= haversine_m(lon, lat, port.lon, port.lat) > port_margin_m
    idx = np.flatnonzero(land)
    return int(idx[0]) if len(idx) else None
