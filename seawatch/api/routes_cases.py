"""Cases (`/api/cases`): viewers read, operators open and change them, analysts and above download
the evidence pack. Every change is on the case's timeline and in the audit log (`case.*`), and pushed
on the WebSocket as `{"kind": "case", "data": <case summary>}`.

Attachments are sent as the raw body (`POST /api/cases/{id}/attachments?name=photo.jpg` with the
file's `Content-Type`): a type off the allow-list is a 415, a file over `api.max_attachment_bytes` a
413, content that is not its declared type or an empty file a 422, all problem+json.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from seawatch.api.auth import Analyst, Operator, require
from seawatch.api.deps import CasesDep, NodeDep
from seawatch.api.problems import Refusal, field_problem, problem
from seawatch.api.schemas import SightingIn, parse_time
from seawatch.api.schemas_cases import (
    CaseAttachment,
    CaseIn,
    CaseMap,
    CaseOut,
    CasePatch,
    CasesOut,
    CaseVocabulary,
    LinkIn,
    NoteIn,
)
from seawatch.cases.evidence import EVIDENCE_MEDIA_TYPE, case_features, evidence_pack
from seawatch.cases.model import ATTACHMENT_TYPES, LINK_KINDS, MAX_NOTE_CHARS, OUTCOMES, STATUSES
from seawatch.cases.query import case_query
from seawatch.cases.service import (
    AttachmentTooLarge,
    AttachmentTypeRefused,
    CaseFieldError,
    StaleCaseVersion,
    check_attachment_type,
)
from seawatch.node.node import Node

router = APIRouter(prefix="/api", tags=["cases"])
_VIEWER = [Depends(require("viewer"))]


def _summary(case: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in case.items() if k not in ("links", "notes", "attachments", "timeline")}


def _answer(node: Node, case: dict[str, Any]) -> CaseOut:
    """Push the changed case's summary to live clients; answer the whole case."""
    node.bus.broadcast("case", _summary(case))
    return CaseOut.model_validate(case)


def install(app: FastAPI) -> None:
    """The router and the answers to the cases' own errors (422 naming the field, 413, 415)."""
    app.include_router(router)

    @app.exception_handler(CaseFieldError)
    async def on_field(request: Request, exc: CaseFieldError) -> JSONResponse:
        errors = [field_problem(exc.field, exc.message, exc.kind, exc.ctx)]
        return problem(422, str(exc), request.url.path, errors=errors)

    @app.exception_handler(AttachmentTooLarge)
    async def on_large(request: Request, exc: AttachmentTooLarge) -> JSONResponse:
        return problem(413, str(exc), request.url.path)

    @app.exception_handler(AttachmentTypeRefused)
    async def on_type(request: Request, exc: AttachmentTypeRefused) -> JSONResponse:
        return problem(415, str(exc), request.url.path)


@router.get("/cases/vocabulary", response_model=CaseVocabulary, dependencies=_VIEWER,
            summary="Statuses, outcomes, link kinds and attachment types")  # fmt: skip
def vocabulary(node: NodeDep) -> CaseVocabulary:
    return CaseVocabulary.model_validate({
        "statuses": list(STATUSES), "outcomes": list(OUTCOMES), "link_kinds": list(LINK_KINDS),
        "attachment_types": sorted(ATTACHMENT_TYPES),
        "max_attachment_bytes": node.settings.api.max_attachment_bytes,
        "max_note_chars": MAX_NOTE_CHARS,
    })  # fmt: skip


@router.get("/cases", response_model=CasesOut, dependencies=_VIEWER,
            summary="Cases, last changed first, filtered by status, text, times, vessel, link")  # fmt: skip
async def list_cases(
    cases: CasesDep,
    status: str | None = Query(None, description="comma-separated: open, monitoring, interdiction, closed"),
    q: str | None = Query(
        None, max_length=100, description="text in the id, title, summary, a note or a link's label"
    ),
    opened_after: str | None = Query(None, description="opened at or after this ISO time"),
    opened_before: str | None = Query(None, description="opened at or before this ISO time"),
    updated_after: str | None = Query(None, description="last changed at or after this ISO time"),
    updated_before: str | None = Query(None, description="last changed at or before this ISO time"),
    since: str | None = Query(None, description="same as updated_after (kept for older clients)"),
    until: str | None = Query(None, description="same as opened_before (kept for older clients)"),
    vessel: str | None = Query(
        None, max_length=100, description="a 9-digit MMSI, or part of a vessel's name, the case links"
    ),
    track: str | None = Query(None, max_length=200, description="links this track id"),
    event: str | None = Query(None, max_length=200, description="links this event id"),
    asset: str | None = Query(None, max_length=200, description="links this patrol asset id"),
    limit: int = Query(200, ge=1, le=1000),
) -> CasesOut:
    parse_time(since, "since")  # the old names' errors name them
    parse_time(until, "until")
    query = case_query(
        status=status,
        text=q,
        opened_after=opened_after,
        opened_before=opened_before if opened_before is not None else until,
        updated_after=updated_after if updated_after is not None else since,
        updated_before=updated_before,
        vessel=vessel,
        track=track,
        event=event,
        asset=asset,
        limit=limit,
    )
    rows = await asyncio.to_thread(cases.find, query)
    return CasesOut.model_validate({"cases": rows})


@router.post("/cases", status_code=201, response_model=CaseOut,
             summary="Open a case from an alert, a track, a vessel or by hand (operator)")  # fmt: skip
async def open_case(node: NodeDep, cases: CasesDep, body: CaseIn, who: Operator) -> CaseOut:
    origins = [("alert", body.event_id), ("track", body.track_id), ("vessel", body.mmsi and str(body.mmsi))]
    opened_from, ref = next(((kind, ref) for kind, ref in origins if ref), ("manual", None))
    case = await asyncio.to_thread(
        cases.open,
        who.name,
        opened_from,
        ref,
        body.title,
        body.summary,
        body.releasable_to,
        body.status,
    )
    return _answer(node, case)


@router.get("/cases/{case_id}", response_model=CaseOut, dependencies=_VIEWER,
            summary="A case with its links, notes, attachments and timeline")  # fmt: skip
async def get_case(cases: CasesDep, case_id: str) -> CaseOut:
    return CaseOut.model_validate(await asyncio.to_thread(cases.get, case_id))


@router.get("/cases/{case_id}/map", response_model=CaseMap, dependencies=_VIEWER,
            summary="The case's tracks, events and sightings as GeoJSON (the case view's map)")  # fmt: skip
async def case_map(cases: CasesDep, case_id: str) -> CaseMap:
    return CaseMap.model_validate(await asyncio.to_thread(case_features, cases, case_id))


@router.patch(
    "/cases/{case_id}",
    response_model=CaseOut,
    responses={409: {"description": "stale_version: the case changed since the `version` sent"}},
    summary="Change title, summary, status, outcome or releasability (operator)",
)
async def patch_case(node: NodeDep, cases: CasesDep, case_id: str, body: CasePatch, who: Operator) -> CaseOut:
    """With `version` (the one read): refused with 409 `stale_version` {current_version} if anyone
    changed the case since, nothing written. Without it the last writer wins (scripts)."""
    try:
        case = await asyncio.to_thread(cases.update, case_id, who.name, body.changes(), body.version)
    except StaleCaseVersion as exc:
        ctx = {"current_version": exc.current_version}
        raise Refusal(409, str(exc), "version", "stale_version", ctx) from None
    return _answer(node, case)


@router.post("/cases/{case_id}/links", response_model=CaseOut,
             summary="Link a track, event, sighting, patrol asset or vessel (operator)")  # fmt: skip
async def add_link(node: NodeDep, cases: CasesDep, case_id: str, body: LinkIn, who: Operator) -> CaseOut:
    case = await asyncio.to_thread(cases.link, case_id, who.name, body.kind, body.ref)
    return _answer(node, case)


@router.delete("/cases/{case_id}/links/{kind}/{ref}", response_model=CaseOut,
               summary="Remove a link (operator; kept on the timeline)")  # fmt: skip
async def remove_link(
    node: NodeDep, cases: CasesDep, case_id: str, kind: str, ref: str, who: Operator
) -> CaseOut:
    case = await asyncio.to_thread(cases.unlink, case_id, who.name, kind, ref)
    return _answer(node, case)


@router.post("/cases/{case_id}/notes", response_model=CaseOut, summary="Add a note (operator)")
async def add_note(node: NodeDep, cases: CasesDep, case_id: str, body: NoteIn, who: Operator) -> CaseOut:
    case = await asyncio.to_thread(cases.note, case_id, who.name, body.text)
    return _answer(node, case)


@router.post("/cases/{case_id}/sightings", response_model=CaseOut,
             summary="Report a sighting for this case (operator): kept, shown, linked")  # fmt: skip
async def add_sighting(
    node: NodeDep, cases: CasesDep, case_id: str, body: SightingIn, who: Operator
) -> CaseOut:
    service = cases
    await asyncio.to_thread(service.row, case_id)  # 404 before anything is reported
    row = {
        "t": body.epoch(), "lat": body.lat, "lon": body.lon, "mmsi": body.mmsi, "sog_kn": body.sog_kn,
        "cog_deg": body.cog_deg, "name": body.name, "notes": body.notes, "reported_by": who.name,
    }  # fmt: skip
    saved = await node.report_sighting(row)
    case = await asyncio.to_thread(service.link_sighting, case_id, who.name, saved)
    return _answer(node, case)


_ATTACHMENT_BODY = {
    "required": True,
    "description": "the file itself, with its Content-Type",
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}} for media in sorted(ATTACHMENT_TYPES)
    },
}


@router.post(
    "/cases/{case_id}/attachments",
    status_code=201,
    response_model=CaseAttachment,
    openapi_extra={"requestBody": _ATTACHMENT_BODY},
    responses={
        413: {"description": "larger than api.max_attachment_bytes"},
        415: {"description": "a type off the allow-list"},
    },
    summary="Attach a file (operator): the raw body, its type in Content-Type",
)
async def add_attachment(
    request: Request,
    node: NodeDep,
    cases: CasesDep,
    case_id: str,
    who: Operator,
    name: str = Query(min_length=1, max_length=200, description="the file's name, as shown"),
) -> CaseAttachment:
    limit = node.settings.api.max_attachment_bytes
    media_type = request.headers.get("content-type", "")
    service = cases
    await asyncio.to_thread(service.row, case_id)
    check_attachment_type(media_type)  # 415 before the body is read
    content = await request.body()
    saved = await asyncio.to_thread(service.attach, case_id, who.name, name, media_type, content, limit)
    node.bus.broadcast("case", _summary(await asyncio.to_thread(service.row, case_id)))
    return CaseAttachment.model_validate(saved)


_FILE = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    dependencies=_VIEWER,
    response_class=Response,
    responses={200: {"description": "the file, as attached (Content-Disposition: attachment)", **_FILE}},
    summary="Download an attachment",
)
async def get_attachment(cases: CasesDep, case_id: str, attachment_id: str) -> Response:
    meta, content = await asyncio.to_thread(cases.attachment, case_id, attachment_id)
    return Response(content, media_type=meta["media_type"], headers=_disposition(meta["name"]))


def _disposition(name: str) -> dict[str, str]:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}


@router.get(
    "/cases/{case_id}/evidence",
    response_class=Response,
    responses={
        200: {
            "description": "The evidence pack: one zip, reproducible byte for byte from the same data",
            "content": {EVIDENCE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    summary="Download the case's evidence pack (analyst and above; audited)",
)
async def evidence(node: NodeDep, cases: CasesDep, case_id: str, who: Analyst) -> Response:
    service = cases
    pack = await asyncio.to_thread(evidence_pack, service, case_id)
    details = {"case_id": case_id, "sha256": pack.sha256, "bytes": len(pack.content)}
    await asyncio.to_thread(node.store.audit, who.name, "case.evidence", details)
    return Response(pack.content, media_type=EVIDENCE_MEDIA_TYPE, headers=_disposition(pack.filename))
