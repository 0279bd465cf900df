"""The parties of an intercept and its outcome: the target's estimated state, the asset as the planner
sees it, and the plan (`InterceptPlan`, the one declaration of a plan's fields: the CLI prints it, the
API's response model is it), with the order plans are ranked in and the checks on an asset's figures.
The planning itself is `ops/intercept.py`."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from seawatch.errors import InputError
from seawatch.ops.plane import LocalPlane, velocity_kn

MAX_SPEED_KN = 600.0  # faster is a typo (a maritime patrol aircraft cruises at ~250-350 kn)
DEFAULT_HORIZON_H = 12.0  # look-ahead when an asset's endurance is not given


@dataclass(frozen=True)
class TargetState:
    """A target's estimated state: position, course over ground (deg true), speed (kn) at `time`."""

    lat: float
    lon: float
    cog_deg: float
    sog_kn: float
    time: datetime
    sigma_m: float = 0.0  # position uncertainty (1 sigma per axis, metres)
    sigma_kn: float = 0.0  # velocity uncertainty (1 sigma per axis, knots)
    track_id: str | None = None
    age_h: float = 0.0  # hours since the tracker's fix that the sigmas are of (a predicted state)

    def after(self, hours: float) -> TargetState:
        """Where the target is predicted `hours` on (its error keeps growing from the fix)."""
        vx, vy = velocity_kn(self.cog_deg, self.sog_kn)
        lat, lon = LocalPlane(self.lat, self.lon).to_latlon(vx * hours, vy * hours)
        at = self.time + timedelta(hours=hours)
        return replace(self, lat=float(lat), lon=float(lon), time=at, age_h=self.age_h + hours)


@dataclass(frozen=True)
class Pursuer:
    """An asset as the planner sees it: where it is and how far and fast it can go."""

    asset_id: str
    lat: float
    lon: float
    speed_kn: float
    over_water: bool = True  # boats route around land, aircraft fly straight
    base_lat: float | None = None
    base_lon: float | None = None
    fuel_range_nm: float | None = None
    endurance_h: float | None = None
    name: str = ""
    kind: str = "boat"


class InterceptPlan(BaseModel):
    """One asset's plan against one target (`eta_s` counts from the target's time)."""

    model_config = ConfigDict(frozen=True)

    asset: str
    reachable: bool
    eta_s: float | None  # to the predicted intercept point
    lat: float | None  # the predicted intercept point
    lon: float | None
    route_nm: float | None
    return_nm: float | None  # from the intercept point back to the home base, over water
    fuel_ok: bool  # enough fuel range for the route and the return
    route: tuple[tuple[float, float], ...]  # (lon, lat) from the asset to the intercept point
    in_territorial_sea: bool = False
    zone: str | None = None
    uncertainty_nm: float | None = None  # the target's position error (1 sigma per axis) at the intercept
    search_radius_nm: float | None = None  # 95 % of the target's possible positions then are within this
    eta_worst_s: float | None = None  # conservative (95 %) ETA: the asset can cover the whole search circle
    method: str = "direct"  # direct | sea_grid | air | harbour (last leg straight from the mouth)
    reason: str = ""  # why not reachable
    notice_s: float | None = None  # a standby asset's notice, included in the ETAs
    track_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = self.model_dump()
        for key, digits in _ROUNDING.items():
            if out[key] is not None:
                out[key] = round(out[key], digits)
        out["route"] = [[round(x, 6), round(y, 6)] for x, y in self.route]
        return out


_ROUNDING = {
    "eta_s": 1,
    "eta_worst_s": 1,
    "notice_s": 1,
    "lat": 6,
    "lon": 6,
    "route_nm": 3,
    "return_nm": 3,
    "uncertainty_nm": 3,
    "search_radius_nm": 3,
}


def rank_key(plan: InterceptPlan) -> tuple[bool, bool, float, float]:
    """Best first: reachable, able to return, then earliest by the conservative ETA, then the nominal one
    (a plan whose search circle cannot be covered within the asset's reach comes after those that can)."""
    eta = plan.eta_s if plan.eta_s is not None else math.inf
    worst = plan.eta_worst_s if plan.eta_worst_s is not None else math.inf
    return (not plan.reachable, not plan.fuel_ok, worst, eta)


def reach_h(p: Pursuer) -> float:
    """How long the asset can run at top speed: its endurance and its fuel range, whichever ends first."""
    limits = [DEFAULT_HORIZON_H if p.endurance_h is None else p.endurance_h]
    if p.fuel_range_nm is not None:
        limits.append(p.fuel_range_nm / p.speed_kn)
    return min(limits)


def validate_pursuer(p: Pursuer) -> None:
    if not (math.isfinite(p.lat) and math.isfinite(p.lon) and -90 <= p.lat <= 90 and -180 <= p.lon <= 180):
        raise InputError(f"asset {p.asset_id}: position {p.lat},{p.lon} is not a latitude,longitude")
    if not (0.0 < p.speed_kn <= MAX_SPEED_KN):
        raise InputError(
            f"asset {p.asset_id}: speed {p.speed_kn} kn is impossible (0 < speed <= {MAX_SPEED_KN:g})"
        )
    if p.fuel_range_nm is not None and not p.fuel_range_nm > 0:
        raise InputError(f"asset {p.asset_id}: fuel range {p.fuel_range_nm} nm must be positive")
    if p.endurance_h is not None and not (0 < p.endurance_h <= 240):
        raise InputError(f"asset {p.asset_id}: endurance {p.endurance_h} h is impossible (0 < h <= 240)")


def unreachable(asset_id: str, reason: str) -> InterceptPlan:
    """The plan of an asset that cannot meet the target, saying why."""
    return InterceptPlan(
        asset=asset_id,
        reachable=False,
        eta_s=None,
        lat=None,
        lon=None,
        route_nm=None,
        return_nm=None,
        fuel_ok=False,
        route=(),
        reason=reason,
    )
