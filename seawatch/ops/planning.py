"""Plans for a fleet: which assets may be proposed at a time, where each one is, and its plan.

Shared by `seawatch intercept`, the API and the live ranking of alerts, so that all three answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from seawatch.ops.assets import AssetConfig, AssetPosition
from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.pursuit import InterceptPlan, Pursuer, TargetState, rank_key, unreachable


class TaskedTarget(BaseModel):
    """The target as it was when the asset was tasked (its track moves on)."""

    lat: float
    lon: float
    cog_deg: float | None
    sog_kn: float | None
    time: datetime


class Tasking(BaseModel):
    """An asset tasked on a track: who, when, the target then, and the plan the asset follows."""

    model_config = ConfigDict(frozen=True)

    asset_id: str
    track_id: str
    event_id: str | None = None
    tasked_by: str
    tasked_at: datetime
    target: TaskedTarget
    plan: InterceptPlan


class TaskingReleased(BaseModel):
    """An asset's tasking has ended (released, or its readiness changed): every screen drops its route."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    asset_id: str
    released: Literal[True]
    track_id: str | None


def position_of(asset: AssetConfig, live: Mapping[str, AssetPosition] | None = None) -> AssetPosition:
    """Where the asset is: its live position (own AIS or TAK) if known, else entered by hand, else base."""
    if live and asset.id in live:
        return live[asset.id]
    if asset.position is not None:
        return asset.position
    return AssetPosition(lat=asset.base_lat, lon=asset.base_lon, source="base")


def pursuer_of(asset: AssetConfig, where: AssetPosition) -> Pursuer:
    return Pursuer(
        asset_id=asset.id,
        name=asset.name,
        kind=asset.kind,
        lat=where.lat,
        lon=where.lon,
        speed_kn=asset.max_speed_kn,
        over_water=not asset.flies,
        base_lat=asset.base_lat,
        base_lon=asset.base_lon,
        fuel_range_nm=asset.fuel_range_nm,
        endurance_h=asset.endurance_h,
    )


def plan_fleet(
    planner: InterceptPlanner,
    target: TargetState,
    assets: Sequence[AssetConfig],
    when: datetime,
    live: Mapping[str, AssetPosition] | None = None,
) -> list[InterceptPlan]:
    """One plan per asset, best first; assets not ready or on standby at `when` are listed as not
    reachable with the reason (a standby asset's notice is added to its ETA)."""
    planner.check_target(target)
    plans: list[InterceptPlan] = []
    for asset in assets:
        state = asset.readiness.at(when)
        if state.state not in ("ready", "standby"):
            why = state.state.replace("_", " ")
            if state.state == "maintenance" and state.until is not None:
                why += f" until {state.until.isoformat().replace('+00:00', 'Z')}"
            if state.reason:
                why += f" ({state.reason})"
            plans.append(unreachable(asset.id, why))
            continue
        # a standby asset sails after its notice: the target has moved on meanwhile, so plan from then
        notice_h = (state.notice_h or 0.0) if state.state == "standby" else 0.0
        plans.append(planner.plan_after(target, pursuer_of(asset, position_of(asset, live)), notice_h))
    return sorted(plans, key=rank_key)
