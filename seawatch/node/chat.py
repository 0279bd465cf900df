"""Chat on the node: rooms (one per case, regional ones between partners), messages, partner chat.

Cases (`seawatch/cases`): every change of one of this node's cases opens or updates its room (title,
status, the nations it is releasable to), so the case's header reaches the partners it is released to
before any message of it. A partner's case header, once vetted, is also kept as a case of that origin
(`origin_node`), so it is listed with the node's cases.

Own messages: checked (room known, text or a valid structured report, length, language), kept in one
transaction (`store/chat.py`), then published on the live bus as `case_message` (WebSocket clients see
them; the federation link queues them for every partner the room is releasable to). A room created or
changed here is published as `chat_room` (the federation shares a case room's header as `case`, a
regional room as `chat_room`).

Partner chat: `vet` decides, before anything is kept, whether a partner's room header or message may
be taken (called by the federation with a whole batch, so a header and the messages behind it in the
same batch are judged together); `receive` keeps what passed and pushes it to the page. A refused item is
quarantined by the federation with the reason `vet` gave.

Free text is kept with its language (given, else guessed from common words, else unknown); where an
argostranslate model is installed, translations are made afterwards in a worker thread with a timeout
and pushed again (the message itself never waits for them).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from seawatch.cases import service_for
from seawatch.errors import InputError, NotFoundError
from seawatch.i18n import LANGUAGES, translate
from seawatch.i18n.detect import guess_language
from seawatch.i18n.reports import parse_report, report_json
from seawatch.node.bus import LiveItem
from seawatch.node.chat_share import backlog, keep_partner_case, share_data
from seawatch.timeutil import parse_utc

if TYPE_CHECKING:
    from seawatch.node.node import Node

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # characters of a message (share/fields.py declares the same)
MAX_TITLE = 200
TRANSLATE_TIMEOUT_S = 20.0
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ChatInputError(InputError):
    """A message or room that cannot be taken: the API answers 422 naming `field`."""

    def __init__(
        self, field: str, message: str, kind: str | None = None, ctx: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.kind = (
            kind  # pydantic-style error type (string_too_long...) and its values, for the page's words
        )
        self.ctx = ctx


def _check_case_id(case_id: str) -> None:
    """A case id names a chat room, so it must be a slug."""
    if not SLUG.match(case_id):
        raise ChatInputError(
            "case_id", "letters, digits, - and _ only (at most 64)", "id_chars", {"max_length": 64}
        )


def case_room_id(owner: str, case_id: str) -> str:
    return f"case:{owner}:{case_id}"


def region_room_id(owner: str, slug: str) -> str:
    return f"region:{owner}:{slug}"


class ChatService:
    def __init__(self, node: Node, translate_to: Sequence[str] = LANGUAGES) -> None:
        self.node = node
        self.translate_to = tuple(translate_to)
        self._tasks: set[asyncio.Task[None]] = set()
        self.translated = 0
        self.translation_failures = 0
        self.cases = service_for(node.store)
        self.cases.subscribe(self._case_changed)

    @property
    def node_id(self) -> str:
        return self.node.node_id

    # --- rooms ---------------------------------------------------------------------------------------
    def _case_changed(self, change: dict[str, Any]) -> None:
        """A case listener (called in the thread that changed the case): an own case's room follows it."""
        case = change["case"]
        if case.get("origin_node"):
            return  # a partner's case: its owner says who sees it
        try:
            _check_case_id(case["id"])
            room_id = case_room_id(self.node_id, case["id"])
            members = case.get("releasable_to") or ()
            stamp = {  # what the partners are told of the case with its header (node/chat_share.py)
                "case_version": case.get("version"),
                "case_change": change["entry"]["action"],
                "case_updated": case.get("updated_at"),
            }
            self._put_room("case", room_id, case["id"], case["title"], members, case.get("status"), stamp)
        except Exception:  # the case is changed whatever happens to its room; the room follows on next use
            log.exception("chat room of case %s not updated", case.get("id"))

    def case_room(self, case_id: str) -> dict[str, Any]:
        """The room of a case this node holds (own: opened now if it has none yet; a partner's: as shared)."""
        row = self.node.store.case_row(case_id)
        if row is None:
            raise NotFoundError(f"no case {case_id!r}")
        if row.get("origin_node"):
            return self.room(case_room_id(row["origin_node"], case_id))
        return self.open_case_room(case_id, row["title"], row.get("releasable_to") or (), row.get("status"))

    def open_case_room(
        self, case_id: str, title: str, releasable_to: Sequence[str], status: str | None = None
    ) -> dict[str, Any]:
        """Create or update the room of one of this node's cases; `releasable_to`: the partner nations
        that may see the case (and so its chat). Published (and so shared) when anything changed."""
        _check_case_id(case_id)
        return self._put_room(
            "case", case_room_id(self.node_id, case_id), case_id, title, releasable_to, status
        )

    def open_region_room(self, slug: str, title: str, members: Sequence[str]) -> dict[str, Any]:
        """A regional room between this node and `members` (admin)."""
        if not SLUG.match(slug):
            raise ChatInputError(
                "slug",
                "lower-case letters, digits, - and _ only (at most 64)",
                "slug_chars",
                {"max_length": 64},
            )
        return self._put_room("region", region_room_id(self.node_id, slug), None, title, members, None)

    def _put_room(
        self,
        kind: str,
        room_id: str,
        case_id: str | None,
        title: str,
        members: Sequence[str],
        status: str | None,
        stamp: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create or update an own room and publish it when it changed. With `stamp` (its case changed:
        version, change, time) the federation gets the header stamped with it even when the room did not
        change. Nations new to the room are sent this node's earlier messages in it, after the header."""
        title = title.strip()
        if not title:
            raise ChatInputError(
                "title", f"1 to {MAX_TITLE} characters", "string_too_short", {"min_length": 1}
            )
        if len(title) > MAX_TITLE:
            raise ChatInputError(
                "title", f"1 to {MAX_TITLE} characters", "string_too_long", {"max_length": MAX_TITLE}
            )
        bad = [m for m in members if not NODE_ID.match(m)]
        if bad:
            raise ChatInputError("members", f"not node ids: {bad}", "not_node_ids", {"ids": ", ".join(bad)})
        room = {
            "room_id": room_id,
            "kind": kind,
            "case_id": case_id,
            "title": title,
            "owner": self.node_id,
            "members": sorted({*members, self.node_id}),
            "status": status,
        }
        old = self.node.store.chat_room(room_id)
        stored, changed = self.node.store.chat_put_room(room)
        header = [LiveItem("chat_room", stored, self.node_id)]
        if stamp is None:
            if changed:
                self._publish(header, "all")
        else:
            if changed:
                self._publish(header, "pages")
            if changed or len(stored["members"]) > 1:
                self._publish([LiveItem("chat_room", {**stored, **stamp}, self.node_id)], "subscribers")
        added = set(stored["members"]) - set(old["members"] if old else stored["members"])
        if added:
            self._publish(list(backlog(self.node.store, self.node_id, room_id, added)), "subscribers")
        return stored

    def _publish(self, items: list[LiveItem], to: str) -> None:
        """On the node's loop, whichever thread we are in (case listeners run in worker threads); `to`:
        "all" (subscribers such as the federation, and the pages), "pages" or "subscribers" only."""
        if not items:
            return
        bus = self.node.bus

        def to_pages(found: list[LiveItem]) -> None:
            for item in found:
                bus.broadcast(item.kind, item.item)

        publish = {"all": bus.publish, "subscribers": bus.notify, "pages": to_pages}[to]
        loop = self.node.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop or loop.is_closed():
            publish(items)
        else:
            loop.call_soon_threadsafe(publish, items)

    def room(self, room_id: str) -> dict[str, Any]:
        room = self.node.store.chat_room(room_id)
        if room is None:
            raise NotFoundError(f"no chat room {room_id!r}")
        return room

    # --- own messages ----------------------------------------------------------------------------------
    async def post(
        self,
        room_id: str,
        author: str,
        text: str | None = None,
        lang: str | None = None,
        report: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Keep and publish one message of this node's user `author`; raises NotFoundError (unknown room)
        or ChatInputError (nothing stored) for bad input."""
        room = await asyncio.to_thread(self.node.store.chat_room, room_id)
        if room is None:
            raise NotFoundError(f"no chat room {room_id!r}")
        if self.node_id not in room["members"]:
            raise NotFoundError(f"no chat room {room_id!r}")
        msg = self._checked(text, lang, report)
        msg.update(
            msg_id=f"{self.node_id}:{uuid.uuid4().hex[:24]}",
            room_id=room_id,
            origin=self.node_id,
            author=author,
            t=time.time(),
        )
        stored, _ = await asyncio.to_thread(self.node.store.chat_add_message, msg, True)
        self.node.bus.publish([LiveItem("case_message", _live(stored), self.node_id)])
        self._translate_later(stored)
        return stored

    @staticmethod
    def _checked(text: str | None, lang: str | None, report: dict[str, Any] | None) -> dict[str, Any]:
        text = None if text is None else text.strip()
        if not text and report is None:
            raise ChatInputError(
                "text",
                "empty message: write some text or send a report",
                "string_too_short",
                {"min_length": 1},
            )
        if text is not None and len(text) > MAX_TEXT:
            raise ChatInputError(
                "text", f"{len(text)} characters > {MAX_TEXT}", "string_too_long", {"max_length": MAX_TEXT}
            )
        if lang is not None and lang not in LANGUAGES:
            raise ChatInputError(
                "lang", f"one of {', '.join(LANGUAGES)}", "literal_error", {"expected": ", ".join(LANGUAGES)}
            )
        parsed = None
        if report is not None:
            try:
                parsed = report_json(parse_report(report))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ()))
                raise ChatInputError(
                    f"report.{where}".rstrip("."), str(first.get("msg")), first.get("type"), first.get("ctx")
                ) from exc
        source = "given" if lang else "unknown"
        if text and lang is None:
            lang = guess_language(text)
            source = "detected" if lang else "unknown"
        return {"text": text or None, "lang": lang, "lang_source": source, "report": parsed}

    # --- sharing -------------------------------------------------------------------------------------
    def share_data(self, kind: str, item: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """(share kind, data) of an own room or message for the federation (`node/chat_share.py`)."""
        return share_data(self.node.store, self.node_id, kind, item)

    def vet(self, items: Sequence[tuple[str, str, dict[str, Any]]]) -> dict[int, str]:
        """For a batch of partner items (origin, kind, payload), in order: index -> why it must be refused
        (quarantined). Headers earlier in the batch count for the messages behind them."""
        pending: dict[str, list[str]] = {}
        refused: dict[int, str] = {}
        for index, (origin, kind, payload) in enumerate(items):
            if kind in ("case", "chat_room"):
                reason = self._vet_header(origin, kind, payload)
                if reason is None:
                    pending[str(payload["room_id"])] = [*payload["releasable_to"], origin]
            elif kind == "case_message":
                reason = self._vet_message(origin, payload, pending)
            else:
                continue
            if reason is not None:
                refused[index] = reason
        return refused

    def _vet_header(self, origin: str, kind: str, p: dict[str, Any]) -> str | None:
        if p.get("owner") != origin:
            return f"{kind} owned by {p.get('owner')!r} sent by {origin!r}"
        if self.node_id not in (p.get("releasable_to") or ()):
            return f"{kind} {p.get('room_id')!r} is not releasable to {self.node_id}"
        prefix = "case" if kind == "case" else "region"
        expected = f"{prefix}:{origin}:{p.get('id')}" if kind == "case" else None
        room_id = str(p.get("room_id"))
        if not room_id.startswith(f"{prefix}:{origin}:") or (expected and room_id != expected):
            return f"{kind} room id {room_id!r} is not {origin}'s"
        if len(str(p.get("title") or "").strip()) == 0:
            return f"{kind} without a title"
        existing = self.node.store.chat_room(room_id)
        if existing is not None and existing["owner"] != origin:
            return f"room {room_id!r} belongs to {existing['owner']}"
        if kind == "case":
            case = self.node.store.case_row(str(p.get("id")))
            if case is not None and case.get("origin_node") != origin:
                return f"case {p.get('id')!r} is not {origin}'s"
        return None

    def _vet_message(self, origin: str, p: dict[str, Any], pending: dict[str, list[str]]) -> str | None:
        room_id = str(p.get("room_id"))
        members = pending.get(room_id)
        if members is None:
            room = self.node.store.chat_room(room_id)
            if room is None:
                return f"message for unknown room {room_id!r}"
            members = room["members"]
        if origin not in members:
            return f"{origin} may not write in room {room_id!r} (members {sorted(members)})"
        if self.node_id not in members:
            return f"room {room_id!r} is not releasable to {self.node_id}"
        if not str(p.get("id")).startswith(f"{origin}:"):
            return f"message id {p.get('id')!r} is not {origin}'s"
        try:
            self._checked(p.get("text"), p.get("lang"), p.get("report"))
        except ChatInputError as exc:
            return f"message {exc}"
        return None

    async def receive(self, origin: str, kind: str, payload: dict[str, Any]) -> None:
        """Keep a vetted partner item and push it to the page (a message already kept: nothing)."""
        if kind in ("case", "chat_room"):
            room = {
                "room_id": payload["room_id"],
                "kind": "case" if kind == "case" else "region",
                "case_id": payload.get("id") if kind == "case" else None,
                "title": payload["title"],
                "owner": origin,
                "members": sorted({*payload["releasable_to"], origin}),
                "status": payload.get("status"),
            }
            stored, changed = await asyncio.to_thread(self.node.store.chat_put_room, room)
            if kind == "case":
                summary = await asyncio.to_thread(keep_partner_case, self.node.store, origin, payload)
                if summary is not None:
                    self.node.bus.broadcast("case", summary)
            if changed:
                self.node.bus.publish([LiveItem("chat_room", stored, origin)])
            return
        checked = self._checked(payload.get("text"), payload.get("lang"), payload.get("report"))
        if payload.get("lang"):
            checked["lang_source"] = "given"
        msg = {
            **checked,
            "msg_id": payload["id"],
            "room_id": payload["room_id"],
            "origin": origin,
            "origin_seq": int(payload["seq"]),
            "author": str(payload.get("author") or "?"),
            "t": parse_utc(str(payload["time"])).timestamp(),
        }
        stored, fresh = await asyncio.to_thread(self.node.store.chat_add_message, msg, False)
        if fresh:
            self.node.bus.publish([LiveItem("case_message", _live(stored), origin)])
            self._translate_later(stored)

    # --- translation (optional, never in the way) ----------------------------------------------------
    def _translate_later(self, msg: dict[str, Any]) -> None:
        if not msg.get("text") or not msg.get("lang") or not translate.available():
            return
        task = asyncio.create_task(self._translate(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _translate(self, msg: dict[str, Any]) -> None:
        done = False
        for target in translate.targets(msg["lang"], self.translate_to):
            try:
                text = await asyncio.wait_for(
                    asyncio.to_thread(translate.translate, msg["text"], msg["lang"], target),
                    TRANSLATE_TIMEOUT_S,
                )
            except Exception:
                self.translation_failures += 1
                log.warning("translation %s->%s of %s failed or timed out", msg["lang"], target, msg["id"])
                continue
            if text:
                await asyncio.to_thread(
                    self.node.store.chat_set_translation, msg["id"], target, text, "argos"
                )
                self.translated += 1
                done = True
        if done:  # to the page only: the message itself was shared already
            found = await asyncio.to_thread(self.node.store.chat_translations, [msg["id"]])
            self.node.bus.broadcast("case_message", {**msg, "translations": found.get(msg["id"], {})})


def _live(msg: dict[str, Any]) -> dict[str, Any]:
    """A kept message as the page gets it live (as the API answers it): no translation yet, and a note
    when the node has no model to make one."""
    note = translate.NO_MODEL if msg.get("text") and not translate.available() else None
    return {**msg, "translations": {}, "translation_note": note}
