"""HTTP routes for sharing, under /api/share (mounted on a federated node's API by `seawatch.server`).

The app must carry the running `Federation` as `app.state.federation` (absent: 503 on every route).
- `GET  /api/share/status` (viewer): connection, outbox size, counters.
- `GET  /api/share/policies` (admin), `GET|PUT /api/share/policies/{partner}` (admin): the sharing
  agreements; a PUT replaces the partner's policy (JSON as in the settings file), is persisted and audited.
- `GET  /api/share/audit?action=&partner=&origin=&since=&until=&limit=&format=json|csv|jsonl` (admin).
- `GET  /api/share/links` (viewer): link health per partner (outbox, broker backlog, last sent and
  received, last error).
- `GET  /api/share/quarantine?limit=` (admin): partner items refused by validation, with the reason.
- `GET  /api/share/received?origin=&kind=&limit=` (viewer): partner items held by this node; every call
  is audited as "viewed" by the caller, per origin.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from seawatch.share.federation import Federation
from seawatch.share.responses import ReceivedItems, ShareAudit, SharePolicyOut, ShareStatus
from seawatch.timeutil import iso_utc, parse_utc

router = APIRouter(prefix="/api/share", tags=["share"])


def _federation(request: Request) -> Federation:
    fed = getattr(request.app.state, "federation", None)
    if fed is None:
        raise HTTPException(503, "federation is not configured on this node")
    assert isinstance(fed, Federation)
    return fed


class Caller(Protocol):
    """Who is asking (the API's principal): sharing needs only the name, for its audit trail."""

    @property
    def name(self) -> str: ...


def viewer() -> Caller:
    """Role check (viewer), wired to the API's own by `seawatch.server` (`app.dependency_overrides`);
    share never imports the API. Unwired, every route refuses."""
    raise HTTPException(503, "sharing routes are not wired to the node's authentication")


def admin() -> Caller:
    """Role check (admin), wired like `viewer`."""
    raise HTTPException(503, "sharing routes are not wired to the node's authentication")


Fed = Annotated[Federation, Depends(_federation)]
Admin = Annotated[Caller, Depends(admin)]
Viewer = Annotated[Caller, Depends(viewer)]


@router.get("/status", response_model=ShareStatus)
def status(_: Viewer, fed: Fed) -> dict[str, Any]:
    return fed.status()


class LinkHealth(BaseModel):
    partner: str
    connected: bool
    outbox_items: int  # items waiting here (delay, or the broker unreachable)
    outbox_oldest_age_s: float | None
    broker_waiting_messages: int | None  # on the broker, not yet taken by the partner (None: unknown)
    broker_unacked_messages: int | None  # taken, not yet acknowledged
    last_sent: str | None  # the broker last confirmed an item for this partner
    last_received: str | None  # we last kept an item from this partner
    received: int
    refused: int  # rejected or quarantined items from this partner (since start)
    last_error: str | None
    last_error_at: str | None


class Links(BaseModel):
    node: str
    links: list[LinkHealth]


class QuarantinedItem(BaseModel):
    origin: str
    seq: int
    kind: str
    time: str
    reason: str
    payload: str  # as received (truncated), for the admin to judge


class Quarantine(BaseModel):
    items: list[QuarantinedItem]


@router.get("/links", response_model=Links)
async def links(fed: Fed, _: Viewer) -> Links:
    return Links(node=fed.node_id, links=[LinkHealth(**h) for h in await fed.link_health()])


@router.get("/quarantine", response_model=Quarantine)
def quarantine(fed: Fed, _: Admin, limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> Quarantine:
    return Quarantine(
        items=[
            QuarantinedItem(
                origin=q.origin,
                seq=q.seq,
                kind=q.kind,
                time=iso_utc(q.t),
                reason=q.reason,
                payload=q.payload[:4096].decode("utf-8", "replace"),
            )
            for q in fed.db.quarantined(limit)
        ]
    )


@router.get("/policies", response_model=dict[str, SharePolicyOut])
def policies(_: Admin, fed: Fed) -> dict[str, Any]:
    return {p: fed.policy_for(p).to_dict() for p in sorted(fed.settings.partner_keys)}


@router.get("/policies/{partner}", response_model=SharePolicyOut)
def policy(partner: str, _: Admin, fed: Fed) -> dict[str, Any]:
    if partner not in fed.settings.partner_keys:
        raise HTTPException(404, f"unknown partner {partner!r}")
    return fed.policy_for(partner).to_dict()


@router.put("/policies/{partner}", response_model=SharePolicyOut)
def put_policy(
    partner: str,
    body: Annotated[dict[str, Any], Body()],
    who: Admin,  # the role is checked before anything else is said
    fed: Fed,
) -> dict[str, Any]:
    if partner not in fed.settings.partner_keys:
        raise HTTPException(404, f"unknown partner {partner!r}")
    return fed.set_policy(partner, body, user=who.name).to_dict()


def _epoch(text: str | None) -> float | None:
    return None if text is None else parse_utc(text).timestamp()


@router.get(
    "/audit",
    response_model=ShareAudit,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
def audit(
    _: Admin,
    fed: Fed,
    action: str | None = None,
    partner: str | None = None,
    origin: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1_000_000)] = 1000,
    format: Annotated[str, Query(pattern="^(json|csv|jsonl)$")] = "json",
) -> Any:
    try:
        since_s, until_s = _epoch(since), _epoch(until)
    except ValueError as exc:
        raise HTTPException(422, f"since/until: {exc}") from exc
    records = fed.audit.query(
        action=action, partner=partner, origin=origin, since_s=since_s, until_s=until_s, limit=limit
    )
    if format == "json":
        return {"records": [r.model_dump() for r in records], "counts": fed.audit.counts()}
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return PlainTextResponse(fed.audit.export(format, records), media_type=media)


@router.get("/received", response_model=ReceivedItems)
def received(
    who: Viewer,
    fed: Fed,
    origin: str | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> dict[str, Any]:
    rows = fed.db.received(origin=origin, kind=kind, limit=limit)
    fed.audit.record_view(who.name, "received", (r.origin for r in rows))
    return {
        "items": [
            {
                "origin": r.origin,
                "seq": r.seq,
                "kind": r.kind,
                "received": iso_utc(r.received_t),
                "expires": iso_utc(r.expires_t),
                "may_reshare": r.may_reshare,
                "payload": r.payload,
            }
            for r in rows
        ]
    }
