"""What the node's chat hands the federation (`share/node_link.py` asks `ChatService.share_data`).

- A case room's header goes out as `case` (id, room, owner, title, status, `releasable_to`, and when
  sent for a change of its case, the case's `version` and that change `change`: open, update, link,
  unlink, note, attach), a regional room's as `chat_room`; an own message as `case_message`. Each is
  stamped with the room's nations (`releasable_to`): only partners named there receive it.
- A partner's case header is kept as a case of that origin (`keep_partner_case`); a change it tells of
  that leaves the header's fields alone (a link, an unlink, a note, a file) is an `update` row on the
  copy's timeline (`origin_change`, `origin_version`).
- A nation added to a room later gets the room's earlier messages that this node wrote, in the order
  they were written, once: `backlog(...)` gives them as live items stamped `resend_to` (those nations
  only), which go to the federation alone (`LiveBus.notify`), never to the pages again. The header that
  named the new nation is queued before them, so it arrives first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from seawatch.cases import STATUSES
from seawatch.node.bus import LiveItem
from seawatch.store.base import Store
from seawatch.timeutil import iso_utc

PAGE = 500


def share_data(
    store: Store, node_id: str, kind: str, item: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """(share kind, data) of an own room or message, `releasable_to` stamped from the room (None: not
    this node's to share, or nobody to send it to)."""
    if kind == "chat_room":
        if item["owner"] != node_id:
            return None
        if item["kind"] == "case":
            return "case", _clean({**_case_head(item), "releasable_to": item["members"]})
        data = {
            "updated": item["updated"],
            "room_id": item["room_id"],
            "owner": item["owner"],
            "title": item["title"],
            "created": item["created"],
            "releasable_to": item["members"],
        }
        return "chat_room", _clean(data)
    if kind == "case_message":
        if item["origin"] != node_id:
            return None
        room = store.chat_room(item["room_id"])
        if room is None:
            return None
        to = item.get("resend_to")
        nations = room["members"] if to is None else sorted(set(to) & set(room["members"]))
        if not nations:
            return None
        data = {
            "id": item["id"],
            "room_id": item["room_id"],
            "case_id": room.get("case_id"),
            "seq": item["origin_seq"],
            "time": item["time"],
            "author": item["author"],
            "lang": item.get("lang"),
            "text": item.get("text"),
            "report": item.get("report"),
            "releasable_to": nations,
        }
        return "case_message", _clean(data)
    return None


def _case_head(room: dict[str, Any]) -> dict[str, Any]:
    """A case room's header; stamped (`node/chat.py`, when its case changed) with the case's version, its
    last change and time, so a link or an unlink, which leave the room as it was, still reach the
    partners as an update of the case."""
    updated = room.get("case_updated")
    return {
        "id": room["case_id"],
        "status": room.get("status"),
        "opened": room["created"],
        "updated": room["updated"] if updated is None else iso_utc(float(updated)),
        "version": room.get("case_version"),
        "change": room.get("case_change"),
        "room_id": room["room_id"],
        "owner": room["owner"],
        "title": room["title"],
    }


def backlog(store: Store, node_id: str, room_id: str, nations: Collection[str]) -> Iterator[LiveItem]:
    """This node's earlier messages in a room, in the order written, for `nations` only."""
    to = sorted(set(nations) - {node_id})
    if not to:
        return
    after = 0
    while True:
        page = store.chat_messages(room_id, after_seq=after, limit=PAGE)
        for msg in page:
            if msg["origin"] == node_id:
                yield LiveItem("case_message", {**msg, "resend_to": to}, node_id)
        if len(page) < PAGE:
            return
        after = int(page[-1]["seq"])


def keep_partner_case(store: Store, origin: str, p: dict[str, Any]) -> dict[str, Any] | None:
    """A partner's case header as a case of that origin in the node's case list (created, or its title,
    status and releasability updated, or the change it tells of noted); its summary when anything was
    written."""
    status = p.get("status") if p.get("status") in STATUSES else "open"
    fields = {"title": str(p["title"])[:200], "status": status, "releasable_to": list(p["releasable_to"])}
    actor = f"partner:{origin}"
    case_id = str(p["id"])
    if store.case_row(case_id) is None:
        case = {**fields, "id": case_id, "opened_from": "manual", "origin_node": origin}
        store.create_case(case, [], actor)
    elif not store.update_case(case_id, fields, actor):
        change = p.get("change")
        if change not in ("link", "unlink", "note", "attach"):
            return None
        details = {"origin_change": change, "origin_version": p.get("version")}
        if not store.record_case_change(case_id, actor, details):
            return None
    row = store.case_row(case_id)
    return None if row is None else dict(row)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
