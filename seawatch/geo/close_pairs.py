"""All pairs of points closer than a radius, with a cell grid in numpy instead of a KD-tree.

Why not `scipy.spatial.cKDTree.query_pairs`: importing scipy.spatial costs ~0.2 s CPU, more than
finding the pairs (`seawatch detect` pays it on every run otherwise).

Points (3-D: unit-sphere vectors) go into cubic cells of edge `radius`. Two points within `radius` of
each other lie in the same cell or in adjacent ones, so each occupied cell is joined with itself and
with the 13 "forward" neighbours of its 26 (the other 13 join it from their side). Points may carry a
group (the time bin): only points of one group pair up. Pairs are returned as `(i, j)`, `i < j`, in
(i, j) order.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# neighbour cell offsets that come after (0, 0, 0) in lexicographic order: each adjacent pair once
FORWARD_NEIGHBOURS = [d for d in itertools.product((-1, 0, 1), repeat=3) if d > (0, 0, 0)]
_KEY_LIMIT = 1 << 62  # packed cell keys stay below this (int64)


def close_pairs(points: FloatArray, radius: float, groups: IntArray | None = None) -> IntArray:
    """(m, 2) indices of the point pairs at most `radius` apart (Euclidean), same group only."""
    points = np.asarray(points, dtype=np.float64)
    n = points.shape[0]
    if n < 2 or not radius > 0:
        return np.zeros((0, 2), dtype=np.int64)
    group = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    cell = np.floor(points / radius).astype(np.int64)
    low = cell.min(axis=0) - 1  # one empty cell of padding on each side: neighbour keys never wrap
    span = cell.max(axis=0) - low + 2
    cells_per_group = int(span[0]) * int(span[1]) * int(span[2])
    if cells_per_group >= _KEY_LIMIT:
        raise ValueError("close_pairs: radius too small for the extent of the points")
    per_chunk = max(1, _KEY_LIMIT // cells_per_group)  # groups packed per key range
    g0 = int(group.min())
    chunk = (group - g0) // per_chunk
    if int(chunk.max()) == 0:
        found = _pairs_in_chunk(points, radius, group - g0, cell - low, span)
    else:  # a very long archive: pack the groups in ranges that fit one int64 key
        parts = []
        for c in np.unique(chunk):
            rows = np.flatnonzero(chunk == c)
            in_chunk = group[rows] - g0 - c * per_chunk
            parts.append(rows[_pairs_in_chunk(points[rows], radius, in_chunk, cell[rows] - low, span)])
        found = np.concatenate(parts)
    found.sort(axis=1)
    return found[np.lexsort((found[:, 1], found[:, 0]))]


def _pairs_in_chunk(
    points: FloatArray, radius: float, group: IntArray, cell: IntArray, span: IntArray
) -> IntArray:
    key = ((group * span[0] + cell[:, 0]) * span[1] + cell[:, 1]) * span[2] + cell[:, 2]
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.flatnonzero(np.concatenate(([True], sorted_key[1:] != sorted_key[:-1])))
    cell_key = sorted_key[first]
    count = np.diff(np.append(first, sorted_key.size))
    a_cells, b_cells = [np.flatnonzero(count > 1)], [np.flatnonzero(count > 1)]
    for dx, dy, dz in FORWARD_NEIGHBOURS:
        target = cell_key + (dx * span[1] + dy) * span[2] + dz
        at = np.minimum(np.searchsorted(cell_key, target), cell_key.size - 1)
        hit = np.flatnonzero(cell_key[at] == target)
        a_cells.append(hit)
        b_cells.append(at[hit])
    a = np.concatenate(a_cells)
    b = np.concatenate(b_cells)
    i, j, owner = _cell_products(first[a], count[a], first[b], count[b])
    keep = (a[owner] != b[owner]) | (i < j)  # within one cell: each pair once, no point with itself
    i, j = order[i[keep]], order[j[keep]]
    diff = points[i] - points[j]
    close = np.einsum("ij,ij->i", diff, diff) <= radius * radius
    return np.column_stack((i[close], j[close]))


def _cell_products(
    a_first: IntArray, a_count: IntArray, b_first: IntArray, b_count: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Every (member of A, member of B) for each cell pair (A, B), as positions in the sorted order,
    with the number of the cell pair each one comes from."""
    sizes = a_count * b_count
    owner = np.repeat(np.arange(sizes.size), sizes)
    local = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    width = b_count[owner]
    return a_first[owner] + local // width, b_first[owner] + local % width, owner
