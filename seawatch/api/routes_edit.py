"""Watchlist (read: viewer; edit: analyst), sightings (report: operator), observations
(`POST /api/observations`, operator: what `seawatch ingest` sends)."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from seawatch.api.auth import Analyst, Operator, require
from seawatch.api.models import ObservationsAccepted, Sighting, WatchEntry
from seawatch.api.responses import JSON
from seawatch.api.schemas import ObservationsIn, SightingIn, WatchIn
from seawatch.errors import NotFoundError
from seawatch.model import AisStatic, Observation
from seawatch.node.node import Node

router = APIRouter(prefix="/api")


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


# -- watchlist ---------------------------------------------------------------------------------------
@router.get(
    "/watchlist",
    response_class=JSON,
    response_model=list[WatchEntry],
    dependencies=[Depends(require("viewer"))],
)
def list_watch(request: Request) -> Any:
    return JSON(_node(request).store.watchlist())


@router.post("/watchlist", status_code=201, response_class=JSON, response_model=WatchEntry)
def add_watch(request: Request, entry: WatchIn, who: Analyst) -> Any:
    node = _node(request)
    row = node.store.add_watch({**entry.model_dump(), "created_by": who.name})
    node.store.audit(who.name, "watchlist.add", {"id": row["id"], "mmsi": row["mmsi"]})
    node.refresh_watchlist()
    return JSON(row, status_code=201)


@router.delete("/watchlist/{entry_id}", status_code=204)
def delete_watch(request: Request, entry_id: str, who: Analyst) -> Response:
    node = _node(request)
    if not node.store.delete_watch(entry_id):
        raise NotFoundError(f"no watchlist entry {entry_id}")
    node.store.audit(who.name, "watchlist.delete", {"id": entry_id})
    node.refresh_watchlist()
    return Response(status_code=204)


# -- sightings and observations ------------------------------------------------------------------------
@router.get(
    "/sightings",
    response_class=JSON,
    response_model=list[Sighting],
    dependencies=[Depends(require("viewer"))],
)
async def list_sightings(request: Request) -> Any:
    return JSON(await asyncio.to_thread(_node(request).store.sightings, 200))


@router.post("/sightings", status_code=201, response_class=JSON, response_model=Sighting)
async def report_sighting(request: Request, body: SightingIn, who: Operator) -> Any:
    row = {
        "t": body.epoch(),
        "lat": body.lat,
        "lon": body.lon,
        "mmsi": body.mmsi,
        "sog_kn": body.sog_kn,
        "cog_deg": body.cog_deg,
        "name": body.name,
        "notes": body.notes,
        "reported_by": who.name,
    }
    saved = await _node(request).report_sighting(row)
    return JSON(saved, status_code=201)


@router.post("/observations", response_class=JSON, response_model=ObservationsAccepted)
async def post_observations(request: Request, body: ObservationsIn, who: Operator) -> Any:
    """Feed observations and AIS static reports to the pipeline; answers once they are committed."""
    timed: list[tuple[float, int, Observation | AisStatic]] = [
        (
            o.time.timestamp(),
            0,
            Observation(
                time=o.time,
                lat=o.lat,
                lon=o.lon,
                sensor=o.sensor,
                source=o.source,
                mmsi=o.mmsi,
                target_ref=o.target_ref,
                sog_kn=o.sog_kn,
                cog_deg=o.cog_deg,
                heading_deg=o.heading_deg,
            ),
        )
        for o in body.observations
    ]
    timed += [
        (
            s.time.timestamp() if s.time else 0.0,
            1,
            AisStatic(
                **s.model_dump(exclude={"time"}),
                received_at=s.time.astimezone(UTC) if s.time else None,
            ),
        )
        for s in body.statics
    ]
    timed.sort(key=lambda entry: (entry[0], entry[1]))
    batch_id = await _node(request).submit(f"api:{who.name}", [item for _, _, item in timed])
    return JSON({"accepted": len(timed), "batch": batch_id})
