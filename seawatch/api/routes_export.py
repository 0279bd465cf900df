"""Exports over HTTP: `GET /api/export/{kind}` streams GeoJSON, KML, CSV or GeoParquet (role viewer).

The format is the `format` parameter, else the `Accept` header (`application/geo+json`,
`application/json`, `application/vnd.google-earth.kml+xml`, `text/csv`, `application/vnd.apache.parquet`
or `application/x-parquet`; none or `*/*` means GeoJSON). An unknown `format` is a 400 and an `Accept`
that names none of them a 406, both problem+json: never JSON by surprise. Each export is audited.
`GET /api/export` lists what can be exported.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from seawatch.api.auth import Principal, require
from seawatch.errors import InputError
from seawatch.export import EXTENSIONS, FORMATS, KINDS, MEDIA_TYPES, StoreSource, build_query, export_bytes
from seawatch.export.query import parse_bbox, parse_format, zone_area
from seawatch.timeutil import iso_utc

router = APIRouter(prefix="/api", tags=["export"])
Viewer = Annotated[Principal, Depends(require("viewer"))]

ACCEPTED = {
    "application/geo+json": "geojson",
    "application/json": "geojson",
    "application/vnd.google-earth.kml+xml": "kml",
    "text/csv": "csv",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
}


class ExportCatalogue(BaseModel):
    kinds: list[str] = Field(description="what can be exported")
    formats: dict[str, str] = Field(description="format name -> media type")
    max_window_days: int


class GeoJsonFeature(BaseModel):
    type: str = "Feature"
    geometry: dict[str, Any]
    properties: dict[str, Any]


class GeoJsonExport(BaseModel):
    """The GeoJSON shape; the other formats are files (see the media types of the 200 answer)."""

    type: str = "FeatureCollection"
    features: list[GeoJsonFeature]


_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, streamed, in the media type asked for (Content-Disposition: attachment).",
        "content": {
            MEDIA_TYPES["kml"]: {"schema": {"type": "string", "description": "KML 2.2 document"}},
            MEDIA_TYPES["csv"]: {"schema": {"type": "string", "description": "CSV with a header"}},
            MEDIA_TYPES["parquet"]: {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "GeoParquet 1.1 (WKB geometry)",
                }
            },
        },
    },
    400: {"description": "unknown format, bad window, bbox, zone or filter (problem+json)"},
    406: {"description": "the Accept header names no format Seawatch writes (problem+json)"},
}


def negotiate(fmt: str | None, accept: str | None) -> str:
    """The format: `format` wins; else the first media type of `Accept` we write, by its q order."""
    if fmt:
        return parse_format(fmt)
    if not accept:
        return "geojson"
    offers = []
    for i, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        offers.append((-q, i, media.lower()))
    for neg_q, _, media in sorted(offers):
        if neg_q >= 0:
            continue
        if media in ACCEPTED:
            return ACCEPTED[media]
        if media in ("*/*", "application/*"):
            return "geojson"
        if media == "text/*":
            return "csv"
    raise HTTPException(
        406,
        f"Accept: none of {accept!r} is a format Seawatch exports ({', '.join(sorted(ACCEPTED))}); "
        "or give ?format=" + "|".join(FORMATS),
    )


@router.get("/export", response_model=ExportCatalogue, summary="What can be exported, in which formats")
def catalogue(_: Viewer) -> ExportCatalogue:
    from seawatch.export.query import MAX_WINDOW

    return ExportCatalogue(kinds=list(KINDS), formats=dict(MEDIA_TYPES), max_window_days=MAX_WINDOW.days)


@router.get(
    "/export/{kind}",
    response_model=GeoJsonExport,
    responses=_FILE_RESPONSES,
    summary="Export positions, tracks, events, zones or sightings (GeoJSON, KML, CSV, GeoParquet)",
)
async def export(
    request: Request,
    kind: str,
    who: Viewer,
    format: Annotated[
        str | None, Query(description="geojson | kml | csv | parquet (else from Accept)")
    ] = None,
    start: Annotated[str | None, Query(description="ISO 8601 UTC (default: 24 h before end)")] = None,
    end: Annotated[str | None, Query(description="ISO 8601 UTC (default: now)")] = None,
    bbox: Annotated[
        str | None, Query(description="minlon,minlat,maxlon,maxlat; minlon > maxlon crosses ±180°")
    ] = None,
    zone: Annotated[str | None, Query(description="a zone id (instead of bbox)")] = None,
    mmsi: Annotated[list[int] | None, Query(description="only these vessels")] = None,
    track: Annotated[list[str] | None, Query(description="only these tracks")] = None,
    type: Annotated[list[str] | None, Query(description="only these event types")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    fmt = negotiate(format, accept)
    node = request.app.state.node
    if bbox and zone:
        raise InputError("area: give bbox or zone, not both")
    area = parse_bbox(bbox) if bbox else zone_area(node.store.zone(zone), zone) if zone else None
    query = build_query(kind, start, end, datetime.now(UTC), area, mmsi, type, track)
    blocks = export_bytes(StoreSource(node.store), query, fmt)
    first = await asyncio.to_thread(next, blocks, b"")  # errors found before the first byte are a 400
    details = {"kind": kind, "format": fmt, "start": iso_utc(query.start), "end": iso_utc(query.end),
               "area": query.area.label}  # fmt: skip
    await asyncio.to_thread(node.store.audit, who.name, "export", details)
    name = f"seawatch-{kind}-{query.start:%Y%m%dT%H%M%SZ}-{query.end:%Y%m%dT%H%M%SZ}.{EXTENSIONS[fmt]}"

    def body() -> Iterator[bytes]:
        yield first
        yield from blocks

    return StreamingResponse(
        body(), media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class FormatGuard:
    """`?format=` on a JSON-only route is a 400 problem naming `/api/export`, never a silent 200 with
    JSON (routes that declare their own `format` parameter are left alone)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._routes: list[tuple[re.Pattern[str], bool]] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("query_string") and scope["path"].startswith("/api/"):
            params = parse_qs(scope["query_string"].decode("latin-1"))
            if "format" in params and not self._declares_format(scope):
                from seawatch.api.problems import problem

                detail = (f"format: {scope['path']} answers JSON only; files (geojson, kml, csv, "
                          "parquet) come from /api/export/{kind}?format=...")  # fmt: skip
                await problem(400, detail, scope["path"])(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _declares_format(self, scope: Any) -> bool:
        """From the app's OpenAPI description: does the GET route at this path take `format`? (A path
        no route describes is left to the router.)"""
        if self._routes is None:
            routes = []
            for path, operations in scope["app"].openapi().get("paths", {}).items():
                get = operations.get("get")
                if get is None:
                    continue
                pattern = re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$")
                takes = any(
                    p.get("name") == "format" and p.get("in") == "query" for p in get.get("parameters", [])
                )
                routes.append((pattern, takes))
            self._routes = routes
        for pattern, takes in self._routes:
            if pattern.match(scope["path"]):
                return takes
        return True
