"""Read routes of the picture: tracks, track history, vessel dossier, events (role viewer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from seawatch.api.auth import require
from seawatch.api.models import HistoryFeature, SeaEvent, TrackCollection, VesselDossier
from seawatch.api.problems import FieldError
from seawatch.api.responses import JSON
from seawatch.api.schemas import parse_bbox, parse_time
from seawatch.errors import NotFoundError
from seawatch.model import EVENT_TYPES
from seawatch.node.geojson import feature_collection, history_feature, track_feature
from seawatch.node.node import Node
from seawatch.store.base import EventQuery
from seawatch.timeutil import iso_utc

router = APIRouter(prefix="/api", dependencies=[Depends(require("viewer"))])


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


@router.get(
    "/tracks",
    response_class=JSON,
    response_model=TrackCollection,
    summary="Tracks in a bbox, latest or at a past time",
)
def tracks(
    request: Request,
    bbox: str | None = Query(None, description="minlon,minlat,maxlon,maxlat"),
    at: str | None = Query(None, description="ISO time: the picture at that time (from history)"),
    max_age_s: float | None = Query(None, gt=0, le=7 * 86400, description="oldest state shown"),
) -> Response:
    node = _node(request)
    box = parse_bbox(bbox)
    when = parse_time(at, "at")
    age_s = max_age_s or node.settings.pipeline.live_max_age_s
    if when is None:
        return Response(node.live_features(box, age_s), media_type="application/json")
    body = feature_collection(track_feature(s) for s in node.store.tracks_at(when, age_s, box))
    body["time"] = iso_utc(when)
    body["max_age_s"] = age_s
    return JSON(body)


@router.get(
    "/tracks/{track_id}/history",
    response_class=JSON,
    response_model=HistoryFeature,
    summary="One track's positions",
)
def track_history(request: Request, track_id: str, start: str | None = None, end: str | None = None) -> Any:
    rows = _node(request).store.track_history(track_id, parse_time(start, "start"), parse_time(end, "end"))
    if not rows:
        raise NotFoundError(f"no positions for track {track_id} in that window")
    return JSON(history_feature(track_id, rows))


@router.get("/vessels/{mmsi}", response_class=JSON, response_model=VesselDossier, summary="Vessel dossier")
def vessel(
    request: Request,
    mmsi: int = Path(ge=0, le=999_999_999),
    start: str | None = None,
    end: str | None = None,
    events_limit: int = Query(100, ge=1, le=1000),
) -> Any:
    node = _node(request)
    store = node.store
    end_t = parse_time(end, "end")
    start_t = parse_time(start, "start")
    if start_t is None:
        anchor = end_t or (
            datetime.fromtimestamp(node.data_time_s, UTC) if node.data_time_s else datetime.now(UTC)
        )
        start_t = anchor - timedelta(hours=24)
    identity = store.vessel_identity(mmsi)
    live = node.track_of_mmsi(mmsi)
    history = store.vessel_history(mmsi, start_t, end_t)
    events = store.events(EventQuery(mmsi=mmsi, limit=events_limit))
    if identity is None and live is None and not history and not events:
        raise NotFoundError(f"nothing known about MMSI {mmsi}")
    watch = [w for w in store.watchlist() if w.get("mmsi") == mmsi]
    return JSON(
        {
            "mmsi": mmsi,
            "identity": identity,
            "identity_changes": store.identity_changes(mmsi),
            "track": track_feature(live) if live else None,
            "history": history_feature(f"mmsi:{mmsi}", history) if history else None,
            "events": [e.to_json() for e in events],
            "watchlist": watch,
        }
    )


@router.get("/events", response_class=JSON, response_model=list[SeaEvent], summary="Events with filters")
def events(
    request: Request,
    type: str | None = Query(None, description="comma-separated event types"),
    since: str | None = None,
    until: str | None = None,
    bbox: str | None = None,
    mmsi: int | None = Query(None, ge=0, le=999_999_999),
    limit: int = Query(200, ge=1, le=5000),
) -> Any:
    types = [t for t in (type or "").split(",") if t]
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise FieldError("type", f"unknown event type(s) {', '.join(unknown)}")
    query = EventQuery(
        types=types,
        since=parse_time(since, "since"),
        until=parse_time(until, "until"),
        bbox=parse_bbox(bbox),
        mmsi=mmsi,
        limit=limit,
    )
    store = _node(request).store
    return JSON([{**e.to_json(), "origin": store.event_origin(e.event_id)} for e in store.events(query)])
