"""Ports: the NGA World Port Index by default (public domain), or any GeoJSON points / CSV with lat, lon.

`load_ports(path=None)` returns `Ports` (arrays of lat/lon, names, countries); `Ports.nearest(lat, lon,
max_m)` gives the distance to the nearest port and its index, with the ports near each 0.1° cell as
candidates (`nearest_one` is its scalar form for the live detectors: both give the same answer).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from seawatch.errors import ConfigError
from seawatch.geo.bundled import PORTS_FILE, bundled_path
from seawatch.geo.distance import FloatArray, haversine_1, haversine_m
from seawatch.geo.land import read_geojson

log = logging.getLogger(__name__)

_NAME_COLUMNS = ("Main Port Name", "name", "NAME", "port_name")
_COUNTRY_COLUMNS = ("Country Code", "country", "cty")
_LAT_COLUMNS = ("Latitude", "lat", "LAT", "latitude")
_LON_COLUMNS = ("Longitude", "lon", "LON", "longitude")

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _CellCandidates:
    """Per 0.1° cell that has any, the ports whose box of ± max_m touches it (CSR, ports in index order)."""

    keys: npt.NDArray[np.int64]  # sorted cell keys: (floor(lat*10) + 900) * 3600 + floor(lon*10) + 1800
    start: npt.NDArray[np.int64]  # cell k's ports are ports[start[k]:start[k + 1]]
    ports: npt.NDArray[np.int64]

    @classmethod
    def around(cls, lat: FloatArray, lon: FloatArray, max_m: float) -> _CellCandidates:
        """The cells each port's box of ± `max_m` (plus 2 %) touches, gathered by cell."""
        dlat = max_m * 1.02 / 111_000.0
        dlon = dlat / np.maximum(np.cos(np.radians(np.minimum(np.abs(lat) + dlat, 89.9))), 1e-3)
        row0, row1 = np.floor((lat - dlat) * 10.0), np.floor((lat + dlat) * 10.0)
        col0, col1 = np.floor((lon - dlon) * 10.0), np.floor((lon + dlon) * 10.0)
        n_rows = (row1 - row0 + 1).astype(np.int64)
        n_cols = (col1 - col0 + 1).astype(np.int64)
        size = n_rows * n_cols
        port = np.repeat(np.arange(lat.size, dtype=np.int64), size)
        k = np.arange(int(size.sum()), dtype=np.int64) - np.repeat(np.cumsum(size) - size, size)
        row = row0.astype(np.int64)[port] + k // n_cols[port]
        col = (col0.astype(np.int64)[port] + k % n_cols[port] + 1800) % 3600  # wrapped at ±180°
        key = (row + 900) * 3600 + col
        pairs = np.unique(np.column_stack((key, port)), axis=0)  # by cell, then port; each once
        first = np.flatnonzero(np.concatenate(([True], pairs[1:, 0] != pairs[:-1, 0])))
        return cls(keys=pairs[first, 0], start=np.append(first, pairs.shape[0]), ports=pairs[:, 1])

    def slots(self, lat: FloatArray, lon: FloatArray) -> IntArray:
        """Each point's cell number in `keys`, -1 when its cell has no candidate (or lat/lon is NaN)."""
        with np.errstate(invalid="ignore"):
            i = np.floor(lat * 10.0) + 900.0
            j = np.floor(lon * 10.0) + 1800.0
        inside = (i >= 0) & (i < 1801) & (j >= 0) & (j < 3600)  # False for NaN
        out = np.full(lat.shape, -1, dtype=np.int64)
        rows = np.flatnonzero(inside)
        if rows.size == 0 or self.keys.size == 0:
            return out
        key = i[rows].astype(np.int64) * 3600 + j[rows].astype(np.int64)
        low, high = int(key.min()), int(key.max())
        if rows.size > 50_000 and high - low < 50_000_000:  # many points: a dense lookup over their span
            dense = np.full(high - low + 1, -1, dtype=np.int32)
            within = np.flatnonzero((self.keys >= low) & (self.keys <= high))
            dense[self.keys[within] - low] = within
            out[rows] = dense[key - low]
        else:
            at = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
            out[rows] = np.where(self.keys[at] == key, at, -1)
        return out


@dataclass(frozen=True)
class Ports:
    lat: FloatArray
    lon: FloatArray
    names: list[str]
    countries: list[str]

    def __len__(self) -> int:
        return len(self.names)

    def nearest(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, max_m: float | None = None
    ) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """Distance (m) to the nearest port and its index; beyond `max_m` the distance is inf, index -1.

        With `max_m` the candidates of a point are the ports listed for its 0.1° cell (those whose box
        of ± max_m, plus 2 %, touches it), as in `nearest_one`: the nearest by haversine wins, the first
        in port order on a tie. Without `max_m` every port is compared (for checks; slow on many points).
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        dist = np.full(la.shape, np.inf)
        idx = np.full(la.shape, -1, dtype=np.int64)
        if not len(self) or la.size == 0:
            return dist, idx
        if max_m is None:
            valid = np.flatnonzero(np.isfinite(la) & np.isfinite(lo))
            for rows in np.array_split(valid, 1 + valid.size // 2048):  # (points × ports) in slices
                d = haversine_m(la[rows, None], lo[rows, None], self.lat[None, :], self.lon[None, :])
                best = np.argmin(d, axis=1)  # the first on a tie
                dist[rows], idx[rows] = d[np.arange(rows.size), best], best
            return dist, idx
        cells = self._candidates(max_m)
        slot = cells.slots(la, lo)
        rows = np.flatnonzero(slot >= 0)
        if rows.size == 0:
            return dist, idx
        first, count = cells.start[slot[rows]], np.diff(cells.start)[slot[rows]]
        group = np.cumsum(count) - count  # each point's candidates, one after the other
        local = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(group, count)
        port = cells.ports[np.repeat(first, count) + local]
        point = np.repeat(rows, count)
        d = haversine_m(la[point], lo[point], self.lat[port], self.lon[port])
        best_d = np.minimum.reduceat(d, group)
        position = np.where(d == np.repeat(best_d, count), np.arange(d.size), d.size)
        best_port = port[np.minimum.reduceat(position, group)]  # the first nearest candidate
        near = best_d <= max_m * 1.000001
        dist[rows[near]] = best_d[near]
        idx[rows[near]] = best_port[near]
        return dist, idx

    def nearest_one(self, lat: float, lon: float, max_m: float) -> tuple[float, int]:
        """Scalar `nearest` for one point (the live path): (inf, -1) beyond `max_m`."""
        grid = self._cell_ports(max_m)
        cands = grid.get((math.floor(lat * 10.0), math.floor(lon * 10.0)))
        if not cands:
            return math.inf, -1
        best, best_i = math.inf, -1
        for i in cands:
            d = haversine_1(lat, lon, self._lat_list[i], self._lon_list[i])
            if d < best:
                best, best_i = d, i
        return (best, best_i) if best <= max_m else (math.inf, -1)

    @cached_property
    def _lat_list(self) -> list[float]:
        return [float(v) for v in self.lat]

    @cached_property
    def _lon_list(self) -> list[float]:
        return [float(v) for v in self.lon]

    def _candidates(self, max_m: float) -> _CellCandidates:
        cache = self.__dict__.setdefault("_candidates_cache", {})
        if max_m not in cache:
            cache[max_m] = _CellCandidates.around(self.lat, self.lon, max_m)
        found: _CellCandidates = cache[max_m]
        return found

    def _cell_ports(self, max_m: float) -> dict[tuple[int, int], tuple[int, ...]]:
        """`_candidates` as a dict (floor(lat*10), floor(lon*10)) -> ports, for one point at a time."""
        cache = self.__dict__.setdefault("_cell_cache", {})
        if max_m not in cache:
            cells = self._candidates(max_m)
            ports = cells.ports.tolist()
            bounds = cells.start.tolist()
            cache[max_m] = {
                (key // 3600 - 900, key % 3600 - 1800): tuple(ports[bounds[n] : bounds[n + 1]])
                for n, key in enumerate(cells.keys.tolist())
            }
        found: dict[tuple[int, int], tuple[int, ...]] = cache[max_m]
        return found

    @classmethod
    def from_arrays(cls, lat: FloatArray, lon: FloatArray, names: list[str], countries: list[str]) -> Ports:
        """Ports at exactly the same place are kept once (the first), so the nearest port is unambiguous."""
        _, first = np.unique(np.column_stack((lat, lon)), axis=0, return_index=True)
        keep = np.sort(first)
        lat, lon = lat[keep], lon[keep]
        names = [names[i] for i in keep]
        countries = [countries[i] for i in keep]
        return cls(lat=lat, lon=lon, names=names, countries=countries)


def _pick(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in columns), None)


def _from_frame(frame: pl.DataFrame, path: Path) -> Ports:
    cols = frame.columns
    lat_c, lon_c = _pick(cols, _LAT_COLUMNS), _pick(cols, _LON_COLUMNS)
    if lat_c is None or lon_c is None:
        raise ConfigError(f"{path}: ports file needs latitude and longitude columns (e.g. 'lat', 'lon')")
    name_c, country_c = _pick(cols, _NAME_COLUMNS), _pick(cols, _COUNTRY_COLUMNS)
    frame = frame.with_columns(
        pl.col(lat_c).cast(pl.Float64, strict=False).alias("_lat"),
        pl.col(lon_c).cast(pl.Float64, strict=False).alias("_lon"),
    )
    bad = frame.filter(
        pl.col("_lat").is_null()
        | pl.col("_lon").is_null()
        | (pl.col("_lat").abs() > 90)
        | (pl.col("_lon").abs() > 180)
    ).height
    if bad:
        log.warning("%s: %d port rows without a valid position skipped", path, bad)
    frame = frame.filter(pl.col("_lat").abs() <= 90, pl.col("_lon").abs() <= 180)
    names = frame[name_c].cast(pl.Utf8).fill_null("").to_list() if name_c else [""] * frame.height
    countries = frame[country_c].cast(pl.Utf8).fill_null("").to_list() if country_c else [""] * frame.height
    return Ports.from_arrays(
        frame["_lat"].to_numpy().astype(np.float64),
        frame["_lon"].to_numpy().astype(np.float64),
        names,
        countries,
    )


def _from_geojson(path: Path) -> Ports:
    data = read_geojson(path)
    rows: list[dict[str, object]] = []
    for number, feature in enumerate(data.get("features", [])):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "Point":
            raise ConfigError(f"{path}: feature {number}: ports must be Point features")
        lon, lat = geometry["coordinates"][:2]
        props = feature.get("properties") or {}
        rows.append(
            {"lat": lat, "lon": lon, "name": props.get("name") or "", "country": props.get("cty") or ""}
        )
    return _from_frame(
        pl.DataFrame(
            rows, schema={"lat": pl.Float64, "lon": pl.Float64, "name": pl.Utf8, "country": pl.Utf8}
        ),
        path,
    )


def load_ports(path: Path | str | None = None) -> Ports:
    """Ports from a CSV (WPI or any file with lat/lon columns, optionally gzipped) or GeoJSON points."""
    if path is None:
        return _default_ports()
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: ports file not found")
    if p.name.endswith((".geojson", ".json", ".geojson.gz")):
        return _from_geojson(p)
    try:
        frame = pl.read_csv(p, infer_schema_length=0)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read ports CSV: {exc}") from exc
    return _from_frame(frame, p)


@lru_cache(maxsize=1)
def _default_ports() -> Ports:
    return load_ports(bundled_path(PORTS_FILE))
