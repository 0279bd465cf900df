"""A target inside a harbour that Natural Earth's ~1 km coast draws as land but OpenStreetMap as water
(San Juan bay) is planned (`method="harbour"`), by the planner, the live ranking and the CLI; a target
truly inland is still refused."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pytest

from seawatch.errors import InputError
from seawatch.geo.fine_land import fine_land
from seawatch.geo.land import default_land
from seawatch.ops.fastbest import fleet_best
from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.pursuit import Pursuer, TargetState

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
IN_SAN_JUAN_BAY = (18.446, -66.126)  # the bay's west part, off Cataño: ~400 m from OSM land
LA_PUNTILLA = (18.458, -66.118)  # the Coast Guard base in the same bay
INLAND = (18.40, -66.10)  # Río Piedras, San Juan


@pytest.fixture(scope="module")
def planner() -> InterceptPlanner:
    return InterceptPlanner()


def test_the_harbour_point_is_land_for_natural_earth_and_water_for_osm() -> None:
    lat, lon = IN_SAN_JUAN_BAY
    assert bool(default_land().is_on_land(lon, lat)[0])
    assert bool(fine_land().in_regions(lon, lat)[0]) and not bool(fine_land().is_on_land(lon, lat)[0])
    lat, lon = INLAND
    assert bool(default_land().is_on_land(lon, lat)[0]) and bool(fine_land().is_on_land(lon, lat)[0])


@pytest.mark.parametrize("sog_kn", [0.0, 3.0])
def test_target_in_the_harbour_is_planned_from_the_base_in_the_bay(
    planner: InterceptPlanner, sog_kn: float
) -> None:
    target = TargetState(*IN_SAN_JUAN_BAY, cog_deg=45.0, sog_kn=sog_kn, time=NOW)
    boat = Pursuer("sj", *LA_PUNTILLA, 30.0, base_lat=LA_PUNTILLA[0], base_lon=LA_PUNTILLA[1])
    outside = Pursuer("off", 18.60, -66.30, 30.0)  # at sea north-west of the bay
    plane = Pursuer("air", 18.43, -66.00, 120.0, over_water=False)
    plans = {p.asset: p for p in planner.plan_all(target, [boat, outside, plane])}
    for asset in ("sj", "off"):
        plan = plans[asset]
        assert plan.reachable and plan.method == "harbour", plan
        assert plan.route_nm is not None and math.isfinite(plan.route_nm) and plan.eta_s is not None
        assert plan.route[-1] == pytest.approx((plan.lon, plan.lat))
        # the route's length is what the boat runs at top speed in the ETA
        assert plan.route_nm == pytest.approx(30.0 * plan.eta_s / 3600.0, rel=0.01)
    assert plans["sj"].route_nm is not None and plans["sj"].route_nm < 2.0  # across the bay, not round it
    assert plans["sj"].return_nm is not None and plans["sj"].return_nm < 2.0 and plans["sj"].fuel_ok
    assert plans["off"].route_nm is not None and plans["off"].route_nm > 10.0
    assert plans["air"].reachable and plans["air"].method == "air"


def test_the_live_ranking_plans_the_harbour_target(planner: InterceptPlanner) -> None:
    in_bay = TargetState(*IN_SAN_JUAN_BAY, cog_deg=0.0, sog_kn=0.0, time=NOW)
    at_sea = TargetState(18.55, -66.15, cog_deg=0.0, sog_kn=0.0, time=NOW)
    boat = Pursuer("sj", *LA_PUNTILLA, 30.0)
    best = fleet_best(planner, [in_bay, at_sea], [boat])
    assert best[0] is not None and best[0].reachable and best[0].method == "harbour"
    assert best[0].eta_s is not None and math.isfinite(best[0].eta_s)
    assert best[1] is not None and best[1].method != "harbour"


def test_a_target_truly_inland_is_still_refused(planner: InterceptPlanner) -> None:
    inland = TargetState(*INLAND, cog_deg=0.0, sog_kn=0.0, time=NOW)
    with pytest.raises(InputError, match="on land"):
        planner.plan_all(inland, [Pursuer("sj", *LA_PUNTILLA, 30.0)])
    assert not planner.in_harbour(inland)
    assert planner.in_harbour(TargetState(*IN_SAN_JUAN_BAY, cog_deg=0.0, sog_kn=0.0, time=NOW))
    assert np.isfinite(IN_SAN_JUAN_BAY).all()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seawatch", "intercept", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_plans_the_harbour_target_and_refuses_inland() -> None:
    asset = f"sj,{LA_PUNTILLA[0]},{LA_PUNTILLA[1]},30,100"
    run = _cli("--asset", asset, "--target", "{},{},0,0".format(*IN_SAN_JUAN_BAY), "--time", NOW.isoformat())
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout)
    assert row["reachable"] and row["method"] == "harbour" and math.isfinite(row["route_nm"])
    assert row["route"][-1] == pytest.approx([IN_SAN_JUAN_BAY[1], IN_SAN_JUAN_BAY[0]])
    refused = _cli("--asset", asset, "--target", "{},{},0,0".format(*INLAND))
    assert refused.returncode == 1 and "on land" in refused.stderr and not refused.stdout
