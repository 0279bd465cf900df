"""The best intercept of many targets by a fleet at once: what ranking alerts needs on every track update.

`plan` answers one target and one asset fully; ranking needs only each target's best asset, for hundreds
of targets several times a second. Branch and bound does it with little work per pair:
1. the closed-form times of every (target, asset) pair at once in numpy: a lower bound on the time over
   water (no route beats the straight line), exact when the straight line is clear of land;
2. per target, candidates in order of that bound: an aircraft, or a boat whose straight run and the
   target's own track are clear of land (tested in one STR-tree batch), is the answer; a boat with land
   in the way gets the full over-water plan, and the search goes on while a later candidate's bound is
   still earlier than the best found.
An asset on standby starts after its notice (`delays_h`): the target has moved on by then.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.plane import NM_PER_DEG_LAT, LocalPlane, velocity_kn
from seawatch.ops.pursuit import InterceptPlan, Pursuer, TargetState, reach_h


def _closed_form(dx: np.ndarray, dy: np.ndarray, vx: np.ndarray, vy: np.ndarray, s: np.ndarray) -> np.ndarray:
    """`plane.closed_form_intercept_h` for arrays (NaN where never)."""
    a = vx * vx + vy * vy - s * s
    b = 2.0 * (dx * vx + dy * vy)
    c = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = b * b - 4.0 * a * c
        root = np.sqrt(np.where(disc >= 0, disc, np.nan))
        r1, r2 = (-b - root) / (2.0 * a), (-b + root) / (2.0 * a)
        r1 = np.where(r1 >= 0, r1, np.inf)
        r2 = np.where(r2 >= 0, r2, np.inf)
        t = np.minimum(r1, r2)
        linear = np.where(b < 0, -c / b, np.inf)
    t = np.where(np.abs(a) < 1e-12, linear, t)
    t = np.where(c == 0.0, 0.0, t)
    return np.where(np.isfinite(t), t, np.nan)


@dataclass(frozen=True)
class PairGeometry:
    """Every (target, asset) pair in closed form: (n, m) arrays unless said otherwise."""

    t_lat: np.ndarray  # (n, 1) the targets now
    t_lon: np.ndarray
    a_lat: np.ndarray  # (m,) the assets
    a_lon: np.ndarray
    vx: np.ndarray  # (n, 1) target velocity, kn east / north
    vy: np.ndarray
    dx: np.ndarray  # target minus asset when the asset sails (after its notice), nm east / north
    dy: np.ndarray
    t: np.ndarray  # the asset's running time to the meeting in open water (h; NaN: never)
    meet_lat: np.ndarray  # where they meet
    meet_lon: np.ndarray


def pair_geometry(
    targets: Sequence[TargetState], pursuers: Sequence[Pursuer], delay: np.ndarray
) -> PairGeometry:
    """The closed-form meeting of every pair, in a plane per pair centred on the asset, then again
    half-way (as `plan` does)."""
    a_lat = np.array([p.lat for p in pursuers])
    a_lon = np.array([p.lon for p in pursuers])
    speed = np.array([p.speed_kn for p in pursuers])
    t_lat = np.array([t.lat for t in targets])[:, None]
    t_lon = np.array([t.lon for t in targets])[:, None]
    v = np.array([velocity_kn(t.cog_deg, t.sog_kn) for t in targets])
    vx, vy = v[:, :1], v[:, 1:]
    lat0 = np.broadcast_to(a_lat, (len(targets), len(pursuers)))
    for _ in range(2):
        kx = NM_PER_DEG_LAT * np.cos(np.radians(lat0))
        dx = ((t_lon - a_lon + 180.0) % 360.0 - 180.0) * kx + vx * delay
        dy = (t_lat - a_lat) * NM_PER_DEG_LAT + vy * delay
        t = _closed_form(dx, dy, vx, vy, speed)
        meet_lat = a_lat + (dy + vy * np.nan_to_num(t)) / NM_PER_DEG_LAT
        lat0 = (a_lat + meet_lat) / 2.0
    meet_lon = a_lon + (dx + vx * np.nan_to_num(t)) / kx
    return PairGeometry(t_lat, t_lon, a_lat, a_lon, vx, vy, dx, dy, t, meet_lat, meet_lon)


def best_intercepts(
    planner: InterceptPlanner,
    targets: Sequence[TargetState],
    pursuers: Sequence[Pursuer],
    delays_h: Sequence[float] | None = None,
) -> list[InterceptPlan | None]:
    """Each target's best plan (earliest reachable), or None when no asset can reach it."""
    if not targets:
        return []
    if not pursuers:
        return [None] * len(targets)
    delay = np.asarray(delays_h if delays_h is not None else [0.0] * len(pursuers), dtype=np.float64)
    geo = pair_geometry(targets, pursuers, delay)
    a_lat, a_lon, t_lat, t_lon = geo.a_lat, geo.a_lon, geo.t_lat, geo.t_lon
    meet_lat, meet_lon, t = geo.meet_lat, geo.meet_lon, geo.t
    horizon = np.array([reach_h(p) for p in pursuers])
    bound = np.where(np.isfinite(t) & (t <= horizon), t + delay, np.inf)
    order = np.argsort(bound, axis=1)
    # one STR-tree batch for every target's first candidate: its straight run and the target's own track
    first = order[:, 0]
    rows = np.arange(len(targets))
    clear_run, clear_track = _clear(planner, rows, first, a_lat, a_lon, t_lat, t_lon, meet_lat, meet_lon)
    out: list[InterceptPlan | None] = []
    for i, target in enumerate(targets):
        best: InterceptPlan | None = None
        for rank, j in enumerate(order[i]):
            if not np.isfinite(bound[i, j]):
                break
            # the closed-form time bounds the nominal ETA, which bounds the conservative one
            if best is not None and bound[i, j] * 3600.0 >= _worst_s(best):
                break
            p = pursuers[j]
            if rank == 0:
                run_ok, track_ok = bool(clear_run[i]), bool(clear_track[i])
            else:
                track_ok = not planner._blocked_line(target.lat, target.lon, meet_lat[i, j], meet_lon[i, j])
                run_ok = not p.over_water or not planner._blocked_line(
                    p.lat, p.lon, meet_lat[i, j], meet_lon[i, j]
                )
            if track_ok and (run_ok or not p.over_water):
                plane = LocalPlane(float(a_lat[j]), float(a_lon[j]))
                ex, ey = plane.to_xy(meet_lat[i, j], meet_lon[i, j])
                plan = planner._finish(
                    p,
                    target,
                    plane,
                    float(bound[i, j]),
                    np.array([0.0, float(ex)]),
                    np.array([0.0, float(ey)]),
                    "air" if not p.over_water else "direct",
                    float(delay[j]),
                )
            else:
                plan = _full(planner, target, p, float(delay[j]))
            if plan.reachable and (best is None or _earlier(plan, best)):
                best = plan
        out.append(best)
    return out


def _worst_s(plan: InterceptPlan) -> float:
    return plan.eta_worst_s if plan.eta_worst_s is not None else math.inf


def _earlier(a: InterceptPlan, b: InterceptPlan) -> bool:
    """By the conservative ETA, then the nominal one."""
    return (_worst_s(a), a.eta_s or 0.0) < (_worst_s(b), b.eta_s or 0.0)


def _clear(
    planner: InterceptPlanner,
    rows: np.ndarray,
    cols: np.ndarray,
    a_lat: np.ndarray,
    a_lon: np.ndarray,
    t_lat: np.ndarray,
    t_lon: np.ndarray,
    meet_lat: np.ndarray,
    meet_lon: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    m_lat = np.nan_to_num(meet_lat[rows, cols])
    m_lon = np.nan_to_num(meet_lon[rows, cols])
    runs = shapely.linestrings(
        np.stack([np.column_stack([a_lon[cols], a_lat[cols]]), np.column_stack([m_lon, m_lat])], axis=1)
    )
    tracks = shapely.linestrings(
        np.stack([np.column_stack([t_lon[rows, 0], t_lat[rows, 0]]), np.column_stack([m_lon, m_lat])], axis=1)
    )
    crossed = planner.land.any_crossed(np.concatenate([runs, tracks]))
    return ~crossed[: len(rows)], ~crossed[len(rows) :]


def _full(planner: InterceptPlanner, target: TargetState, p: Pursuer, delay_h: float) -> InterceptPlan:
    """The full plan (over water), for an asset that starts `delay_h` from now."""
    return planner.plan_after(target, p, delay_h)
