"""Targets in a harbour that Natural Earth's ~1 km coast draws as land (San Juan bay, Kingston harbour).

`InterceptPlanner.check_target` refuses a target on land only where the fine OSM land
(`seawatch.geo.fine_land`) says so inside its regions, Natural Earth elsewhere. A target that Natural
Earth puts on land but OSM puts on water is "in a harbour": the asset's sea field (rasterised on Natural
Earth) has no cell there, so a boat runs its field route to the free cell nearest the target (the harbour
mouth as the coarse coast sees it) and from there straight at the moving target (closed form). The plan
says so with `method="harbour"`: its last leg is not checked against land. Aircraft fly straight anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from seawatch.geo.land import LandMask
from seawatch.ops.plane import LocalPlane, closed_form_intercept_h, velocity_kn
from seawatch.ops.pursuit import InterceptPlan, Pursuer, TargetState, rank_key, reach_h, unreachable
from seawatch.ops.seagrid import SeaField, path_length_nm, pull_taut

if TYPE_CHECKING:
    from seawatch.ops.intercept import InterceptPlanner

MOUTH_NM = 10.0  # a harbour's free water (for the coarse coast) is at most this far from the target


def in_harbour(mask: LandMask, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which points Natural Earth puts on land but the fine land (where it covers them) on water. The
    fine land is loaded and asked only for the points Natural Earth puts on land."""
    out = np.zeros(np.shape(lon), dtype=bool)
    coarse = mask.is_on_land(lon, lat)
    if not coarse.any():
        return out
    from seawatch.geo.fine_land import fine_land

    fine = fine_land()
    idx = np.flatnonzero(coarse)
    x, y = np.asarray(lon, dtype=np.float64)[idx], np.asarray(lat, dtype=np.float64)[idx]
    covered = fine.in_regions(x, y)
    out[idx[covered]] = ~fine.is_on_land(x[covered], y[covered])
    return out


def mouth(sea: SeaField, x: float, y: float) -> tuple[float, float, float] | None:
    """The free cell of the field nearest the point (x, y in the field's plane) that the asset can reach:
    its centre and its over-water distance from the field's source; None if there is none."""
    g = sea.grid
    xs, ys = g.centres()
    reach = np.isfinite(sea.dist_nm) & ~g.blocked
    if not reach.any():
        return None
    gap = np.where(reach, np.hypot(xs - x, ys - y), np.inf)
    k = np.unravel_index(int(np.argmin(gap)), gap.shape)
    return float(xs[k]), float(ys[k]), float(sea.dist_nm[k])


def plan_in_harbour(planner: InterceptPlanner, target: TargetState, p: Pursuer) -> InterceptPlan:
    """A boat's plan against a target in a harbour the coarse coast closes (see the module)."""
    horizon_h = reach_h(p)
    vx, vy = velocity_kn(target.cog_deg, target.sog_kn)
    straight = float(np.hypot(*LocalPlane(p.lat, p.lon).to_xy(target.lat, target.lon)))
    # a field just big enough first (fine cells find the mouth of a small harbour), then the asset's reach
    for radius in (2.0 * straight + 10.0, p.speed_kn * horizon_h):
        sea = planner.field_for(p.lat, p.lon, min(radius, p.speed_kn * horizon_h))
        plane = sea.grid.plane
        ax, ay = (float(v) for v in plane.to_xy(p.lat, p.lon))
        tx, ty = (float(v) for v in plane.to_xy(target.lat, target.lon))
        inside = max(abs(tx), abs(ty)) < sea.grid.half_nm
        gate = mouth(sea, tx, ty) if inside else None
        if gate is not None and math.hypot(gate[0] - tx, gate[1] - ty) <= MOUTH_NM:
            break
    if gate is None or math.hypot(gate[0] - tx, gate[1] - ty) > MOUTH_NM:
        return unreachable(p.asset_id, "no route over water to the harbour within the asset's reach")
    mx, my, _ = gate
    xs, ys = sea.route_to(mx, my)
    xs[0], ys[0] = ax, ay
    xs, ys = pull_taut(plane, sea.grid.land, xs, ys)
    xs[-1], ys[-1] = mx, my
    before_h = path_length_nm(xs, ys) / p.speed_kn
    rest = closed_form_intercept_h(tx + vx * before_h - mx, ty + vy * before_h - my, vx, vy, p.speed_kn)
    if rest is None or not math.isfinite(before_h) or before_h + rest > horizon_h:
        return unreachable(p.asset_id, f"cannot reach the target in the harbour within {horizon_h:.1f} h")
    t = before_h + rest
    route_x, route_y = np.append(xs, tx + vx * t), np.append(ys, ty + vy * t)
    return planner._finish(p, target, plane, t, route_x, route_y, "harbour")


def return_nm(planner: InterceptPlanner, base_lat: float, base_lon: float, lat: float, lon: float) -> float:
    """Over water from a point in a harbour back to the home base: the base's field to the harbour mouth,
    then straight (inf when the base's field cannot reach the harbour)."""
    if not planner._blocked_line(base_lat, base_lon, lat, lon):
        return planner.water_distance_nm(base_lat, base_lon, lat, lon)[0]
    straight = float(np.hypot(*LocalPlane(base_lat, base_lon).to_xy(lat, lon)))
    sea = planner.field_for(base_lat, base_lon, 2.0 * straight + 5.0)  # fine cells for a nearby base
    x, y = (float(v) for v in sea.grid.plane.to_xy(lat, lon))
    gate = mouth(sea, x, y) if max(abs(x), abs(y)) < sea.grid.half_nm else None
    return math.inf if gate is None else gate[2] + math.hypot(x - gate[0], y - gate[1])


def harbour_best(
    planner: InterceptPlanner,
    targets: Sequence[TargetState],
    pursuers: Sequence[Pursuer],
    delay: np.ndarray,
    out: list[InterceptPlan | None],
) -> list[InterceptPlan | None]:
    """`fleet_best`'s unreached targets that are in a harbour get the full plan of each asset, best
    kept: Natural Earth is asked only for the unreached targets, the fine land only where it says land."""
    left = [i for i, plan in enumerate(out) if plan is None]
    if not left:
        return out
    lon = np.array([targets[i].lon for i in left])
    lat = np.array([targets[i].lat for i in left])
    for k in np.flatnonzero(in_harbour(planner.mask, lon, lat)).tolist():
        i = left[k]
        plans = [planner.plan_after(targets[i], p, float(delay[j])) for j, p in enumerate(pursuers)]
        best = min(plans, key=rank_key)
        out[i] = best if best.reachable else None
    return out
