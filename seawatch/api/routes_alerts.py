"""The alert panel's routes: alerts ranked (severity, then newest), acknowledged or dismissed with a
reason by an operator (kept, audited, pushed live to every operator as `{"kind": "alert_state"}`),
and each user's own profile (`/api/me/profile`: the panel's severity filter and other settings)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query, Request

from seawatch.api.auth import Operator, Viewer, require
from seawatch.api.problems import FieldError
from seawatch.api.schemas import parse_time
from seawatch.api.schemas_alerts import (
    AlertsOut,
    AlertStateIn,
    AlertStateOut,
    VesselsOut,
)
from seawatch.api.schemas_profile import (
    MAX_PROFILE_BYTES,
    MAX_PROFILE_KEYS,
    ProfileIn,
    ProfileOut,
    profile_bytes,
)
from seawatch.errors import NotFoundError
from seawatch.model.severity import SEVERITIES
from seawatch.node.bus import LiveItem
from seawatch.node.node import Node
from seawatch.store.base import ALERT_STATES, AlertQuery

router = APIRouter(prefix="/api")
_AUDIT_ACTIONS = {"acknowledged": "alert.acknowledge", "dismissed": "alert.dismiss", "open": "alert.reopen"}


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


@router.get(
    "/alerts",
    response_model=AlertsOut,
    dependencies=[Depends(require("viewer"))],
    summary="Alerts ranked: alerts before notices, then newest first, with state and vessel names",
)
async def list_alerts(
    request: Request,
    severity: str | None = Query(None, description="alert | notice (default both)"),
    state: str | None = Query(None, description="comma-separated: open, acknowledged, dismissed"),
    since: str | None = Query(None, description="events still running at or after this ISO time"),
    until: str | None = Query(None, description="events started at or before this ISO time"),
    limit: int = Query(300, ge=1, le=2000),
) -> AlertsOut:
    if severity is not None and severity not in SEVERITIES:
        raise FieldError("severity", f"expected one of {', '.join(SEVERITIES)}")
    states = tuple(s for s in (state or "").split(",") if s)
    unknown = [s for s in states if s not in ALERT_STATES]
    if unknown:
        raise FieldError("state", f"unknown state(s) {', '.join(unknown)}: use {', '.join(ALERT_STATES)}")
    start, end = parse_time(since, "since"), parse_time(until, "until")
    query = AlertQuery(
        severity=severity,
        states=states,
        since_s=start.timestamp() if start else None,
        until_s=end.timestamp() if end else None,
        limit=limit,
    )
    rows = await asyncio.to_thread(_node(request).store.ranked_alerts, query)
    return AlertsOut.model_validate({"alerts": rows})


@router.put(
    "/alerts/{event_id}/state",
    response_model=AlertStateOut,
    summary="Acknowledge, dismiss (with a reason) or reopen an alert (operator)",
)
async def set_alert_state(
    request: Request, event_id: str, body: AlertStateIn, who: Operator
) -> AlertStateOut:
    node = _node(request)
    row = await asyncio.to_thread(node.store.set_alert_state, event_id, body.state, body.reason, who.name)
    if row is None:
        raise NotFoundError(f"no event {event_id}")
    details = {"event_id": event_id, "reason": body.reason}
    await asyncio.to_thread(node.store.audit, who.name, _AUDIT_ACTIONS[body.state], details)
    node.bus.publish([LiveItem("alert_state", row, node.node_id)])
    return AlertStateOut.model_validate(row)


@router.get("/me/profile", response_model=ProfileOut, summary="The signed-in user's saved settings")
def get_profile(request: Request, who: Viewer) -> ProfileOut:
    return ProfileOut(user=who.name, values=_node(request).store.profile(who.name))


@router.put(
    "/me/profile",
    response_model=ProfileOut,
    summary="Save some of the user's settings (language, alert filter, filters, map view and layers...)",
)
def put_profile(request: Request, body: ProfileIn, who: Viewer) -> ProfileOut:
    store = _node(request).store
    merged = {**store.profile(who.name), **body.values}
    merged = {key: value for key, value in merged.items() if value is not None}
    if len(merged) > MAX_PROFILE_KEYS or profile_bytes(merged) > MAX_PROFILE_BYTES:
        raise FieldError(
            "values", f"the profile would exceed {MAX_PROFILE_KEYS} keys or {MAX_PROFILE_BYTES} bytes of JSON"
        )
    return ProfileOut(user=who.name, values=store.update_profile(who.name, body.values))


@router.get(
    "/search/vessels",
    response_model=VesselsOut,
    dependencies=[Depends(require("viewer"))],
    summary="Vessels by name, call sign (contains), MMSI or IMO (starts with)",
)
def search_vessels(
    request: Request, q: str = Query(min_length=2, max_length=40), limit: int = Query(20, ge=1, le=100)
) -> VesselsOut:
    return VesselsOut.model_validate({"vessels": _node(request).store.search_vessels(q.strip(), limit)})
