"""Intercepts with land in the way: the asset's sea distance field sampled along the target's track,
then the time and the land-free route made to agree (`InterceptPlanner.plan` calls this when the straight
run or the target's own track touches land)."""

from __future__ import annotations

import math

import numpy as np
import shapely

from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.plane import closed_form_intercept_h
from seawatch.ops.pursuit import InterceptPlan, Pursuer, TargetState, unreachable
from seawatch.ops.seagrid import SeaField, path_length_nm, pull_taut


def plan_over_water(
    planner: InterceptPlanner,
    target: TargetState,
    p: Pursuer,
    motion: tuple[float, float, float, float],
    t0: float,
    horizon_h: float,
) -> InterceptPlan:
    sea = planner.field_for(p.lat, p.lon, p.speed_kn * horizon_h)
    # the field's own plane (centred where the asset was when it was built, at most ~0.2 nm away)
    plane = sea.grid.plane
    ax, ay = (float(v) for v in plane.to_xy(p.lat, p.lon))
    tx, ty = (float(v) for v in plane.to_xy(target.lat, target.lon))
    vx, vy = motion[2], motion[3]
    motion = (tx, ty, vx, vy)
    cell = sea.grid.cell_nm
    # the target's track from now (it cannot pass land: it stops at the first land it meets)
    rel_kn = p.speed_kn + math.hypot(vx, vy)
    step_h = max(min(cell / 2.0 / rel_kn, 1.0 / 60.0), 1e-4)
    # where the target's track first meets land, if it does (one line test, not a test per sample)
    (lat_a, lat_b), (lon_a, lon_b) = plane.to_latlon([tx, tx + vx * horizon_h], [ty, ty + vy * horizon_h])
    ashore = planner.land.landfall(shapely.linestrings([[lon_a, lat_a], [lon_b, lat_b]]))
    until_h = horizon_h if ashore is None else ashore * horizon_h
    times = np.arange(0.0, until_h, step_h)
    times = times[times >= t0 - step_h]
    xs, ys = tx + vx * times, ty + vy * times
    if times.size == 0:
        f_lat, f_lon = plane.to_latlon(tx + vx * until_h, ty + vy * until_h)
        return unreachable(
            p.asset_id,
            f"the target makes landfall at {float(f_lat):.4f},{float(f_lon):.4f} "
            "before the asset can meet it",
        )
    gap = sea.distance_nm(xs, ys) + math.hypot(ax, ay) - p.speed_kn * times
    hit = np.flatnonzero(gap <= 0.0)
    if hit.size == 0:
        why = "no route over water within the asset's reach"
        if np.isfinite(gap).any():
            why = f"cannot reach the target over water within {horizon_h:.1f} h"
        return unreachable(p.asset_id, why)
    k = int(hit[0])
    t = float(times[k])
    if k > 0 and np.isfinite(gap[k - 1]):  # where the gap crosses zero between two samples
        frac = gap[k - 1] / (gap[k - 1] - gap[k])
        t = float(times[k - 1] + frac * (times[k] - times[k - 1]))
    settled = _settle(planner, sea, motion, (ax, ay), p.speed_kn, t0, t, horizon_h)
    if settled is None:
        return unreachable(p.asset_id, f"cannot reach the target over water within {horizon_h:.1f} h")
    route_x, route_y, t = settled
    return planner._finish(p, target, plane, t, route_x, route_y, "sea_grid")


def _settle(
    planner: InterceptPlanner,
    sea: SeaField,
    motion: tuple[float, float, float, float],
    start_xy: tuple[float, float],
    speed_kn: float,
    t_low: float,
    t_field: float,
    horizon_h: float,
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Make the time and the taut route agree.

    The taut route to where the field says they meet bends at a few corners of land; from the last
    corner on the meeting is closed-form again (the asset "starts" there after running the route so
    far), which gives the route and time exactly when that last leg is clear of land. Otherwise:
    bisection between the closed-form time (a lower bound: no route beats the straight line) and
    the field's estimate (moved later while the taut route is still too long)."""
    tx, ty, vx, vy = motion
    plane = sea.grid.plane

    def taut(at_h: float) -> tuple[np.ndarray, np.ndarray, float] | None:
        x, y = tx + vx * at_h, ty + vy * at_h
        if max(abs(x), abs(y)) >= sea.grid.half_nm:
            return None
        xs, ys = sea.route_to(x, y)
        xs[0], ys[0] = start_xy
        xs, ys = pull_taut(plane, sea.grid.land, xs, ys)
        return xs, ys, path_length_nm(xs, ys) - speed_kn * at_h

    first = taut(t_field)
    if first is not None and len(first[0]) >= 3:
        xs, ys = first[0][:-1], first[1][:-1]
        before_h = path_length_nm(xs, ys) / speed_kn
        cx, cy = float(xs[-1]), float(ys[-1])
        rest = closed_form_intercept_h(tx + vx * before_h - cx, ty + vy * before_h - cy, vx, vy, speed_kn)
        if rest is not None and before_h + rest <= horizon_h:
            t = before_h + rest
            ex, ey = tx + vx * t, ty + vy * t
            (c_lat, e_lat), (c_lon, e_lon) = plane.to_latlon([cx, ex], [cy, ey])
            if not planner._blocked_line(float(c_lat), float(c_lon), float(e_lat), float(e_lon)):
                return np.append(xs, ex), np.append(ys, ey), t
    t_high = t_field
    best = first
    while best is not None and best[2] > 0.0:  # the taut route is still longer: later
        t_high += max(best[2] / speed_kn, 1.0 / 60.0)
        best = taut(t_high) if t_high <= horizon_h else None
    if best is None:
        return None
    lo, hi = t_low, t_high
    for _ in range(12):
        if hi - lo < 1.0 / 3600.0:
            break
        mid = (lo + hi) / 2.0
        at_mid = taut(mid)
        if at_mid is not None and at_mid[2] <= 0.0:
            hi, best = mid, at_mid
        else:
            lo = mid
    return best[0], best[1], hi
