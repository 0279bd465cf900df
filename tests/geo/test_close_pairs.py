"""`close_pairs` finds exactly the pairs a brute-force comparison finds (groups, dateline, poles, ties)."""

from __future__ import annotations

import numpy as np
import pytest

from seawatch.geo.close_pairs import close_pairs
from seawatch.geo.distance import chord_for_m, unit_xyz


def brute_force(points: np.ndarray, radius: float, groups: np.ndarray | None = None) -> np.ndarray:
    diff = points[:, None, :] - points[None, :, :]
    close = np.einsum("ijk,ijk->ij", diff, diff) <= radius * radius
    if groups is not None:
        close &= groups[:, None] == groups[None, :]
    i, j = np.nonzero(np.triu(close, k=1))
    return np.column_stack((i, j)).astype(np.int64)


@pytest.mark.parametrize(
    ("lat", "lon", "radius_m"),
    [
        ((17.0, 17.05), (-66.1, -66.0), 500.0),  # a busy harbour
        ((-89.9, 89.9), (-180.0, 180.0), 300_000.0),  # the whole globe, poles included
        ((-0.5, 0.5), (179.95, 180.05), 2_000.0),  # across the dateline (wrapped below)
    ],
)
def test_same_pairs_as_brute_force(
    lat: tuple[float, float], lon: tuple[float, float], radius_m: float
) -> None:
    rng = np.random.default_rng(7)
    n = 1500
    la = rng.uniform(*lat, n)
    lo = (rng.uniform(*lon, n) + 180.0) % 360.0 - 180.0
    points = unit_xyz(la, lo)
    points[:10] = points[10:20]  # exact duplicates pair up too
    radius = chord_for_m(radius_m)
    expected = brute_force(points, radius)
    assert expected.shape[0] > 10
    assert np.array_equal(close_pairs(points, radius), expected)


def test_groups_keep_apart_even_when_packed_in_several_key_ranges() -> None:
    rng = np.random.default_rng(3)
    n = 1200
    points = unit_xyz(rng.uniform(-60.0, 60.0, n), rng.uniform(-180.0, 180.0, n))
    points[n // 2 :] = points[: n // 2]  # every point has a twin...
    groups = rng.integers(0, 3, n) * 1_000_000  # ...often in another group; groups far apart
    radius = chord_for_m(500.0)
    assert np.array_equal(close_pairs(points, radius, groups), brute_force(points, radius, groups))


def test_small_inputs() -> None:
    assert close_pairs(np.zeros((0, 3)), 0.1).shape == (0, 2)
    assert close_pairs(unit_xyz([1.0], [2.0]), 0.1).shape == (0, 2)
    assert close_pairs(unit_xyz([1.0, 1.0], [2.0, 2.0]), 0.1).tolist() == [[0, 1]]


def test_same_pairs_as_scipy_on_real_fixes() -> None:
    """Against the library it replaces: scipy's KD-tree `query_pairs`, on a real AIS day in 10-minute
    bins at the encounter distance (the bins kept apart as the detectors keep them)."""
    from scipy.spatial import cKDTree

    from seawatch.sources.csv_ais import load_csv
    from tests.shared import require_shared

    day = load_csv(require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")).positions
    bins = (day["t"].to_numpy() // 600).astype(np.int64)
    points = unit_xyz(day["lat"].to_numpy(), day["lon"].to_numpy())
    radius = chord_for_m(500.0)
    # scipy has no groups: a 4th coordinate far larger than the radius keeps the bins apart
    lifted = np.column_stack((points, (bins - bins.min()) * 10.0))
    expected = np.array(sorted(cKDTree(lifted).query_pairs(radius, output_type="set")), dtype=np.int64)
    got = close_pairs(points, radius, bins)
    assert expected.shape[0] > 10_000
    assert np.array_equal(got, expected)
