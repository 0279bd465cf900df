"""Intercept geometry against independent computations: the ellipsoid (pyproj) in open sea, a fine-grid
shortest path (scipy, cell centres tested on the land mask) around an island."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
import shapely
from pyproj import Geod

from seawatch.errors import InputError
from seawatch.geo.land import default_land
from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.pursuit import Pursuer, TargetState

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
GEOD = Geod(ellps="WGS84")
M_PER_NM = 1852.0


@pytest.fixture(scope="module")
def planner() -> InterceptPlanner:
    return InterceptPlanner()


def _geodesic_eta_s(asset: tuple[float, float], speed_kn: float, target: TargetState) -> float:
    """Solve |P_t + V_t·t − P_a| = s_a·t on the WGS84 ellipsoid by bisection (target on a geodesic)."""

    def gap(t_s: float) -> float:
        lon, lat, _ = GEOD.fwd(
            target.lon, target.lat, target.cog_deg, target.sog_kn * M_PER_NM * t_s / 3600.0
        )
        _, _, dist_m = GEOD.inv(asset[1], asset[0], lon, lat)
        return dist_m - speed_kn * M_PER_NM * t_s / 3600.0

    lo, hi = 0.0, 48 * 3600.0
    assert gap(lo) > 0 > gap(hi)
    for _ in range(80):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if gap(mid) > 0 else (lo, mid)
    return lo


@pytest.mark.parametrize(
    ("cog_deg", "sog_kn", "speed_kn"),
    [
        (90.0, 25.0, 35.0),
        (270.0, 10.0, 30.0),
        (45.0, 30.0, 45.0),
        (200.0, 28.0, 30.0),
        (180.0, 0.0, 20.0),
        (330.0, 18.0, 250.0),
    ],
)
def test_open_sea_eta_matches_closed_form_on_the_ellipsoid(
    planner: InterceptPlanner, cog_deg: float, sog_kn: float, speed_kn: float
) -> None:
    # the middle of the Caribbean Sea: no land within 100 nm
    asset = (14.5, -71.5)
    target = TargetState(lat=14.9, lon=-70.9, cog_deg=cog_deg, sog_kn=sog_kn, time=NOW)
    assert not default_land().is_on_land(target.lon, target.lat)[0]
    plan = planner.plan(target, Pursuer("p1", asset[0], asset[1], speed_kn))
    expected = _geodesic_eta_s(asset, speed_kn, target)
    assert plan.reachable and plan.eta_s is not None
    assert plan.eta_s == pytest.approx(expected, rel=0.01)
    # the intercept point is where the target is at that time, and the route reaches it
    lon, lat, _ = GEOD.fwd(target.lon, target.lat, cog_deg, sog_kn * M_PER_NM * expected / 3600.0)
    _, _, miss_m = GEOD.inv(lon, lat, plan.lon, plan.lat)
    assert miss_m < 0.01 * speed_kn * M_PER_NM * expected / 3600.0 + 1.0
    assert plan.route[0] == pytest.approx((asset[1], asset[0]))
    assert plan.route[-1] == pytest.approx((plan.lon, plan.lat))


def test_faster_target_moving_away_is_unreachable(planner: InterceptPlanner) -> None:
    target = TargetState(lat=14.9, lon=-70.9, cog_deg=45.0, sog_kn=45.0, time=NOW)
    plans = planner.plan_all(
        target, [Pursuer("slow", 14.5, -71.5, 30.0), Pursuer("slower", 14.0, -71.0, 20.0)]
    )
    assert [p.reachable for p in plans] == [False, False]
    assert all("faster" in p.reason for p in plans)
    assert all(p.eta_s is None and p.route == () for p in plans)


# St Croix (US Virgin Islands): the boat lies off the north coast, the target off the south coast
NORTH_OF_ST_CROIX = (17.82, -64.75)
SOUTH_OF_ST_CROIX = (17.66, -64.75)


def _land_near(box: tuple[float, float, float, float]) -> shapely.Geometry:
    mask = default_land()
    return shapely.clip_by_rect(mask.fine, *box)


def _fine_grid_shortest_nm(a: tuple[float, float], b: tuple[float, float], cell_deg: float) -> float:
    """Shortest 8-neighbour path between two points over water cells (centre not on land), in nm."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    lat0 = (a[0] + b[0]) / 2
    lons = np.arange(-65.05, -64.35, cell_deg)
    lats = np.arange(17.5, 18.0, cell_deg)
    glon, glat = np.meshgrid(lons, lats)
    water = ~default_land().is_on_land(glon.ravel(), glat.ravel()).reshape(glon.shape)
    ny, nx = glon.shape
    ids = np.arange(ny * nx).reshape(ny, nx)
    kx = 60.0 * math.cos(math.radians(lat0))
    rows, cols, w = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r0, r1, c0, c1 = max(0, -dr), ny - max(0, dr), max(0, -dc), nx - max(0, dc)
        ok = water[r0:r1, c0:c1] & water[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        rows.append(ids[r0:r1, c0:c1][ok])
        cols.append(ids[r0 + dr : r1 + dr, c0 + dc : c1 + dc][ok])
        w.append(np.full(int(ok.sum()), math.hypot(dr * cell_deg * 60.0, dc * cell_deg * kx)))
    graph = coo_matrix(
        (np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(ny * nx,) * 2
    )
    ia = int(np.argmin((glat - a[0]) ** 2 + (glon - a[1]) ** 2))
    ib = int(np.argmin((glat - b[0]) ** 2 + (glon - b[1]) ** 2))
    return float(dijkstra(graph.tocsr(), directed=False, indices=ia)[ib])


@pytest.mark.parametrize("method", ["fmm", "dijkstra"])
def test_route_around_an_island_never_crosses_land_and_is_no_longer_than_needed(method: str) -> None:
    planner = InterceptPlanner(method=method)
    land = _land_near((-65.1, 17.4, -64.3, 18.1))
    straight = shapely.LineString([NORTH_OF_ST_CROIX[::-1], SOUTH_OF_ST_CROIX[::-1]])
    assert straight.intersects(land), "the island must be in the way for this test to mean anything"
    target = TargetState(
        lat=SOUTH_OF_ST_CROIX[0], lon=SOUTH_OF_ST_CROIX[1], cog_deg=0.0, sog_kn=0.0, time=NOW
    )
    plan = planner.plan(target, Pursuer("boat", *NORTH_OF_ST_CROIX, 30.0, endurance_h=3.0))
    assert plan.reachable and plan.method == "sea_grid"
    route = shapely.LineString(plan.route)
    assert not route.intersects(land)
    assert plan.route[-1] == pytest.approx(SOUTH_OF_ST_CROIX[::-1], abs=1e-6)
    assert plan.eta_s == pytest.approx(plan.route_nm / 30.0 * 3600.0, rel=0.01)
    fine = _fine_grid_shortest_nm(NORTH_OF_ST_CROIX, SOUTH_OF_ST_CROIX, 0.004)
    # an 8-neighbour path is at most ~8 % longer than the true shortest path, never shorter
    assert plan.route_nm <= fine * 1.005
    assert plan.route_nm >= fine / 1.09


def test_moving_target_behind_an_island(planner: InterceptPlanner) -> None:
    land = _land_near((-65.1, 17.4, -64.3, 18.1))
    target = TargetState(lat=17.62, lon=-64.6, cog_deg=270.0, sog_kn=8.0, time=NOW)
    plan = planner.plan(target, Pursuer("boat", *NORTH_OF_ST_CROIX, 30.0, endurance_h=4.0))
    assert plan.reachable and plan.eta_s is not None
    assert not shapely.LineString(plan.route).intersects(land)
    # where the target is at the ETA is the intercept point, and the boat's route takes that long
    lon, lat, _ = GEOD.fwd(target.lon, target.lat, 270.0, 8.0 * M_PER_NM * plan.eta_s / 3600.0)
    assert GEOD.inv(lon, lat, plan.lon, plan.lat)[2] < 0.02 * plan.route_nm * M_PER_NM
    assert plan.route_nm == pytest.approx(30.0 * plan.eta_s / 3600.0, rel=0.01)


def test_target_on_land_is_an_error(planner: InterceptPlanner) -> None:
    on_st_croix = TargetState(lat=17.73, lon=-64.75, cog_deg=0.0, sog_kn=5.0, time=NOW)
    with pytest.raises(InputError, match="on land"):
        planner.plan_all(on_st_croix, [Pursuer("boat", *NORTH_OF_ST_CROIX, 30.0)])


@pytest.mark.parametrize("speed", [0.0, -5.0, 1000.0, math.nan])
def test_impossible_speed_is_an_error(planner: InterceptPlanner, speed: float) -> None:
    target = TargetState(lat=14.9, lon=-70.9, cog_deg=0.0, sog_kn=5.0, time=NOW)
    with pytest.raises(InputError, match="speed"):
        planner.plan_all(target, [Pursuer("boat", 14.5, -71.5, speed)])
