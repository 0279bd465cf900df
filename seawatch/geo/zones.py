"""Zones from GeoJSON, the bundled default Caribbean zones, and vectorised zone membership.

A zones file is a GeoJSON FeatureCollection of Polygon / MultiPolygon features with properties:
- `name` (required, text),
- `kind`: one of `model.zone.ZONE_KINDS` (custom, territorial_sea, contiguous_zone, eez, protected_area,
  port; default custom; the older names `protected` and `user` are read as protected_area and custom),
- `id` (optional; default: the feature's `id`, else `zone-<n>`),
- `overrides` (optional): `{detector: {threshold: value}}` applied to fixes inside the zone.
Any problem raises ConfigError naming the file, the feature number and the problem.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from seawatch.errors import ConfigError
from seawatch.geo.land import read_geojson
from seawatch.model.zone import DEFAULT_ZONE_KIND, Zone, canonical_zone_kind

log = logging.getLogger(__name__)

DEFAULT_ZONES_RESOURCE = "caribbean_zones.geojson"
DEFAULT_ZONES_ATTRIBUTION = (
    "Territorial waters from OpenStreetMap via geo-maps countries-maritime-10km, © OpenStreetMap "
    "contributors, ODbL 1.0"
)


def _zone_from_feature(feature: Any, number: int, where: str) -> Zone:
    origin = f"{where} feature {number}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ConfigError(f"{origin}: not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ConfigError(f"{origin}: properties must be an object")
    name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{origin}: property 'name' is required (text)")
    try:
        kind = canonical_zone_kind(props.get("kind", DEFAULT_ZONE_KIND))
    except ValueError as exc:
        raise ConfigError(f"{origin} ({name}): {exc}") from None
    overrides = props.get("overrides") or {}
    if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
        raise ConfigError(f"{origin} ({name}): overrides must be {{detector: {{threshold: value}}}}")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        got = geometry.get("type") if isinstance(geometry, dict) else geometry
        raise ConfigError(f"{origin} ({name}): geometry must be Polygon or MultiPolygon, not {got}")
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ConfigError(f"{origin} ({name}): bad coordinates: {exc}") from exc
    if geom.is_empty:
        raise ConfigError(f"{origin} ({name}): empty geometry")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ConfigError(
            f"{origin} ({name}): coordinates outside lon -180…180 / lat -90…90 (lon, lat order?)"
        )
    if not geom.is_valid:
        log.warning("%s (%s): invalid polygon repaired with make_valid", origin, name)
        geom = shapely.make_valid(geom)
    zone_id = str(props.get("id") or feature.get("id") or f"zone-{number}")
    return Zone(
        zone_id=zone_id, name=name.strip(), kind=kind, geometry=geom, overrides=overrides, origin=origin
    )


def parse_zones(data: Any, where: str) -> list[Zone]:
    """Zones from a parsed GeoJSON FeatureCollection (or a single Feature)."""
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ConfigError(f"{where}: expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ConfigError(f"{where}: 'features' must be a list")
    zones = [_zone_from_feature(f, i, where) for i, f in enumerate(features)]
    seen: set[str] = set()
    for zone in zones:
        if zone.zone_id in seen:
            raise ConfigError(f"{zone.origin} ({zone.name}): duplicate zone id {zone.zone_id!r}")
        seen.add(zone.zone_id)
    return zones


def load_zones(path: Path | str) -> list[Zone]:
    p = Path(path)
    return parse_zones(read_geojson(p), str(p))


@lru_cache(maxsize=1)
def default_zones() -> tuple[Zone, ...]:
    """The bundled Caribbean territorial waters (OpenStreetMap, ODbL; see geo/data/ATTRIBUTION.md)."""
    ref = resources.files("seawatch.geo").joinpath("data", DEFAULT_ZONES_RESOURCE)
    with resources.as_file(ref) as path:
        return tuple(load_zones(path))


@dataclass(frozen=True)
class ZoneIndex:
    """Vectorised membership of points in a list of zones (bbox prefilter + prepared contains)."""

    zones: tuple[Zone, ...]

    def __post_init__(self) -> None:
        for zone in self.zones:
            shapely.prepare(zone.geometry)

    def membership(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """(n, len(zones)) boolean matrix: point i inside zone j (boundary counts as inside)."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out = np.zeros((x.shape[0], len(self.zones)), dtype=bool)
        if not self.zones:
            return out
        bounds = self._bounds
        near = np.flatnonzero(self.in_zones_box(x, y))
        xs, ys = x[near], y[near]
        for j, zone in enumerate(self.zones):
            minx, miny, maxx, maxy = bounds[j].tolist()
            sub = np.flatnonzero((xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy))
            if sub.size:
                out[near[sub], j] = shapely.intersects_xy(zone.geometry, xs[sub], ys[sub])
        return out

    def in_zones_box(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True for points inside the box around all zones: only those can be in a zone."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if not self.zones:
            return np.zeros(x.shape, dtype=bool)
        b = self._bounds
        return np.asarray(
            (x >= b[:, 0].min()) & (x <= b[:, 2].max()) & (y >= b[:, 1].min()) & (y <= b[:, 3].max())
        )

    @cached_property
    def _bounds(self) -> npt.NDArray[np.float64]:
        return np.array([shapely.bounds(zone.geometry) for zone in self.zones], dtype=np.float64)

    @cached_property
    def _grid(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """1° cell -> zones whose bounding box touches it."""
        grid: dict[tuple[int, int], list[int]] = {}
        for j, zone in enumerate(self.zones):
            minx, miny, maxx, maxy = shapely.bounds(zone.geometry).tolist()
            for i in range(math.floor(miny), math.floor(maxy) + 1):
                for k in range(math.floor(minx), math.floor(maxx) + 1):
                    grid.setdefault((i, k), []).append(j)
        return {cell: tuple(js) for cell, js in grid.items()}

    def _subcell(self, i: int, k: int) -> tuple[frozenset[int], tuple[int, ...]]:
        """0.1° cell -> (zones containing all of it, zones crossing its edge), computed on first use."""
        cache: dict[tuple[int, int], tuple[frozenset[int], tuple[int, ...]]] = self.__dict__.setdefault(
            "_subcells", {}
        )
        hit = cache.get((i, k))
        if hit is None:
            cands = self._grid.get((math.floor(i / 10), math.floor(k / 10)), ())
            cell = shapely.box(k / 10, i / 10, (k + 1) / 10, (i + 1) / 10)
            inside = frozenset(j for j in cands if shapely.contains_properly(self.zones[j].geometry, cell))
            edge = tuple(
                j for j in cands if j not in inside and shapely.intersects(self.zones[j].geometry, cell)
            )
            hit = cache[(i, k)] = (inside, edge)
        return hit

    def zones_at(self, lon: float, lat: float) -> frozenset[int]:
        """Indices of the zones containing one point (the live form, same predicate as `membership`)."""
        inside, edge = self._subcell(math.floor(lat * 10.0), math.floor(lon * 10.0))
        if not edge:
            return inside
        return inside | frozenset(j for j in edge if shapely.intersects_xy(self.zones[j].geometry, lon, lat))
