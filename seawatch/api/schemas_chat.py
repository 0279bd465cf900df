"""Chat's request and response models (`routes_chat.py`); reports are `seawatch/i18n/reports.py`'s own
models, so the page's generated types list every report field and code."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seawatch.api.models import ApiModel, IsoTime
from seawatch.i18n.reports import AssistanceRequest, ContactReport, Handover, Report
from seawatch.node.chat import MAX_TEXT, MAX_TITLE

Lang = Literal["en", "es", "fr", "nl", "ht", "pap"]
NodeId = str


class ChatRoom(ApiModel):
    room_id: str = Field(description="case:<owner>:<case id> or region:<owner>:<slug>")
    kind: Literal["case", "region"]
    case_id: str | None
    title: str
    owner: str = Field(description="the node (nation) that opened it")
    members: list[str] = Field(description="nations (node ids) that may see the room, owner included")
    status: str | None
    created: IsoTime
    updated: IsoTime
    messages: int
    last_message: IsoTime | None


class ChatRooms(ApiModel):
    rooms: list[ChatRoom]


class RegionRoomIn(ApiModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="short name, unique on this node")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    members: list[str] = Field(min_length=1, max_length=32, description="partner node ids")


class MessageIn(ApiModel):
    """Free text (any of the six languages; give `lang` or it is guessed) and/or a structured report."""

    text: str | None = Field(None, max_length=MAX_TEXT)
    lang: Lang | None = None
    report: Report | None = None


class ReportLine(ApiModel):
    label: str
    value: str


class RenderedReport(ApiModel):
    lang: Lang
    title: str
    lines: list[ReportLine]
    text: str


class ChatMessage(ApiModel):
    id: str = Field(description="<origin node>:<random>, the same on every node")
    seq: int = Field(description="this node's order of arrival (paging: ?after=seq)")
    room_id: str
    origin: str = Field(description="the author's node (nation)")
    origin_seq: int = Field(description="the origin node's own order of its messages")
    author: str
    time: IsoTime
    lang: Lang | None = Field(description="language of the text (None: unknown)")
    lang_source: Literal["given", "detected", "unknown"]
    text: str | None
    report: ContactReport | AssistanceRequest | Handover | None = None
    received: IsoTime
    translations: dict[str, str] = Field(default_factory=dict, description="machine translations by language")
    translation_note: str | None = Field(None, description='e.g. "no translation model installed"')
    rendered: RenderedReport | None = Field(None, description="the report in the language asked (?lang=)")


class ChatMessages(ApiModel):
    room: ChatRoom
    messages: list[ChatMessage]
    last_seq: int | None = Field(description="ask again with ?after= this to get only newer messages")
