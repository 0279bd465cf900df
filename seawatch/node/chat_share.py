"""What the node's chat hands the federation (`share/node_link.py` asks `ChatService.share_data`).

- A case room's header goes out as `case` (id, room, owner, title, status, the case's `version` and its
  last change `change` (open, update, link, unlink, note, attach), `releasable_to`), a regional room's
  as `chat_room`; an own message as `case_message`. Each is stamped with the room's nations
  (`releasable_to`): only partners named there receive it.
- A nation added to a room later gets the room's earlier messages that this node wrote, in the order
  they were written, once: `backlog(...)` gives them as live items stamped `resend_to` (those nations
  only), which go to the federation alone (`LiveBus.notify`), never to the pages again. The header that
  named the new nation is queued before them, so it arrives first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

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
            return "case", _clean({**_case_head(store, item), "releasable_to": item["members"]})
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


def _case_head(store: Store, room: dict[str, Any]) -> dict[str, Any]:
    """A case room's header: the room, and the case's version and last change (so a link or an unlink,
    which leave the room as it was, still reach the partners as an update of the case)."""
    head = {
        "id": room["case_id"],
        "status": room.get("status"),
        "opened": room["created"],
        "updated": room["updated"],
        "room_id": room["room_id"],
        "owner": room["owner"],
        "title": room["title"],
    }
    case = store.case_row(str(room["case_id"]))
    if case is not None and not case.get("origin_node"):
        timeline = store.case_timeline(case["id"])
        head.update(version=case["version"], updated=iso_utc(case["updated_at"]))
        if timeline:
            head["change"] = timeline[-1]["action"]
    return head


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


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
