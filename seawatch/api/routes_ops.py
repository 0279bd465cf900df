"""Operations routes under `/api/ops`: assets (read: viewer; state and position: operator; add: admin),
the readiness board, intercept plans for a live track or a given target, alerts ranked by
interceptability, tasking and release (operator). Every change is audited (store/assets.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request

from seawatch.api.auth import Admin, Operator, require
from seawatch.api.problems import Refusal
from seawatch.api.schemas_ops import (
    AssetOut,
    BoardOut,
    LogRow,
    RankedAlert,
    TakReject,
    TakStatus,
    TargetIn,
    TaskIn,
)
from seawatch.ops.assets import AssetConfig, AssetPosition, Readiness
from seawatch.ops.plane import KN_PER_MPS
from seawatch.ops.planning import Tasking
from seawatch.ops.pursuit import InterceptPlan, TargetState
from seawatch.ops.service import ConflictError, OpsService

router = APIRouter(prefix="/api/ops", tags=["operations"])
viewer = [Depends(require("viewer"))]


def ops(request: Request) -> OpsService:
    service: OpsService = request.app.state.ops
    return service


def _conflict(exc: ConflictError) -> Refusal:
    """409 with the English detail and the conflict's code and values (the page words it)."""
    field = "track_id" if exc.code == "asset_unreachable" else "asset_id"
    return Refusal(409, str(exc), field, exc.code, exc.ctx)


@router.get("/assets", response_model=list[AssetOut], dependencies=viewer)
def list_assets(request: Request) -> Any:
    s = ops(request)
    return [s.asset_view(a) for a in sorted(s.assets)]


@router.post("/assets", response_model=AssetOut, status_code=201)
def add_asset(request: Request, asset: AssetConfig, who: Admin) -> Any:
    try:
        return ops(request).add_asset(asset, who.name)
    except ConflictError as exc:
        raise _conflict(exc) from exc


@router.get("/assets/{asset_id}", response_model=AssetOut, dependencies=viewer)
def get_asset(request: Request, asset_id: str) -> Any:
    return ops(request).asset_view(asset_id)


@router.put("/assets/{asset_id}/readiness", response_model=AssetOut)
def set_readiness(request: Request, asset_id: str, readiness: Readiness, who: Operator) -> Any:
    try:
        return ops(request).set_readiness(asset_id, readiness, who.name)
    except ConflictError as exc:
        raise _conflict(exc) from exc


@router.put("/assets/{asset_id}/position", response_model=AssetOut)
def set_position(request: Request, asset_id: str, where: AssetPosition, who: Operator) -> Any:
    return ops(request).set_position(asset_id, where, who.name)


@router.get("/assets/{asset_id}/log", response_model=list[LogRow], dependencies=viewer)
def asset_log(request: Request, asset_id: str) -> Any:
    s = ops(request)
    s.asset(asset_id)
    return s.store.asset_log(asset_id)


@router.post("/assets/{asset_id}/task", response_model=AssetOut)
async def task_asset(request: Request, asset_id: str, body: TaskIn, who: Operator) -> Any:
    try:
        return await asyncio.to_thread(ops(request).task, asset_id, body.track_id, who.name, body.event_id)
    except ConflictError as exc:
        raise _conflict(exc) from exc


@router.post("/assets/{asset_id}/release", response_model=AssetOut)
def release_asset(request: Request, asset_id: str, who: Operator) -> Any:
    try:
        return ops(request).release(asset_id, who.name)
    except ConflictError as exc:
        raise _conflict(exc) from exc


@router.get("/taskings", response_model=list[Tasking], dependencies=viewer)
def taskings(request: Request) -> Any:
    return list(ops(request).taskings.values())


@router.get("/readiness", response_model=BoardOut, dependencies=viewer)
def board(request: Request) -> Any:
    return ops(request).board()


@router.get("/intercept/{track_id}", response_model=list[InterceptPlan], dependencies=viewer)
async def plan_for_track(request: Request, track_id: str) -> Any:
    s = ops(request)
    state = s.track(track_id)
    plans = await asyncio.to_thread(s.plan_track, state)
    return [p.to_json() for p in plans]


@router.post("/intercept", response_model=list[InterceptPlan], dependencies=viewer)
async def plan_for_target(request: Request, body: TargetIn) -> Any:
    target = TargetState(
        lat=body.lat,
        lon=body.lon,
        cog_deg=body.cog_deg,
        sog_kn=body.sog_kn,
        time=body.time or datetime.now(UTC),
        sigma_m=body.pos_sigma_m,
        sigma_kn=body.vel_sigma_mps * KN_PER_MPS,
    )
    plans = await asyncio.to_thread(ops(request).plan_target, target)
    return [p.to_json() for p in plans]


@router.get("/tak", response_model=TakStatus, dependencies=[Depends(require("analyst"))])
def tak_status(request: Request) -> Any:
    """TAK feeds: CoT sent and dropped, asset positions received, and rejected messages with reasons."""
    bridge = ops(request).tak
    if bridge is None:
        return TakStatus(feeds=[], connected={}, sent={}, dropped=0, received=0, reject_counts={}, rejects=[])
    return TakStatus(
        feeds=[f.name for f in bridge.feeds],
        connected=dict(bridge.connected),
        sent=dict(bridge.sent),
        dropped=bridge.dropped,
        received=bridge.received,
        reject_counts=dict(bridge.reject_counts),
        rejects=[TakReject(reason=r, sample=sample) for r, sample in list(bridge.rejects)[-50:]],
    )


@router.get(
    "/alerts", response_model=list[RankedAlert], response_model_exclude_unset=True, dependencies=viewer
)
def ranked_alerts(request: Request) -> Any:
    """Alerts on moving targets with their best intercept, most interceptable first."""
    return ops(request).ranked_alerts()


def install(app: FastAPI, node: Any) -> OpsService:
    """Mount the routes and attach the service (`app.state.ops`); the app's lifespan starts it."""
    service = OpsService(node)
    app.state.ops = service
    app.include_router(router)
    return service
