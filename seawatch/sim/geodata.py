"""Land and ports for the simulator: Natural Earth 10m land (Caribbean/Gulf clip + minor islands) and the
NGA World Port Index, as bundled in the package (`seawatch/geo/data`).

The simulator keeps its own small loader so that scenario building and ground truth stay independent of
`seawatch.geo` / `seawatch.detect` (truth must not be computed by the code it scores).
"""

from __future__ import annotations

import gzip
import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from seawatch.errors import ConfigError
from seawatch.geo.bundled import LAND_FILES as BUNDLED_LAND
from seawatch.geo.bundled import PORTS_FILE, bundled_path

log = logging.getLogger(__name__)

LAND_FILES = BUNDLED_LAND[:2]  # the 1:10m Caribbean / Gulf land and minor islands
NM_M = 1852.0


@dataclass(frozen=True)
class Port:
    name: str
    locode: str  # UN/LOCODE without spaces ("CWWIL"), "" when WPI has none
    country: str
    lat: float
    lon: float


class SimGeo:
    """Land polygons (prepared, lon/lat and Web Mercator) and the port list."""

    def __init__(self) -> None:
        geoms: list[Any] = []
        for name in LAND_FILES:
            path = bundled_path(name)
            if not path.exists():
                raise ConfigError(f"land data not found: {path} (the package is incomplete)")
            with gzip.open(path, "rt") as fh:
                geoms.extend(shape(f["geometry"]) for f in json.load(fh)["features"])
        self.land = shapely.union_all(geoms)
        shapely.prepare(self.land)
        to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
        self._to_merc = to_merc
        self.land_merc = shapely.transform(
            self.land, lambda xy: np.column_stack(to_merc.transform(xy[:, 0], xy[:, 1]))
        )
        self.coast_merc = self.land_merc.boundary
        shapely.prepare(self.coast_merc)
        self.ports = _load_ports()
        self.port_lat = np.array([p.lat for p in self.ports])
        self.port_lon = np.array([p.lon for p in self.ports])

    def on_land(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.asarray(shapely.contains_xy(self.land, np.asarray(lon), np.asarray(lat)), dtype=bool)

    def distance_to_shore_m(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Distance to the nearest coastline in metres (Mercator distance scaled by cos(lat); 0 on land)."""
        lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
        x, y = self._to_merc.transform(lon_a, lat_a)
        pts = shapely.points(x, y)
        dist = shapely.distance(self.coast_merc, pts) * np.cos(np.radians(lat_a))
        dist[self.on_land(lon_a, lat_a)] = 0.0
        return np.asarray(dist, dtype=float)

    def find_port(self, ref: str) -> Port:
        """A port by UN/LOCODE ("CWWIL" or "CW WIL") or by main name (case-insensitive)."""
        key = ref.replace(" ", "").upper()
        for port in self.ports:
            if port.locode and port.locode == key:
                return port
        low = ref.strip().lower()
        for port in self.ports:
            if port.name.lower() == low:
                return port
        for port in self.ports:
            if port.name.lower().startswith(low):
                return port
        raise KeyError(ref)

    def ports_in(self, bbox: tuple[float, float, float, float]) -> list[Port]:
        lon0, lat0, lon1, lat1 = bbox
        return [p for p in self.ports if lon0 <= p.lon <= lon1 and lat0 <= p.lat <= lat1]

    def nearest_port_m(self, lon: float, lat: float) -> tuple[Port, float]:
        dist = haversine_m(lon, lat, self.port_lon, self.port_lat)
        idx = int(np.argmin(dist))
        return self.ports[idx], float(dist[idx])


def haversine_m(
    lon1: np.ndarray | float, lat1: np.ndarray | float, lon2: np.ndarray | float, lat2: np.ndarray | float
) -> np.ndarray:
    """Great-circle distance in metres (vectorised)."""
    lon1r, lat1r, lon2r, lat2r = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2r - lat1r) / 2) ** 2 + np.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2) ** 2
    return np.asarray(2 * 6371008.8 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def bearing_deg(
    lon1: np.ndarray | float, lat1: np.ndarray | float, lon2: np.ndarray | float, lat2: np.ndarray | float
) -> np.ndarray:
    """Initial true bearing from point 1 to point 2 in degrees [0, 360)."""
    lon1r, lat1r, lon2r, lat2r = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    y = np.sin(lon2r - lon1r) * np.cos(lat2r)
    x = np.cos(lat1r) * np.sin(lat2r) - np.sin(lat1r) * np.cos(lat2r) * np.cos(lon2r - lon1r)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0)


def destination(lon: float, lat: float, bearing: float, dist_m: float) -> tuple[float, float]:
    """Point reached from (lon, lat) after dist_m on the given true bearing (flat earth, < 100 km)."""
    dlat = dist_m * math.cos(math.radians(bearing)) / 111_320.0
    dlon = dist_m * math.sin(math.radians(bearing)) / (111_320.0 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def _load_ports() -> list[Port]:
    path = bundled_path(PORTS_FILE)
    if not path.exists():
        raise ConfigError(f"port data not found: {path} (the package is incomplete)")
    frame = pl.read_csv(path, infer_schema_length=0).select(
        pl.col("Main Port Name").alias("name"),
        pl.col("UN/LOCODE").alias("locode"),
        pl.col("Country Code").alias("country"),
        pl.col("Latitude").cast(pl.Float64).alias("lat"),
        pl.col("Longitude").cast(pl.Float64).alias("lon"),
    )
    ports = [
        Port(
            name=str(row["name"]).strip(),
            locode=str(row["locode"] or "").replace(" ", "").upper(),
            country=str(row["country"] or "").strip(),
            lat=float(row["lat"]),
            lon=float(row["lon"]),
        )
        for row in frame.iter_rows(named=True)
        if row["lat"] is not None and row["lon"] is not None
    ]
    log.debug("loaded %d WPI ports", len(ports))
    return ports


@lru_cache(maxsize=1)
def sim_geo() -> SimGeo:
    return SimGeo()
