"""Nearest coastline vertex with numpy: the vertices bucketed in 1° and 0.1° latitude/longitude cells.

Why not a KD-tree (`scipy.spatial.cKDTree`): importing scipy.spatial costs ~0.2 s CPU, which every
`seawatch detect` run would pay for a few thousand shore-distance queries.

Exact: the answer is the same chord a KD-tree gives, computed the same way (`(dx² + dy²) + dz²`, then
the square root) on the same unit-sphere vertices. Cells only prune: each cell keeps the box around
its own vertices, from which a lower and an upper bound of the distance to any of them follow.

A query (`min_chord`) keeps an upper bound `U` of the answer and shrinks it level by level:
1. the 3 × 3 fine cells around the point (near the coast this makes `U` small);
2. if `U` is still unknown (no bound given, nothing near): 1° blocks twice as wide each time until one
   holds a vertex;
3. if `U` is large or came from no cell: the 1° cells of the block that covers the ball of radius `U`,
   kept if their lower bound is below `U` (which drops to their best upper bound);
4. the 0.1° cells likewise: from a block around the point covering the ball when `U` is small, else
   the kept 1° cells' own fine cells;
5. the vertices of the fine cells left: exact chords, the minimum below the given bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seawatch.geo.distance import unit_xyz

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FINE_PER_COARSE = 10  # 0.1° cells per 1° cell, on each axis
COARSE_ROWS, COARSE_COLS = 181, 360  # 1° cells: latitude -90..90 (the last row holds the pole), longitude
_SLACK = 1e-9  # relative margin on the cell bounds (they are computed in floating point too)
_CHUNK = 20_000  # queries per pass (bounds the size of the (query, cell) arrays)
_FINE_BLOCK_MAX_DEG = 0.5  # above this radius, fine cells come from the kept 1° cells, not a block


@dataclass(frozen=True)
class CoastIndex:
    """Vertices sorted by 1° cell, then 0.1° cell; each level with the box of its vertices."""

    xyz: FloatArray  # (n, 3) unit-sphere vertices, cell by cell
    coarse_grid: npt.NDArray[np.int32]  # (181, 360): 1° cell number, -1 when it holds no vertex
    coarse_fine: IntArray  # 1° cell k holds fine cells coarse_fine[k]:coarse_fine[k + 1]
    coarse_lo: FloatArray  # (k, 3) box corners of each 1° cell's vertices
    coarse_hi: FloatArray
    fine_grid: npt.NDArray[np.int32]  # (1° cells, 10, 10): fine cell number within it, -1 when empty
    fine_start: IntArray  # fine cell f holds vertices fine_start[f]:fine_start[f + 1]
    fine_lo: FloatArray
    fine_hi: FloatArray

    @classmethod
    def build(cls, lat: FloatArray, lon: FloatArray) -> CoastIndex:
        row, col = _fine_cell(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64))
        coarse = (row // FINE_PER_COARSE) * COARSE_COLS + col // FINE_PER_COARSE
        sub = (row % FINE_PER_COARSE) * FINE_PER_COARSE + col % FINE_PER_COARSE
        order = np.lexsort((sub, coarse))
        xyz = unit_xyz(lat, lon)[order]
        coarse, sub = coarse[order], sub[order]
        fine_first = _run_starts(coarse * 100 + sub)
        coarse_of_fine = coarse[fine_first]
        coarse_first = _run_starts(coarse_of_fine)
        coarse_ids = coarse_of_fine[coarse_first]
        coarse_grid = np.full(COARSE_ROWS * COARSE_COLS, -1, dtype=np.int32)
        coarse_grid[coarse_ids] = np.arange(coarse_ids.size, dtype=np.int32)
        fine_grid = np.full((coarse_ids.size, 100), -1, dtype=np.int32)
        fines_per_coarse = np.diff(np.append(coarse_first, fine_first.size))
        coarse_number = np.repeat(np.arange(coarse_ids.size), fines_per_coarse)
        fine_grid[coarse_number, sub[fine_first]] = np.arange(fine_first.size, dtype=np.int32)
        fine_start = np.append(fine_first, xyz.shape[0]).astype(np.int64)
        coarse_fine = np.append(coarse_first, fine_first.size).astype(np.int64)
        fine_lo, fine_hi = np.minimum.reduceat(xyz, fine_first), np.maximum.reduceat(xyz, fine_first)
        return cls(
            xyz=xyz,
            coarse_grid=coarse_grid.reshape(COARSE_ROWS, COARSE_COLS),
            coarse_fine=coarse_fine,
            coarse_lo=np.minimum.reduceat(fine_lo, coarse_first),
            coarse_hi=np.maximum.reduceat(fine_hi, coarse_first),
            fine_grid=fine_grid.reshape(-1, FINE_PER_COARSE, FINE_PER_COARSE),
            fine_start=fine_start,
            fine_lo=fine_lo,
            fine_hi=fine_hi,
        )

    def min_chord(self, lat: FloatArray, lon: FloatArray, bound: FloatArray | float = math.inf) -> FloatArray:
        """Per point, the chord to the nearest vertex if it is below `bound` (per point or one for all),
        else inf. Latitude/longitude in degrees, finite."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        bounds = np.broadcast_to(np.asarray(bound, dtype=np.float64), lat.shape)
        if lat.size == 1:  # the live detectors ask one point at a time: a shorter path near the coast
            one = self._min_chord_near(lat.reshape(1), lon.reshape(1), float(bounds.reshape(1)[0]))
            if one is not None:
                return np.full(lat.shape, one)
        out = np.full(lat.shape, np.inf)
        for start in range(0, lat.size, _CHUNK):
            part = slice(start, start + _CHUNK)
            out[part] = self._min_chord(lat[part], lon[part], bounds[part].copy())
        return out

    def _min_chord_near(self, lat: FloatArray, lon: FloatArray, bound: float) -> float | None:
        """`min_chord` of one point from the fine cells within 3 rows of it (a handful of numpy calls);
        None unless a vertex there proves the nearest one cannot lie outside them."""
        if abs(float(lat[0])) > 80.0:
            return None
        q = unit_xyz(lat, lon)
        lat_deg, east_deg = float(lat[0]), float(lon[0]) + 180.0
        r0, c0 = int(_fine_cell(lat, lon)[0][0]), math.floor(east_deg * 10.0)
        reach = math.ceil(3.0 / math.cos(math.radians(abs(lat_deg) + 0.4)))  # columns for 3 rows
        rows = np.arange(r0 - 3, r0 + 4)
        cols = np.arange(c0 - reach, c0 + reach + 1) % (COARSE_COLS * FINE_PER_COARSE)
        fine = self._fine_at(np.repeat(rows, cols.size), np.tile(cols, rows.size))
        fine = fine[fine >= 0]
        if fine.size == 0:
            return None
        qs = np.broadcast_to(q, (fine.size, 3))
        limit = float(_upper(qs, self.fine_lo[fine], self.fine_hi[fine]).min()) * (1 + _SLACK)
        # every point within `inner` of the query is in the block: the nearest edge along a meridian
        # (latitude), or across the great circle of an edge meridian (asin(cos lat · sin dlon))
        lat_edge = min(lat_deg - ((r0 - 3) / 10.0 - 90.0), (r0 + 4) / 10.0 - 90.0 - lat_deg)
        lon_edge = min(east_deg - (c0 - reach) / 10.0, (c0 + reach + 1) / 10.0 - east_deg)
        across = math.asin(math.cos(math.radians(lat_deg)) * math.sin(math.radians(lon_edge)))
        inner = min(math.radians(lat_edge), across)
        if limit >= 2.0 * math.sin(inner / 2.0) * (1 - _SLACK):
            return None
        keep = fine[_lower(qs, self.fine_lo[fine], self.fine_hi[fine]) * (1 - _SLACK) <= limit]
        no_label = np.zeros(keep.size, dtype=np.int64)
        _, vertex = _expand(no_label, self.fine_start[keep], self.fine_start[keep + 1])
        d = q - self.xyz[vertex]
        best = float(np.sqrt((d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2]).min())
        return best if best < bound else math.inf

    def near_upper(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        """An upper bound of each point's nearest-vertex chord from the 3 × 3 fine cells around it
        (inf when they hold no vertex): enough to tell that a point is near the coast."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        return self._near_upper(unit_xyz(lat, lon), lat, lon)

    def _near_upper(self, q: FloatArray, lat: FloatArray, lon: FloatArray) -> FloatArray:
        query, fine = self._fine_block(lat, lon, np.zeros(lat.size), np.arange(lat.size))
        upper = np.full(lat.size, np.inf)
        np.minimum.at(upper, query, _upper(q[query], self.fine_lo[fine], self.fine_hi[fine]))
        return upper

    def _min_chord(self, lat: FloatArray, lon: FloatArray, bound: FloatArray) -> FloatArray:
        q = unit_xyz(lat, lon)
        # 1. the 3 x 3 fine cells around each point: an upper bound for points near the coast
        near_upper = self._near_upper(q, lat, lon)
        limit = np.minimum(bound, near_upper * (1 + _SLACK))
        # 2. no bound yet: widen 1° blocks until one holds a vertex
        open_ = np.flatnonzero(np.isinf(limit))
        radius_deg = 1.0
        while open_.size:
            query, coarse = self._coarse_block(lat[open_], lon[open_], np.full(open_.size, radius_deg))
            found = np.full(open_.size, np.inf)
            up = _upper(q[open_][query], self.coarse_lo[coarse], self.coarse_hi[coarse])
            np.minimum.at(found, query, up)
            limit[open_] = found * (1 + _SLACK)
            open_ = open_[np.isinf(found)]
            radius_deg *= 2.0
        pts = np.flatnonzero(np.isfinite(limit))
        if pts.size == 0:
            return np.full(lat.size, np.inf)
        # 3. points with no vertex close by, or whose limit spans many fine cells: first the 1° cells
        #    within the limit, each tightening it (none left: nothing within the bound)
        wide = np.flatnonzero((_degrees(limit[pts]) > _FINE_BLOCK_MAX_DEG) | np.isinf(near_upper[pts]))
        query = coarse = np.zeros(0, dtype=np.int64)
        if wide.size:
            query, coarse = self._coarse_block(lat[pts[wide]], lon[pts[wide]], _degrees(limit[pts[wide]]))
            query, coarse = _tighten(q[pts], wide[query], coarse, self.coarse_lo, self.coarse_hi, limit, pts)
        # 4. fine cells within the limit: from a block around the point when the limit is small, else
        #    those of the kept 1° cells
        small = _degrees(limit[pts]) <= _FINE_BLOCK_MAX_DEG
        has_cells = np.zeros(pts.size, dtype=bool)
        has_cells[query] = True
        checked = np.zeros(pts.size, dtype=bool)
        checked[wide] = True
        near = np.flatnonzero(small & (has_cells | ~checked))  # a checked point with no 1° cell: done
        fq, ff = self._fine_block(lat[pts[near]], lon[pts[near]], _degrees(limit[pts[near]]), near)
        far = np.flatnonzero(~small[query])
        if far.size:
            gq, gf = _expand(query[far], self.coarse_fine[coarse[far]], self.coarse_fine[coarse[far] + 1])
            fq, ff = np.concatenate((fq, gq)), np.concatenate((ff, gf))
        query, fine = fq, ff
        query, fine = _tighten(q[pts], query, fine, self.fine_lo, self.fine_hi, limit, pts)
        # 5. exact chords to the vertices of the fine cells left
        query, vertex = _expand(query, self.fine_start[fine], self.fine_start[fine + 1])
        d = q[pts][query] - self.xyz[vertex]
        chord = np.sqrt((d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2])
        best = np.full(pts.size, np.inf)
        np.minimum.at(best, query, chord)
        out = np.full(lat.size, np.inf)
        out[pts] = np.where(best < bound[pts], best, np.inf)
        return out

    def _coarse_block(
        self, lat: FloatArray, lon: FloatArray, radius_deg: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(query, 1° cell) for the occupied 1° cells of a block around each point covering the radius."""
        return _block(lat, lon, radius_deg, 1.0, COARSE_ROWS, COARSE_COLS, self._coarse_at)

    def _fine_block(
        self, lat: FloatArray, lon: FloatArray, radius_deg: FloatArray, label: IntArray
    ) -> tuple[IntArray, IntArray]:
        """(label of the query, 0.1° cell) for the occupied fine cells of a block around each point."""
        rows, cols = COARSE_ROWS * FINE_PER_COARSE, COARSE_COLS * FINE_PER_COARSE
        query, fine = _block(lat, lon, radius_deg, 0.1, rows, cols, self._fine_at)
        return label[query], fine

    def _coarse_at(self, row: IntArray, col: IntArray) -> IntArray:
        return self.coarse_grid[np.minimum(row, COARSE_ROWS - 1), col].astype(np.int64)

    def _fine_at(self, row: IntArray, col: IntArray) -> IntArray:
        coarse = self._coarse_at(row // FINE_PER_COARSE, col // FINE_PER_COARSE)
        out = np.full(row.shape, -1, dtype=np.int64)
        has = np.flatnonzero(coarse >= 0)
        out[has] = self.fine_grid[coarse[has], row[has] % FINE_PER_COARSE, col[has] % FINE_PER_COARSE]
        return out


def _fine_cell(lat: FloatArray, lon: FloatArray) -> tuple[IntArray, IntArray]:
    rows, cols = COARSE_ROWS * FINE_PER_COARSE, COARSE_COLS * FINE_PER_COARSE
    row = np.clip(np.floor((lat + 90.0) * 10.0), 0, rows - 1).astype(np.int64)
    col = np.floor((lon + 180.0) * 10.0).astype(np.int64) % cols
    return row, col


def _run_starts(sorted_keys: IntArray) -> IntArray:
    return np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))


def _degrees(chord: FloatArray) -> FloatArray:
    """Angular radius in degrees of a chord (the arc it spans)."""
    return np.degrees(2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)))


def _block(
    lat: FloatArray,
    lon: FloatArray,
    radius_deg: FloatArray,
    cell_deg: float,
    rows: int,
    cols: int,
    cell_at: Callable[[IntArray, IntArray], IntArray],
) -> tuple[IntArray, IntArray]:
    """(query, cell) for the occupied cells of the latitude/longitude block around each point that
    covers all points within `radius_deg` of arc, one cell of margin on each side."""
    reach = radius_deg + cell_deg
    row0 = np.clip(np.floor((lat - reach + 90.0) / cell_deg), 0, rows - 1).astype(np.int64)
    row1 = np.clip(np.floor((lat + reach + 90.0) / cell_deg), 0, rows - 1).astype(np.int64)
    polar = np.abs(lat) + reach >= 89.0
    # half-width in longitude of a spherical cap of angular radius r at latitude lat: asin(sin r / cos lat)
    cos_lat = np.cos(np.radians(np.minimum(np.abs(lat), 89.0)))
    ratio = np.sin(np.radians(np.minimum(radius_deg, 90.0))) / cos_lat
    half = np.degrees(np.arcsin(np.minimum(ratio, 1.0))) + cell_deg
    col0 = np.floor((lon - half + 180.0) / cell_deg).astype(np.int64)
    col1 = np.floor((lon + half + 180.0) / cell_deg).astype(np.int64)
    whole = polar | (ratio >= 1.0) | (col1 - col0 + 1 >= cols)
    col0 = np.where(whole, 0, col0)
    col1 = np.where(whole, cols - 1, col1)
    n_rows, n_cols = row1 - row0 + 1, col1 - col0 + 1
    query, k = _expand(np.arange(lat.size), np.zeros(lat.size, dtype=np.int64), n_rows * n_cols)
    cell = cell_at(row0[query] + k // n_cols[query], (col0[query] + k % n_cols[query]) % cols)
    keep = cell >= 0
    return query[keep], cell[keep]


def _expand(label: IntArray, first: IntArray, stop: IntArray) -> tuple[IntArray, IntArray]:
    """(label, i) for every i in first..stop-1 of each label: ranges laid end to end."""
    sizes = stop - first
    label_rep = np.repeat(label, sizes)
    local = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return label_rep, np.repeat(first, sizes) + local


def _lower(q: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Chord from each point to its box (a lower bound of the chord to any vertex in the box)."""
    gap = np.maximum(np.maximum(lo - q, q - hi), 0.0)
    return np.sqrt((gap * gap).sum(axis=1))


def _upper(q: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Chord from each point to the farthest corner of its box (an upper bound for any vertex in it)."""
    far = np.maximum(np.abs(q - lo), np.abs(q - hi))
    return np.sqrt((far * far).sum(axis=1))


def _tighten(
    q: FloatArray,
    query: IntArray,
    cell: IntArray,
    lo: FloatArray,
    hi: FloatArray,
    limit: FloatArray,
    pts: IntArray,
) -> tuple[IntArray, IntArray]:
    """Lower the limit of each point to its best cell's upper bound; keep the cells that can beat it."""
    qx = q[query]
    up = _upper(qx, lo[cell], hi[cell])
    best = np.full(pts.size, np.inf)
    np.minimum.at(best, query, up)
    limit[pts] = np.minimum(limit[pts], best * (1 + _SLACK))
    keep = _lower(qx, lo[cell], hi[cell]) * (1 - _SLACK) <= limit[pts][query]
    return query[keep], cell[keep]
