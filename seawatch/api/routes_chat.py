"""Chat: rooms per case and regional rooms between partners, messages with free text and structured
reports (`node/chat.py` does the work; the federation shares them by the room's releasability).

- `GET  /api/chat/rooms?kind=` (viewer): rooms, newest activity first.
- `POST /api/chat/rooms` (admin): a regional room between this node and partner nations.
- `GET  /api/chat/cases/{case_id}` (viewer): the room of a case (`/api/cases`); an own case's room
  follows the case (title, status, the nations it is releasable to), a partner's case comes with its room.
- `GET  /api/chat/rooms/{room_id}` (viewer).
- `GET  /api/chat/rooms/{room_id}/messages?after=&before=&since=&limit=&lang=` (viewer): oldest first;
  `after`: only newer than that `seq`; `before`: the page before it; `lang`: reports rendered in it.
- `POST /api/chat/rooms/{room_id}/messages` (operator): text and/or a report; 201 with the message.
Unknown rooms are 404, bad messages 422 (problem+json naming the field); nothing is kept half-way.
Every message is pushed on `/api/live` as `{"kind": "case_message"}`, rooms as `{"kind": "chat_room"}`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from seawatch.api.auth import Admin, Operator, require
from seawatch.api.deps import ChatDep, NodeDep
from seawatch.api.problems import FieldError
from seawatch.api.schemas import parse_time
from seawatch.api.schemas_chat import (
    ChatMessage,
    ChatMessages,
    ChatRoom,
    ChatRooms,
    Lang,
    MessageIn,
    RegionRoomIn,
)
from seawatch.i18n import translate
from seawatch.i18n.render import render_report, report_lines
from seawatch.node.chat import ChatInputError

router = APIRouter(prefix="/api/chat", tags=["chat"])
VIEWER = [Depends(require("viewer"))]


def _field(exc: ChatInputError) -> FieldError:
    return FieldError(exc.field, exc.message, exc.kind, exc.ctx)


@router.get("/rooms", response_model=ChatRooms, dependencies=VIEWER, summary="Chat rooms")
async def rooms(node: NodeDep, kind: str | None = Query(None, pattern="^(case|region)$")) -> ChatRooms:
    found = await asyncio.to_thread(node.store.chat_rooms, kind)
    return ChatRooms.model_validate({"rooms": found})


@router.post("/rooms", response_model=ChatRoom, status_code=201, summary="Open a regional room (admin)")
async def open_region(node: NodeDep, body: RegionRoomIn, who: Admin) -> ChatRoom:
    try:
        room = await asyncio.to_thread(node.chat.open_region_room, body.slug, body.title, body.members)
    except ChatInputError as exc:
        raise _field(exc) from exc
    await asyncio.to_thread(node.store.audit, who.name, "chat.room", {"room_id": room["room_id"]})
    return ChatRoom.model_validate(room)


@router.get("/cases/{case_id}", response_model=ChatRoom, dependencies=VIEWER, summary="A case's chat room")
async def case_room(chat: ChatDep, case_id: str) -> ChatRoom:
    return ChatRoom.model_validate(await asyncio.to_thread(chat.case_room, case_id))


@router.get("/rooms/{room_id}", response_model=ChatRoom, dependencies=VIEWER, summary="One chat room")
async def room(chat: ChatDep, room_id: str) -> ChatRoom:
    return ChatRoom.model_validate(await asyncio.to_thread(chat.room, room_id))


@router.get(
    "/rooms/{room_id}/messages",
    response_model=ChatMessages,
    dependencies=VIEWER,
    summary="A room's messages, oldest first (reports rendered in ?lang=)",
)
async def messages(
    node: NodeDep,
    room_id: str,
    after: int | None = Query(None, ge=0, description="only messages with a greater seq"),
    before: int | None = Query(None, ge=1, description="the page of messages before this seq"),
    since: str | None = Query(None, description="written at or after this ISO time"),
    limit: int = Query(200, ge=1, le=1000),
    lang: Annotated[Lang | None, Query(description="render reports in this language")] = None,
) -> ChatMessages:
    found = await asyncio.to_thread(node.chat.room, room_id)
    start = parse_time(since, "since")
    rows = await asyncio.to_thread(
        node.store.chat_messages, room_id, after, before, start.timestamp() if start else None, limit
    )
    translations = await asyncio.to_thread(node.store.chat_translations, [r["id"] for r in rows])
    out = [_message(r, translations.get(r["id"], {}), lang) for r in rows]
    last = rows[-1]["seq"] if rows else after
    return ChatMessages.model_validate({"room": found, "messages": out, "last_seq": last})


@router.post(
    "/rooms/{room_id}/messages",
    response_model=ChatMessage,
    status_code=201,
    summary="Post a message: free text and/or a structured report (operator)",
)
async def post(chat: ChatDep, room_id: str, body: MessageIn, who: Operator) -> ChatMessage:
    report = None if body.report is None else body.report.model_dump(mode="json", exclude_none=True)
    try:
        row = await chat.post(room_id, who.name, body.text, body.lang, report)
    except ChatInputError as exc:
        raise _field(exc) from exc
    return ChatMessage.model_validate(_message(row, {}, body.lang))


def _message(row: dict[str, Any], translations: dict[str, str], lang: str | None) -> dict[str, Any]:
    out = {**row, "translations": translations}
    if row.get("text") and not translations and not translate.available():
        out["translation_note"] = translate.NO_MODEL
    if row.get("report") and lang:
        title, lines = report_lines(row["report"], lang)
        out["rendered"] = {
            "lang": lang,
            "title": title,
            "lines": [{"label": label, "value": value} for label, value in lines],
            "text": render_report(row["report"], lang),
        }
    return out
