"""Distances over water: a sea grid around a point, its distance field, and land-free routes.

- `LandIndex` keeps the land polygons in an STR-tree so a plan asks only for the few islands near it.
- `SeaGrid`: square cells in a `LocalPlane` (nm); a cell is blocked when land touches it (its centre on
  land, or a land boundary vertex densified to a third of a cell inside it), so a path between the centres
  of two neighbouring free cells never touches land.
- `SeaField`: distance over water (nm) from one point to every free cell. Two solvers, picked by a
  measurement (bench/intercept/run.py): `fmm`, scikit-fmm's fast marching (a continuous eikonal
  solution: no 8-direction bias) and `dijkstra`, scipy's shortest paths on the 8-neighbour graph (up to
  ~8 % long off the grid's axes), kept as the peer.
- `route_to(point)`: steepest descent of the field from the point back to the source (free cells only),
  then pulled taut: each vertex joins the farthest later vertex it can see without crossing land (tested
  on the real polygons), so the route bends only around land.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree

from seawatch.geo.land import CARIBBEAN_BOX, LandMask
from seawatch.ops.plane import FloatArray, LocalPlane

FieldMethod = Literal["fmm", "dijkstra"]
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


class LandIndex:
    """Land polygons (Natural Earth: 1:10m in the Caribbean box, 1:50m elsewhere) by bounding box."""

    def __init__(self, mask: LandMask) -> None:
        fine = list(shapely.get_parts(mask.fine))
        coarse = list(shapely.get_parts(mask.coarse))
        self._parts = np.array(fine + coarse, dtype=object)
        shapely.prepare(self._parts)  # once: every plan asks these islands again
        self._is_fine = np.array([True] * len(fine) + [False] * len(coarse))
        self._tree = STRtree(self._parts)

    def near(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> shapely.Geometry:
        """The land touching a lon/lat box, as one prepared geometry (empty over open sea)."""
        hits = self._tree.query(shapely.box(min_lon, min_lat, max_lon, max_lat))
        lon0, lat0, lon1, lat1 = CARIBBEAN_BOX
        inside_box = min_lon >= lon0 and max_lon <= lon1 and min_lat >= lat0 and max_lat <= lat1
        if inside_box:  # the fine land alone: the coarse copy of the same islands is less exact
            hits = hits[self._is_fine[hits]]
        land = shapely.multipolygons(list(self._parts[hits])) if hits.size else shapely.MultiPolygon()
        shapely.prepare(land)
        return land

    def any_crossed(self, lines: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        """For each line (lon/lat), whether it touches land: the STR-tree finds the polygons whose boxes
        it meets, then the prepared polygons answer (a prepared island beats preparing each line)."""
        out = np.zeros(len(lines), dtype=bool)
        if len(lines):
            line_idx, part_idx = self._tree.query(lines)
            if line_idx.size:
                hit = shapely.intersects(self._parts[part_idx], lines[line_idx])
                out[np.unique(line_idx[hit])] = True
        return out

    def landfall(self, line: shapely.Geometry) -> float | None:
        """Where along `line` (0…1 of its length) it first touches land, or None over open sea."""
        _, parts = self._tree.query(np.array([line], dtype=object))
        hits = parts[shapely.intersects(self._parts[parts], line)] if parts.size else parts
        if hits.size == 0:
            return None
        crossings = shapely.intersection(line, self._parts[hits])  # one island at a time: no union needed
        points = shapely.points(shapely.get_coordinates(crossings))
        along = np.asarray(shapely.line_locate_point(line, points, normalized=True))  # type: ignore[call-overload]
        return float(np.min(along)) if along.size else None


def crosses_land(land: shapely.Geometry, lons: FloatArray, lats: FloatArray) -> bool:
    """Whether the polyline through (lons, lats) touches land."""
    if shapely.is_empty(land) or len(lons) < 2:
        return False
    return bool(shapely.intersects(land, shapely.linestrings(np.column_stack((lons, lats)))))


@dataclass
class SeaGrid:
    """`n`×`n` square cells of `cell_nm` centred on the plane's origin; `blocked` where land touches."""

    plane: LocalPlane
    cell_nm: float
    n: int
    land: shapely.Geometry
    blocked: npt.NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        self.blocked = self._rasterise()

    @property
    def half_nm(self) -> float:
        return self.n * self.cell_nm / 2.0

    def centres(self) -> tuple[FloatArray, FloatArray]:
        axis = (np.arange(self.n) + 0.5) * self.cell_nm - self.half_nm
        return np.meshgrid(axis, axis)  # x varies along columns, y along rows

    def cell_of(
        self, x_nm: FloatArray, y_nm: FloatArray
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        col = np.floor((np.asarray(x_nm) + self.half_nm) / self.cell_nm).astype(np.intp)
        row = np.floor((np.asarray(y_nm) + self.half_nm) / self.cell_nm).astype(np.intp)
        return row, col

    def centre_of(self, row: npt.ArrayLike, col: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        x = (np.asarray(col, dtype=np.float64) + 0.5) * self.cell_nm - self.half_nm
        y = (np.asarray(row, dtype=np.float64) + 0.5) * self.cell_nm - self.half_nm
        return x, y

    def _rasterise(self) -> npt.NDArray[np.bool_]:
        blocked = np.zeros((self.n, self.n), dtype=bool)
        if shapely.is_empty(self.land):
            return blocked
        x, y = self.centres()
        lat, lon = self.plane.to_latlon(x, y)
        blocked |= shapely.contains_xy(self.land, lon, lat)
        # every cell a coastline passes through: its boundary densified finer than a cell
        step_deg = self.cell_nm / 3.0 / 60.0 * min(1.0, math.cos(math.radians(self.plane.lat0)))
        coast = shapely.get_coordinates(shapely.segmentize(shapely.boundary(self.land), step_deg))
        cx, cy = self.plane.to_xy(coast[:, 1], coast[:, 0])
        row, col = self.cell_of(cx, cy)
        ok = (row >= 0) & (row < self.n) & (col >= 0) & (col < self.n)
        blocked[row[ok], col[ok]] = True
        return blocked


@dataclass
class SeaField:
    """Distance over water (nm) from `source` (plane origin) to every free cell of `grid` (inf elsewhere)."""

    grid: SeaGrid
    method: FieldMethod = "fmm"
    dist_nm: FloatArray = field(init=False)
    source_cell: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.source_cell = self._free_source_cell()
        self.dist_nm = self._solve()

    def _free_source_cell(self) -> tuple[int, int]:
        """The source's cell, or the nearest free cell (a boat alongside in port starts in a coast cell)."""
        g = self.grid
        row, col = (int(v) for v in g.cell_of(np.array(0.0), np.array(0.0)))
        if not g.blocked[row, col]:
            return row, col
        free_r, free_c = np.nonzero(~g.blocked)
        if free_r.size == 0:
            return row, col
        k = int(np.argmin((free_r - row) ** 2 + (free_c - col) ** 2))
        return int(free_r[k]), int(free_c[k])

    def _solve(self) -> FloatArray:
        g = self.grid
        x, y = g.centres()
        sx, sy = (float(v) for v in g.centre_of(*self.source_cell))
        moved = bool(g.blocked[g.cell_of(np.array(0.0), np.array(0.0))])
        if self.method == "fmm" and not moved:
            sx, sy = 0.0, 0.0  # fast marching starts at the true point
        offset = math.hypot(sx, sy)  # from the true source to where the field starts
        if self.method == "fmm":
            import skfmm

            r0 = 0.75 * g.cell_nm
            phi = np.ma.MaskedArray(np.hypot(x - sx, y - sy) - r0, mask=g.blocked)
            d = skfmm.distance(phi, dx=g.cell_nm)
            out = np.ma.filled(np.ma.asarray(d, dtype=np.float64), np.inf) + r0
            near = np.hypot(x - sx, y - sy) <= r0  # inside the seed circle: the straight distance
            out[near & ~g.blocked] = np.hypot(x - sx, y - sy)[near & ~g.blocked]
        else:
            out = _dijkstra_8(g.blocked, self.source_cell, g.cell_nm)
        return np.asarray(out + offset, dtype=np.float64)

    def distance_nm(self, x_nm: FloatArray, y_nm: FloatArray) -> FloatArray:
        """Over-water distance from the source to points: best of the 3×3 free cells around each point
        (cell distance + straight step to the point); inf outside the grid or walled in."""
        g = self.grid
        row, col = g.cell_of(x_nm, y_nm)
        best = np.full(np.shape(x_nm), np.inf)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r, c = row + dr, col + dc
                ok = (r >= 0) & (r < g.n) & (c >= 0) & (c < g.n)
                rr, cc = np.where(ok, r, 0), np.where(ok, c, 0)
                cx, cy = g.centre_of(rr, cc)
                d = self.dist_nm[rr, cc] + np.hypot(x_nm - cx, y_nm - cy)
                best = np.where(ok & (d < best), d, best)
        return best

    def route_to(self, x_nm: float, y_nm: float) -> tuple[FloatArray, FloatArray]:
        """Cell-centre path (x, y in nm) from the source to the point, by steepest descent of the field."""
        g, dist = self.grid, self.dist_nm
        row, col = (int(v) for v in g.cell_of(np.array(x_nm), np.array(y_nm)))
        if not (0 <= row < g.n and 0 <= col < g.n):
            raise ValueError(f"({x_nm:.1f}, {y_nm:.1f}) nm is outside the sea grid")
        best = (math.inf, row, col)
        for dr, dc in ((0, 0), *_NEIGHBOURS):  # start at the free neighbour `distance_nm` used
            r, c = row + dr, col + dc
            if 0 <= r < g.n and 0 <= c < g.n and math.isfinite(dist[r, c]):
                cx, cy = g.centre_of(r, c)
                d = dist[r, c] + math.hypot(x_nm - float(cx), y_nm - float(cy))
                best = min(best, (d, r, c))
        _, row, col = best
        downhill = self._downhill
        cells = [(row, col)]
        here = row * g.n + col
        source = self.source_cell[0] * g.n + self.source_cell[1]
        for _ in range(4 * g.n):
            nxt = int(downhill[here])
            if here == source or nxt == here:  # at the source (or a flat spot of the discrete field)
                break
            here = nxt
            cells.append(divmod(here, g.n))
        cells.reverse()
        rows, cols = np.array([c[0] for c in cells]), np.array([c[1] for c in cells])
        cx, cy = g.centre_of(rows, cols)
        xs = np.concatenate(([0.0], cx, [x_nm]))
        ys = np.concatenate(([0.0], cy, [y_nm]))
        return xs, ys

    @cached_property
    def _downhill(self) -> npt.NDArray[np.int64]:
        """For every cell, its 8-neighbour with the smallest distance (itself when none is smaller)."""
        g, dist = self.grid, self.dist_nm
        n = g.n
        padded = np.full((n + 2, n + 2), np.inf)
        padded[1:-1, 1:-1] = dist
        best = dist.copy()
        ids = np.arange(n * n).reshape(n, n)
        out = ids.copy()
        for dr, dc in _NEIGHBOURS:
            shifted = padded[1 + dr : n + 1 + dr, 1 + dc : n + 1 + dc]
            better = shifted < best
            best = np.where(better, shifted, best)
            out = np.where(better, ids + dr * n + dc, out)
        return out.ravel()

    @cached_property
    def land(self) -> shapely.Geometry:
        return self.grid.land


def pull_taut(
    plane: LocalPlane, land: shapely.Geometry, xs: FloatArray, ys: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Drop every vertex the route can go past in a straight line without touching land."""
    lat, lon = plane.to_latlon(xs, ys)
    pts = np.column_stack((lon, lat))
    keep = [0]
    i, n = 0, len(pts)
    while i < n - 1:
        later = np.arange(i + 1, n)
        lines = shapely.linestrings(
            np.stack([np.repeat(pts[i : i + 1], len(later), axis=0), pts[later]], axis=1)
        )
        open_sea = shapely.is_empty(land)
        clear = np.ones(len(later), dtype=bool) if open_sea else ~shapely.intersects(land, lines)
        seen = later[clear]
        i = int(seen.max()) if seen.size else i + 1  # no clear step (leaving a berth): take the next cell
        keep.append(i)
    idx = np.array(keep)
    return xs[idx], ys[idx]


def path_length_nm(xs: FloatArray, ys: FloatArray) -> float:
    return float(np.hypot(np.diff(xs), np.diff(ys)).sum())


def _dijkstra_8(blocked: npt.NDArray[np.bool_], source: tuple[int, int], cell_nm: float) -> FloatArray:
    """Shortest paths on the 8-neighbour graph of free cells (scipy), distances in nm."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    n = blocked.shape[0]
    ids = np.arange(n * n).reshape(n, n)
    free = ~blocked
    rows, cols, weights = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r0, r1 = max(0, -dr), n - max(0, dr)
        c0, c1 = max(0, -dc), n - max(0, dc)
        a = ids[r0:r1, c0:c1]
        b = ids[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        ok = free[r0:r1, c0:c1] & free[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        rows.append(a[ok])
        cols.append(b[ok])
        weights.append(np.full(int(ok.sum()), cell_nm * math.hypot(dr, dc)))
    graph = coo_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n)
    ).tocsr()
    dist = dijkstra(graph, directed=False, indices=int(ids[source]))
    return np.asarray(dist, dtype=np.float64).reshape(n, n)
