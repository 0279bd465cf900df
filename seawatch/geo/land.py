"""Land and distance from shore, from Natural Earth (public domain).

Inside the Caribbean / Gulf of Mexico box (lon -100…-55, lat 5…35) the 1:10m land and minor islands are
used; elsewhere the 1:50m world land. Natural Earth is cartographic (about ±1 km at 1:10m), so "on land"
near the coast is approximate: detectors never drop a fix because it is on land, they only use the
distance from shore as a gate (a fix on land is 0 m from shore).

- `is_on_land(lon, lat)`: vectorised point-in-polygon on a prepared union (about 0.6 s per million points).
- `distance_to_shore_m(lon, lat)`: nearest coastline vertex among unit-sphere points (`CoastIndex`,
  cells in numpy: scipy's KD-tree gave the same answers but cost ~0.2 s CPU to import per run); the
  coastline is densified (0.01° in the Caribbean box, 0.05° elsewhere) so the error is below ~0.6 km
  (~3 km outside the box); 0 on land.
- `beyond_shore_m(lon, lat, gate_m)`: whether the coastline is at least `gate_m` away, for gates over
  many points (mostly decided from the distance at the centre of each point's 0.1° cell).
- Cache: the built mask (polygons as WKB, the coastline index) is kept in the user cache dir
  (`$SEAWATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/seawatch`, else `~/.cache/seawatch`), keyed by a hash
  of the Natural Earth files' bytes and the build parameters: loading it takes ~10 ms instead of
  ~0.16 s CPU. A missing, stale or unreadable cache is rebuilt; an unwritable cache dir is ignored.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import shapely

from seawatch.errors import ConfigError
from seawatch.geo.bundled import DATA_DIR, LAND_FILES
from seawatch.geo.coast_index import CoastIndex
from seawatch.geo.distance import EARTH_RADIUS_M, FloatArray, chord_for_m, haversine_m, m_for_chord

log = logging.getLogger(__name__)

CARIBBEAN_BOX = (-100.0, 5.0, -55.0, 35.0)  # lon_min, lat_min, lon_max, lat_max of the 1:10m clip
_DENSIFY_DEG = 0.01  # fine (Caribbean) coastline vertex spacing
_DENSIFY_COARSE_DEG = 0.05  # 1:50m world coastline spacing (the data is no finer than that)


def read_geojson(path: Path) -> dict[str, Any]:
    """Read a plain or gzipped GeoJSON file; a missing or malformed file is a ConfigError naming it."""
    try:
        opener: Any = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid GeoJSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a GeoJSON object")
    return data


def _polygons(path: Path) -> list[shapely.Geometry]:
    """Every polygon of a (gzipped) GeoJSON land file, parsed by GEOS in one go."""
    try:
        opener: Any = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            collection = shapely.from_geojson(handle.read())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except (OSError, shapely.errors.GEOSException, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid GeoJSON: {exc}") from exc
    parts = shapely.get_parts(shapely.get_parts(collection))
    return [p for p in parts.tolist() if p.geom_type == "Polygon"]


@dataclass(frozen=True)
class LandMask:
    """Prepared land polygons (fine inside the Caribbean box, coarse elsewhere) and a coastline index."""

    fine: shapely.Geometry
    coarse: shapely.Geometry
    coast: CoastIndex

    @classmethod
    def from_natural_earth(cls, folder: Path | None = None, use_cache: bool = True) -> LandMask:
        base = folder if folder is not None else DATA_DIR
        files = [base / name for name in _NE_FILES]
        cache = _cache_file(files) if use_cache else None
        if cache is not None:
            cached = _read_cache(cache)
            if cached is not None:
                return cached
        mask = cls._build(files)
        if cache is not None:
            _write_cache(cache, mask)
        return mask

    @classmethod
    def _build(cls, files: list[Path]) -> LandMask:
        fine_parts = _polygons(files[0]) + _polygons(files[1])
        coarse_parts = _polygons(files[2])
        # the parts are disjoint: a multipolygon of them answers point-in-land like their union, without
        # the cost of computing the union
        fine = cast(shapely.Geometry, shapely.multipolygons(fine_parts))
        coarse = cast(shapely.Geometry, shapely.multipolygons(coarse_parts))
        shapely.prepare(fine)
        shapely.prepare(coarse)
        fine_xy = _boundary_vertices(fine, _DENSIFY_DEG)
        coarse_xy = _boundary_vertices(coarse, _DENSIFY_COARSE_DEG)
        coarse_xy = coarse_xy[~_in_box(coarse_xy[:, 0], coarse_xy[:, 1])]
        xy = np.vstack((fine_xy, coarse_xy))
        log.debug("land mask: %d coastline vertices", len(xy))
        return cls(fine=fine, coarse=coarse, coast=CoastIndex.build(xy[:, 1], xy[:, 0]))

    def is_on_land(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out = np.zeros(x.shape, dtype=bool)
        ok = np.isfinite(x) & np.isfinite(y)
        inside = ok & _in_box(x, y)
        outside = ok & ~inside
        if inside.any():
            out[inside] = shapely.contains_xy(self.fine, x[inside], y[inside])
        if outside.any():
            out[outside] = shapely.contains_xy(self.coarse, x[outside], y[outside])
        return out

    def distance_to_shore_m(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, cap_m: float | None = None, land_check: bool = True
    ) -> FloatArray:
        """Metres to the nearest coastline; with `cap_m`, anything farther reads as `cap_m` (much faster).

        `land_check=False` skips the on-land test (points on land then read as their distance to the
        coastline, not 0): for callers that test only the points that pass their own distance gate."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out = np.full(x.shape, np.nan)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            bound = np.inf if cap_m is None else chord_for_m(cap_m) * 1.000001
            chord = self.coast.min_chord(y[ok], x[ok], bound)
            dist = m_for_chord(np.where(np.isfinite(chord), chord, 2.0))
            if cap_m is not None:
                dist = np.minimum(dist, cap_m)
            if land_check:
                dist[self.is_on_land(x[ok], y[ok])] = 0.0
            out[ok] = dist
        return out

    def beyond_shore_m(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, gate_m: npt.ArrayLike
    ) -> npt.NDArray[np.bool_]:
        """True where the nearest coastline vertex is at least `gate_m` (per point, or one for all) away:
        the answer of `distance_to_shore_m(lon, lat, cap_m=max gate, land_check=False) >= gate_m`
        (points on land are not told apart: callers test land themselves; missing coordinates: False).

        Many points share a few 0.1° cells (vessels loiter in the same places), and across a cell the
        distance to the coast changes by at most the distance from its centre to a corner: the distance
        at each cell's centre settles every point whose gate is not within that much of it; the rest
        (and points spread over many cells) are measured one by one."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        gate = np.broadcast_to(np.asarray(gate_m, dtype=np.float64), x.shape)
        out = np.zeros(x.shape, dtype=bool)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y) & np.isfinite(gate))
        if ok.size == 0:
            return out
        row = np.floor(y[ok] * 10.0).astype(np.int64)
        col = np.floor(x[ok] * 10.0).astype(np.int64)
        col0, width = int(col.min()), int(col.max() - col.min()) + 1
        cells, cell_of = np.unique(row * width + (col - col0), return_inverse=True)
        if cells.size * 4 > ok.size:  # points spread out (a live bin): measure each one
            return self._beyond_exactly(x, y, gate, ok, out)
        c_lat = (cells // width + 0.5) / 10.0
        c_lon = (cells % width + col0 + 0.5) / 10.0
        # centre to the corner nearer the equator: the farthest point of the cell
        corner_lat = c_lat - np.sign(c_lat) * 0.05
        reach = haversine_m(c_lat, c_lon, corner_lat, c_lon + 0.05) * (1 + 1e-6) + 1.0
        enough = float(gate[ok].max()) + float(reach.max())  # beyond this a centre needs no exact value
        chord = self.coast.min_chord(c_lat, c_lon, chord_for_m(enough) * 1.000001)
        centre = np.where(np.isfinite(chord), m_for_chord(np.where(np.isfinite(chord), chord, 0.0)), np.inf)
        low = (centre - reach)[cell_of.ravel()]
        high = (centre + reach)[cell_of.ravel()]
        g = gate[ok]
        out[ok] = low >= g * (1 + 1e-9)
        unsure = ok[(low < g * (1 + 1e-9)) & (high >= g * (1 - 1e-9))]
        return self._beyond_exactly(x, y, gate, unsure, out) if unsure.size else out

    def _beyond_exactly(
        self,
        x: FloatArray,
        y: FloatArray,
        gate: FloatArray,
        rows: npt.NDArray[np.intp],
        out: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.bool_]:
        """`beyond_shore_m` of `rows` from their own nearest vertex (searched no farther than the gate),
        except where a vertex close by is nearer than the gate already (then: not beyond)."""
        # the gates as chords (as `chord_for_m`; the margins below dwarf any rounding difference)
        chord = 2.0 * np.sin(np.clip(gate[rows] / EARTH_RADIUS_M, None, np.pi) / 2.0)
        near = self.coast.near_upper(y[rows], x[rows]) < chord * (1 - 1e-9)
        out[rows[near]] = False
        bound = chord * 1.000001
        rows, bound = rows[~near], bound[~near]
        exact = self.coast.min_chord(y[rows], x[rows], bound)
        out[rows] = m_for_chord(np.where(np.isfinite(exact), exact, 2.0)) >= gate[rows]
        return out


_NE_FILES = LAND_FILES
_CACHE_VERSION = 2  # 2: CoastIndex instead of a cKDTree


def cache_dir() -> Path:
    """Where Seawatch keeps derived data between runs (see the module doc)."""
    explicit = os.environ.get("SEAWATCH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "seawatch"


def _cache_file(files: list[Path]) -> Path | None:
    """The cache file for these land files and build parameters (None if a file cannot be read)."""
    digest = hashlib.sha256(
        f"v{_CACHE_VERSION}|{_DENSIFY_DEG}|{_DENSIFY_COARSE_DEG}|{CARIBBEAN_BOX}".encode()
    )
    try:
        for path in files:
            digest.update(path.read_bytes())
    except OSError:
        return None  # the build reports the missing or unreadable file
    return cache_dir() / f"land-{digest.hexdigest()[:24]}.pickle"


def _read_cache(path: Path) -> LandMask | None:
    try:
        with path.open("rb") as handle:
            fine_wkb, coarse_wkb, coast = pickle.load(handle)  # our own cache file (user cache dir)
        fine, coarse = shapely.from_wkb(fine_wkb), shapely.from_wkb(coarse_wkb)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged or foreign cache file is rebuilt, never fatal
        log.debug("land cache %s unreadable (%s): rebuilding", path, exc)
        return None
    if not isinstance(coast, CoastIndex):
        return None
    shapely.prepare(fine)
    shapely.prepare(coarse)
    return LandMask(fine=fine, coarse=coarse, coast=coast)


def _write_cache(path: Path, mask: LandMask) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            payload = (shapely.to_wkb(mask.fine), shapely.to_wkb(mask.coarse), mask.coast)
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        _prune_cache(path.parent, keep=CACHE_KEEP)
    except OSError as exc:
        log.debug("land cache %s not written: %s", path, exc)


CACHE_KEEP = 4  # land caches kept (newest first): a few land sets in use, not every one ever built


def _prune_cache(folder: Path, keep: int) -> None:
    """Remove all but the `keep` newest land caches (older versions and land files pile up otherwise)."""
    caches = sorted(folder.glob("land-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in caches[keep:]:
        old.unlink(missing_ok=True)


def _in_box(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    lon0, lat0, lon1, lat1 = CARIBBEAN_BOX
    return np.asarray((x >= lon0) & (x <= lon1) & (y >= lat0) & (y <= lat1))


def _boundary_vertices(geom: shapely.Geometry, spacing_deg: float) -> npt.NDArray[np.float64]:
    boundary = shapely.segmentize(shapely.boundary(geom), spacing_deg)
    return np.asarray(shapely.get_coordinates(boundary), dtype=np.float64)


@lru_cache(maxsize=1)
def default_land() -> LandMask:
    """The land mask from the Natural Earth data bundled in the package, loaded once per process."""
    return LandMask.from_natural_earth()


def is_on_land(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where (lon, lat) in degrees lies on land (vectorised)."""
    return default_land().is_on_land(lon, lat)


def distance_to_shore_m(lon: npt.ArrayLike, lat: npt.ArrayLike, cap_m: float | None = None) -> FloatArray:
    """Metres from (lon, lat) to the nearest coastline (0 on land, NaN for missing coordinates).

    With `cap_m`, distances beyond it read as `cap_m`: use it for "at least N m from shore" gates.
    """
    return default_land().distance_to_shore_m(lon, lat, cap_m)
