"""The fleet's best intercept per target, found by branch and bound, equals the best of the full plans."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from seawatch.geo.land import default_land
from seawatch.ops.batch import _full, best_intercepts
from seawatch.ops.fastbest import fleet_best
from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.pursuit import Pursuer, TargetState

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def _water(
    rng: np.random.Generator, n: int, box: tuple[float, float, float, float]
) -> list[tuple[float, float]]:
    land, out = default_land(), []
    while len(out) < n:
        lat, lon = rng.uniform(box[0], box[1]), rng.uniform(box[2], box[3])
        if not land.is_on_land(lon, lat)[0]:
            out.append((lat, lon))
    return out


def _fleet(rng: np.random.Generator, box: tuple[float, float, float, float]) -> list[Pursuer]:
    """Five boats at sea in `box`, based where they are, and an aircraft."""
    return [
        Pursuer(
            f"B{i}",
            lat,
            lon,
            float(rng.uniform(25, 45)),
            base_lat=lat,
            base_lon=lon,
            fuel_range_nm=150.0,
            endurance_h=5.0,
        )
        for i, (lat, lon) in enumerate(_water(rng, 5, box))
    ] + [Pursuer("AIR", 18.4, -64.6, 150.0, over_water=False, endurance_h=4.0, fuel_range_nm=500.0)]


def test_best_of_fleet_matches_the_full_plans() -> None:
    rng = np.random.default_rng(7)
    box = (17.0, 18.8, -65.3, -63.5)  # the Virgin Islands: many islands in the way
    planner = InterceptPlanner(cells=300)
    fleet = _fleet(rng, box)
    delays = [0.0] * 5 + [1.5]  # the aircraft is on 1.5 h standby
    targets = [
        TargetState(lat, lon, float(rng.uniform(0, 360)), float(rng.uniform(0, 40)), NOW)
        for lat, lon in _water(rng, 40, box)
    ]
    best = best_intercepts(planner, targets, fleet, delays)
    compared = 0
    for target, got in zip(targets, best, strict=True):
        plans = sorted(
            (_full(planner, target, p, d) for p, d in zip(fleet, delays, strict=True)),
            key=lambda p: (not p.reachable, p.eta_s or 0.0),
        )
        want = plans[0] if plans[0].reachable else None
        if want is None:
            assert got is None
            continue
        assert got is not None and got.eta_s is not None and want.eta_s is not None
        assert got.eta_s == pytest.approx(want.eta_s, rel=0.01), (got.asset, want.asset)
        compared += 1
    assert compared >= 20
    assert any(p is not None and p.method == "sea_grid" for p in best), "some best routes must go round land"


def test_fast_best_for_every_update_agrees_with_the_full_plans() -> None:
    """`fleet_best` (closed form + field lookups, what ranking runs on every track update) against the
    full plans (routes pulled taut round the real coastline), islands in the way."""
    rng = np.random.default_rng(8)
    box = (17.0, 18.8, -65.3, -63.5)
    planner = InterceptPlanner()  # the node's fields: 500 cells a side
    fleet = _fleet(rng, box)
    delays = [0.0] * 5 + [1.5]
    targets = [
        TargetState(lat, lon, float(rng.uniform(0, 360)), float(rng.uniform(0, 40)), NOW)
        for lat, lon in _water(rng, 80, box)
    ]
    fast = fleet_best(planner, targets, fleet, delays)
    compared, round_land = 0, 0
    for target, got in zip(targets, fast, strict=True):
        plans = {
            p.asset: p for p in (_full(planner, target, q, d) for q, d in zip(fleet, delays, strict=True))
        }
        reachable = [p for p in plans.values() if p.reachable and p.eta_s is not None]
        if not reachable:
            assert got is None
            continue
        want = min(p.eta_s for p in reachable if p.eta_s is not None)
        assert got is not None and got.eta_s is not None
        # in clear water (checked on the land polygons) exactly the closed form; round land the field's
        # time, within 7 % of the taut route's (land cells widen the coast by up to a cell)
        rel = 0.07 if got.method == "sea_grid" else 1e-6
        assert got.eta_s == pytest.approx(want, rel=rel, abs=60.0)
        named = plans[got.asset]  # and the asset it names really meets the target about then
        assert named.reachable and named.eta_s == pytest.approx(got.eta_s, rel=rel, abs=60.0)
        compared += 1
        round_land += got.method == "sea_grid"
    assert compared >= 40
    assert round_land >= 5, "some best intercepts must go round land"
