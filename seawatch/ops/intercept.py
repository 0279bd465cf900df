"""Intercept planning: where and when each asset can first meet a moving target, over water.

The target is taken to hold its course and speed (the tracker's estimate); an asset runs at its top
speed. In open sea the answer is closed-form (`plane.closed_form_intercept_h`), which is also a lower
bound on the time over water: a detour is never shorter than the straight line. When land is in the way
the asset's distance field over the sea (`seagrid.SeaField`, cached per asset position since it does not
depend on the target) is sampled along the target's future track: the intercept is the first time the
asset's over-water distance to the target's position is no more than speed × time, refined on the
land-free route itself. Aircraft fly straight.

A plan is reachable when the asset can get there within its endurance and fuel range (one way);
`fuel_ok` says whether it can also get back to its home base (over water) on the fuel it has.

The target's uncertainty (the tracker's position and velocity sigma) is carried to the meeting: each plan
reports the 1-sigma error there, a 95 % search radius around the intercept point, and a conservative ETA
(`eta_worst_s`: by then the asset could be anywhere in that circle; `ops/uncertainty.py`). Plans are ranked
by the conservative ETA, so a well-known target comes before a vague one at the same nominal ETA.

The target, the asset and the plan are declared in `ops/pursuit.py`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from seawatch.errors import InputError
from seawatch.geo.land import LandMask, default_land
from seawatch.model.zone import Zone
from seawatch.ops.harbour import in_harbour, plan_in_harbour
from seawatch.ops.harbour import return_nm as harbour_return_nm
from seawatch.ops.plane import M_PER_NM, LocalPlane, closed_form_intercept_h, velocity_kn
from seawatch.ops.pursuit import (
    InterceptPlan,
    Pursuer,
    TargetState,
    rank_key,
    reach_h,
    unreachable,
    validate_pursuer,
)
from seawatch.ops.seagrid import (
    FieldMethod,
    LandIndex,
    SeaField,
    SeaGrid,
    path_length_nm,
    pull_taut,
)
from seawatch.ops.uncertainty import K95, sigma_nm, worst_after_meeting_h, worst_open_sea_h

MAX_FIELD_RADIUS_NM = 200.0  # farther intercepts are planned on the straight line (and say so)


class InterceptPlanner:
    """Plans intercepts; keeps one sea distance field per asset position (and home base) between plans."""

    def __init__(
        self,
        land: LandMask | None = None,
        zones: Sequence[Zone] | None = None,
        method: FieldMethod = "fmm",
        cells: int = 500,
        min_cell_nm: float = 0.1,
        cache_size: int = 128,
        reuse_nm: float = 2.0,
    ) -> None:
        from seawatch.geo.zones import ZoneIndex, default_zones

        self.mask = land or default_land()
        self.land = LandIndex(self.mask)
        chosen = default_zones() if zones is None else zones
        self.sea_zones = ZoneIndex(tuple(z for z in chosen if z.kind == "territorial_sea"))
        self.method: FieldMethod = method
        self.cells = cells
        self.min_cell_nm = min_cell_nm
        self._fields: OrderedDict[tuple[Any, ...], SeaField] = OrderedDict()
        self._cache_size = cache_size
        self.reuse_nm = reuse_nm

    # -- fields ------------------------------------------------------------------------------------
    def field_for(self, lat: float, lon: float, radius_nm: float) -> SeaField:
        radius_nm = min(max(radius_nm, 1.0), MAX_FIELD_RADIUS_NM)
        cell = max(self.min_cell_nm, 2.0 * radius_nm / self.cells)
        n = math.ceil(2.0 * radius_nm / cell) | 1
        # an asset that moved less than ~0.25 nm keeps its field (AIS moves it every few seconds)
        lat, lon = round(lat * 240.0) / 240.0, round(lon * 240.0) / 240.0
        key = (lat, lon, n, round(cell, 4), self.method)
        hit = self._fields.get(key)
        if hit is not None:
            self._fields.move_to_end(key)
            return hit
        near = self._near_field(lat, lon, key)
        if near is not None:
            return near
        plane = LocalPlane(lat, lon)
        half = n * cell / 2.0
        lat_lo, lon_lo = plane.to_latlon(-half, -half)
        lat_hi, lon_hi = plane.to_latlon(half, half)
        land = self.land.near(float(lon_lo), float(lat_lo), float(lon_hi), float(lat_hi))
        sea = SeaField(SeaGrid(plane, cell, n, land), self.method)
        self._fields[key] = sea
        if len(self._fields) > self._cache_size:
            self._fields.popitem(last=False)
        return sea

    def _near_field(self, lat: float, lon: float, key: tuple[Any, ...]) -> SeaField | None:
        """A kept field of the same size whose origin is within `reuse_nm` in clear water: a boat under
        way plans from it (its route starts with the straight run to the field's origin) instead of
        waiting ~0.5 s for a new field at every few hundred metres it makes good."""
        for (f_lat, f_lon, *rest), sea in reversed(self._fields.items()):
            if tuple(rest) != key[2:]:
                continue
            x, y = sea.grid.plane.to_xy(lat, lon)
            if math.hypot(float(x), float(y)) <= self.reuse_nm and not self._blocked_line(
                lat, lon, f_lat, f_lon
            ):
                return sea
        return None

    def water_distance_nm(self, lat0: float, lon0: float, lat1: float, lon1: float) -> tuple[float, str]:
        """Over-water distance between two points (straight when clear) and how it was found."""
        plane = LocalPlane(lat0, lon0)
        x, y = plane.to_xy(lat1, lon1)
        straight = float(math.hypot(float(x), float(y)))
        if not self._blocked_line(lat0, lon0, lat1, lon1):
            return straight, "direct"
        if straight > MAX_FIELD_RADIUS_NM:
            return straight, "direct"
        sea = self.field_for(lat0, lon0, MAX_FIELD_RADIUS_NM)  # one field per home base, kept
        # the taut route's length (the field alone reads a little long: its cells zig-zag)
        fx, fy = (float(v) for v in sea.grid.plane.to_xy(lat1, lon1))
        if not math.isfinite(float(sea.distance_nm(np.array([fx]), np.array([fy]))[0])):
            return math.inf, "sea_grid"  # walled in: no way back over water
        xs, ys = sea.route_to(fx, fy)
        xs[0], ys[0] = (float(v) for v in sea.grid.plane.to_xy(lat0, lon0))
        xs, ys = pull_taut(sea.grid.plane, sea.grid.land, xs, ys)
        return path_length_nm(xs, ys), "sea_grid"

    def _blocked_line(self, lat0: float, lon0: float, lat1: float, lon1: float) -> bool:
        line = shapely.linestrings([[lon0, lat0], [lon1, lat1]])
        return bool(self.land.any_crossed(np.array([line], dtype=object))[0])

    # -- plans -------------------------------------------------------------------------------------
    def check_target(self, target: TargetState) -> None:
        t = target
        if not (
            math.isfinite(t.lat) and math.isfinite(t.lon) and -90 <= t.lat <= 90 and -180 <= t.lon <= 180
        ):
            raise InputError(f"target position {t.lat},{t.lon} is not a latitude,longitude")
        if not (0.0 <= t.sog_kn <= 120.0) or not math.isfinite(t.cog_deg):
            raise InputError(f"target speed {t.sog_kn} kn / course {t.cog_deg} is impossible")
        if bool(self.mask.is_on_land(t.lon, t.lat)[0]) and not self.in_harbour(t):
            raise InputError(f"target at {t.lat:.5f},{t.lon:.5f} is on land")

    def in_harbour(self, target: TargetState) -> bool:
        """Natural Earth puts the target on land, the fine OSM land on water (`ops/harbour.py`)."""
        return bool(in_harbour(self.mask, np.array([target.lon]), np.array([target.lat]))[0])

    def plan_all(self, target: TargetState, pursuers: Sequence[Pursuer]) -> list[InterceptPlan]:
        """One plan per asset, best first (see `rank_key`)."""
        self.check_target(target)
        for p in pursuers:
            validate_pursuer(p)
        return sorted((self.plan(target, p, checked=True) for p in pursuers), key=rank_key)

    def plan(self, target: TargetState, p: Pursuer, checked: bool = False) -> InterceptPlan:
        if not checked:
            self.check_target(target)
            validate_pursuer(p)
        harbour = self.in_harbour(target)
        if harbour and p.over_water:
            return plan_in_harbour(self, target, p)
        plane = LocalPlane(p.lat, p.lon)
        tx, ty = (float(v) for v in plane.to_xy(target.lat, target.lon))
        vx, vy = velocity_kn(target.cog_deg, target.sog_kn)
        horizon_h = reach_h(p)
        t0 = closed_form_intercept_h(tx, ty, vx, vy, p.speed_kn)
        if t0 is None:
            return unreachable(p.asset_id, "target is faster than the asset and not closing")
        if t0 > horizon_h:
            return unreachable(
                p.asset_id, f"beyond the asset's reach ({horizon_h:.1f} h at {p.speed_kn:g} kn)"
            )
        # again in a plane centred half-way, where the flat-plane error is smallest over long chases
        mid_lat, mid_lon = (float(v) for v in plane.to_latlon((tx + vx * t0) / 2, (ty + vy * t0) / 2))
        mid = LocalPlane(mid_lat, mid_lon)
        ax, ay = (float(v) for v in mid.to_xy(p.lat, p.lon))
        bx, by = (float(v) for v in mid.to_xy(target.lat, target.lon))
        t0 = closed_form_intercept_h(bx - ax, by - ay, vx, vy, p.speed_kn) or t0
        x0, y0 = bx + vx * t0, by + vy * t0
        lat0, lon0 = (float(v) for v in mid.to_latlon(x0, y0))
        straight_x, straight_y = np.array([ax, x0]), np.array([ay, y0])
        if not p.over_water:
            if not harbour and self._target_grounds(target, t0, lat0, lon0):
                return unreachable(p.asset_id, "the target makes landfall before the aircraft can meet it")
            return self._finish(p, target, mid, t0, straight_x, straight_y, "air")
        if not self._blocked_line(p.lat, p.lon, lat0, lon0) and not self._target_grounds(
            target, t0, lat0, lon0
        ):
            return self._finish(p, target, mid, t0, straight_x, straight_y, "direct")
        from seawatch.ops.overwater import plan_over_water

        return plan_over_water(self, target, p, (tx, ty, vx, vy), t0, horizon_h)

    def plan_after(self, target: TargetState, p: Pursuer, delay_h: float) -> InterceptPlan:
        """The plan of an asset that sails `delay_h` from now (a standby notice): the target has moved on."""
        if delay_h <= 0.0:
            return self.plan(target, p, checked=True)
        moved = target.after(delay_h)
        if self._blocked_line(target.lat, target.lon, moved.lat, moved.lon) and not self.in_harbour(target):
            return unreachable(p.asset_id, "the target makes landfall within the standby notice")
        plan = self.plan(moved, p, checked=True)
        if plan.eta_s is None:
            return plan
        later = delay_h * 3600.0
        worst = None if plan.eta_worst_s is None else plan.eta_worst_s + later
        return plan.model_copy(update={"eta_s": plan.eta_s + later, "eta_worst_s": worst, "notice_s": later})

    def _target_grounds(self, target: TargetState, t_h: float, lat: float, lon: float) -> bool:
        """Whether the target's own straight track to the meeting point crosses land."""
        return self._blocked_line(target.lat, target.lon, lat, lon)

    def _finish(
        self,
        p: Pursuer,
        target: TargetState,
        plane: LocalPlane,
        t_h: float,
        xs: np.ndarray,
        ys: np.ndarray,
        method: str,
        delay_h: float = 0.0,
    ) -> InterceptPlan:
        """The plan of a meeting at `t_h` at the end of the route `xs, ys` (in `plane`, from the asset)."""
        lat, lon = plane.to_latlon(xs, ys)
        route = tuple((float(a), float(b)) for a, b in zip(lon.tolist(), lat.tolist(), strict=True))
        end_lat, end_lon = float(lat[-1]), float(lon[-1])
        route_nm = path_length_nm(xs, ys)
        return_nm = None
        if p.base_lat is not None and p.base_lon is not None:
            if method == "air":
                bx, by = plane.to_xy(p.base_lat, p.base_lon)
                return_nm = float(math.hypot(float(bx) - xs[-1], float(by) - ys[-1]))
            elif method == "harbour":
                return_nm = harbour_return_nm(self, p.base_lat, p.base_lon, end_lat, end_lon)
            else:
                return_nm = self.water_distance_nm(p.base_lat, p.base_lon, end_lat, end_lon)[0]
        fuel_ok = p.fuel_range_nm is None or route_nm + (return_nm or 0.0) <= p.fuel_range_nm
        zones = self.sea_zones.zones_at(end_lon, end_lat)
        zone = self.sea_zones.zones[min(zones)].name if zones else None
        one_sigma, worst_h = self._margin(
            p, target, plane, (float(xs[0]), float(ys[0])), t_h, method, delay_h
        )
        return InterceptPlan(
            asset=p.asset_id,
            reachable=True,
            eta_s=t_h * 3600.0,
            lat=end_lat,
            lon=end_lon,
            route_nm=route_nm,
            return_nm=return_nm,
            fuel_ok=fuel_ok,
            route=route,
            in_territorial_sea=zone is not None,
            zone=zone,
            uncertainty_nm=one_sigma,
            search_radius_nm=K95 * one_sigma,
            eta_worst_s=None if worst_h is None else worst_h * 3600.0,
            method=method,
            track_id=target.track_id,
        )

    @staticmethod
    def _margin(
        p: Pursuer,
        target: TargetState,
        plane: LocalPlane,
        start: tuple[float, float],
        t_h: float,
        method: str,
        delay_h: float,
    ) -> tuple[float, float | None]:
        """The target's 1-sigma error at the meeting, and the conservative ETA (h; None beyond reach)."""
        sp, sv = target.sigma_m / M_PER_NM, target.sigma_kn
        one_sigma = float(sigma_nm(sp, sv, t_h + target.age_h))
        if one_sigma == 0.0:
            return 0.0, t_h
        horizon = np.array(reach_h(p) + delay_h)
        vx, vy = velocity_kn(target.cog_deg, target.sog_kn)
        if method in ("sea_grid", "harbour"):
            worst = worst_after_meeting_h(
                np.array(t_h),
                np.array(p.speed_kn),
                np.array(target.sog_kn),
                np.array(sp),
                np.array(sv),
                horizon,
            )
        else:
            tx, ty = (float(v) for v in plane.to_xy(target.lat, target.lon))
            worst = worst_open_sea_h(
                np.array(tx - start[0]),
                np.array(ty - start[1]),
                np.array(vx),
                np.array(vy),
                np.array(p.speed_kn),
                np.array(sp),
                np.array(sv),
                np.array(t_h),
                horizon,
                delay_h,
                target.age_h,
            )
        value = float(worst)
        return one_sigma, (value if math.isfinite(value) else None)
