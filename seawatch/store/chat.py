"""Chat rooms and messages (the node's side: `node/chat.py`; the API: `api/routes_chat.py`).

A room is one case's (`kind = case`) or a regional room between partners (`kind = region`); `members`
are the nations (node ids) that may see it, its owner included. A message keeps its origin node and
that node's own sequence number (`origin_seq`: the order its author wrote them in), and gets a local
`seq` when this node keeps it (arrival order, what paging uses). A message id is stored once: a
partner's message arriving again (redelivery, replay) changes nothing. Writes are one transaction each:
a message is kept whole or not at all.
"""

from __future__ import annotations

import json
import time
from typing import Any

from seawatch.store.connection import SqliteDb, rows_in
from seawatch.timeutil import iso_utc

_ROOM_COLS = "room_id, kind, case_id, title, owner, members, status, created_t, updated_t"
_MSG_COLS = "seq, msg_id, room_id, origin, origin_seq, author, t, lang, lang_source, text, report, received_t"


class SqliteChat(SqliteDb):
    def chat_put_room(self, room: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or update a room (`room_id, kind, case_id, title, owner, members, status`); returns the
        stored room and whether anything changed. The owner and kind of an existing room never change."""
        now = time.time()
        members = sorted(set(room["members"]) | {room["owner"]})
        with self._tx() as db:
            row = db.execute(
                f"SELECT {_ROOM_COLS} FROM chat_rooms WHERE room_id=?", (room["room_id"],)
            ).fetchone()
            if row is None:
                db.execute(
                    f"INSERT INTO chat_rooms ({_ROOM_COLS}) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        room["room_id"],
                        room["kind"],
                        room.get("case_id"),
                        room["title"],
                        room["owner"],
                        json.dumps(members),
                        room.get("status"),
                        float(room.get("created_t") or now),
                        now,
                    ),
                )
                changed = True
            else:
                old = _room(row)
                if old["owner"] != room["owner"] or old["kind"] != room["kind"]:
                    raise ValueError(f"room {room['room_id']} belongs to {old['owner']} ({old['kind']})")
                changed = (old["title"], old["members"], old["status"]) != (
                    room["title"],
                    members,
                    room.get("status"),
                )
                if changed:
                    db.execute(
                        "UPDATE chat_rooms SET title=?, members=?, status=?, updated_t=? WHERE room_id=?",
                        (room["title"], json.dumps(members), room.get("status"), now, room["room_id"]),
                    )
        stored = self.chat_room(room["room_id"])
        assert stored is not None
        return stored, changed

    def chat_room(self, room_id: str) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute(f"SELECT {_ROOM_COLS} FROM chat_rooms WHERE room_id=?", (room_id,))
            .fetchone()
        )
        return None if row is None else self._with_counts([_room(row)])[0]

    def chat_rooms(self, kind: str | None = None, member: str | None = None) -> list[dict[str, Any]]:
        """Rooms, newest activity first; `member`: only rooms that nation may see."""
        sql = f"SELECT {_ROOM_COLS} FROM chat_rooms"
        params: list[Any] = []
        if kind is not None:
            sql += " WHERE kind=?"
            params.append(kind)
        rooms = [_room(r) for r in self._reader().execute(sql, params)]
        if member is not None:
            rooms = [r for r in rooms if member in r["members"]]
        rooms = self._with_counts(rooms)
        rooms.sort(key=lambda r: r["last_message"] or r["updated"], reverse=True)
        return rooms

    def _with_counts(self, rooms: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reader = self._reader()
        for room in rooms:
            count, last = reader.execute(
                "SELECT count(*), max(t) FROM chat_messages WHERE room_id=?", (room["room_id"],)
            ).fetchone()
            room["messages"] = int(count)
            room["last_message"] = None if last is None else iso_utc(float(last))
        return rooms

    def chat_add_message(self, msg: dict[str, Any], own: bool) -> tuple[dict[str, Any], bool]:
        """Keep one message (`msg_id, room_id, origin, author, t, lang, lang_source, text, report`, and for
        a partner's `origin_seq`); an own message is numbered here (`origin_seq`: this node's next).
        Returns (the stored message, whether it is new); a message id already kept is not written again."""
        now = time.time()
        with self._tx() as db:
            row = db.execute(
                f"SELECT {_MSG_COLS} FROM chat_messages WHERE msg_id=?", (msg["msg_id"],)
            ).fetchone()
            if row is not None:
                return _message(row), False
            if db.execute("SELECT 1 FROM chat_rooms WHERE room_id=?", (msg["room_id"],)).fetchone() is None:
                raise KeyError(msg["room_id"])
            if own:
                (last,) = db.execute(
                    "SELECT max(origin_seq) FROM chat_messages WHERE origin=?", (msg["origin"],)
                ).fetchone()
                origin_seq = int(last or 0) + 1
            else:
                origin_seq = int(msg["origin_seq"])
            cur = db.execute(
                f"INSERT INTO chat_messages ({_MSG_COLS}) VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(origin, origin_seq) DO NOTHING",
                (
                    msg["msg_id"],
                    msg["room_id"],
                    msg["origin"],
                    origin_seq,
                    msg["author"],
                    float(msg["t"]),
                    msg.get("lang"),
                    msg.get("lang_source") or "unknown",
                    msg.get("text"),
                    None if msg.get("report") is None else json.dumps(msg["report"], sort_keys=True),
                    now,
                ),
            )
            if cur.rowcount == 0:  # the origin reused a sequence number for another id: keep the first
                return {}, False
            row = db.execute(
                f"SELECT {_MSG_COLS} FROM chat_messages WHERE seq=?", (cur.lastrowid,)
            ).fetchone()
        return _message(row), True

    def chat_messages(
        self,
        room_id: str,
        after_seq: int | None = None,
        before_seq: int | None = None,
        since_t: float | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """A room's messages in the order this node kept them (local `seq`), oldest first: those after
        `after_seq` (the first page and what came since), or the `limit` before `before_seq` (scrolling
        back), or written at or after `since_t`."""
        clauses: list[str] = ["room_id=?"]
        params: list[Any] = [room_id]
        if after_seq is not None:
            clauses.append("seq > ?")
            params.append(int(after_seq))
        if before_seq is not None:
            clauses.append("seq < ?")
            params.append(int(before_seq))
        if since_t is not None:
            clauses.append("t >= ?")
            params.append(float(since_t))
        newest_first = before_seq is not None or after_seq is None
        sql = (
            f"SELECT {_MSG_COLS} FROM chat_messages WHERE {' AND '.join(clauses)}"
            f" ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT ?"
        )
        rows = [_message(r) for r in self._reader().execute(sql, (*params, int(limit)))]
        return rows[::-1] if newest_first else rows

    def chat_message(self, msg_id: str) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute(f"SELECT {_MSG_COLS} FROM chat_messages WHERE msg_id=?", (msg_id,))
            .fetchone()
        )
        return None if row is None else _message(row)

    def chat_set_translation(self, msg_id: str, lang: str, text: str, engine: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO chat_translations (msg_id, lang, text, engine, t) VALUES (?,?,?,?,?)",
                (msg_id, lang, text, engine, time.time()),
            )

    def chat_translations(self, msg_ids: list[str]) -> dict[str, dict[str, str]]:
        """{msg_id: {lang: translated text}} for the messages that have some."""
        out: dict[str, dict[str, str]] = {}
        select = "SELECT msg_id, lang, text FROM chat_translations"
        for msg_id, lang, text in rows_in(self._reader(), select, "msg_id", msg_ids):
            out.setdefault(msg_id, {})[lang] = text
        return out


def _room(row: tuple[Any, ...]) -> dict[str, Any]:
    room_id, kind, case_id, title, owner, members, status, created_t, updated_t = row
    return {
        "room_id": room_id,
        "kind": kind,
        "case_id": case_id,
        "title": title,
        "owner": owner,
        "members": json.loads(members),
        "status": status,
        "created": iso_utc(created_t),
        "updated": iso_utc(updated_t),
    }


def _message(row: tuple[Any, ...]) -> dict[str, Any]:
    seq, msg_id, room_id, origin, origin_seq, author, t, lang, lang_source, text, report, received_t = row
    return {
        "id": msg_id,
        "seq": seq,
        "room_id": room_id,
        "origin": origin,
        "origin_seq": origin_seq,
        "author": author,
        "time": iso_utc(t),
        "lang": lang,
        "lang_source": lang_source,
        "text": text,
        "report": None if report is None else json.loads(report),
        "received": iso_utc(received_t),
    }
