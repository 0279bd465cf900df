"""Cases (incidents): the case row, what it links, its notes and attachments, and its timeline.

Every change is written with its timeline row and its audit row in one transaction (as assets are),
so a change is never half-recorded; the case's `version` and `updated_at` move with each change.
Attachments are files under `cases/<case_id>/<attachment_id>` in the data folder, named by the node
(never by the uploader), owner-only, written to a temporary name and renamed once complete.
Validation (statuses, kinds, sizes, types) is the service's (`seawatch/cases/service.py`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seawatch.errors import SeawatchError
from seawatch.model import Event
from seawatch.store.connection import SqliteDb, rows_in
from seawatch.store.private import FILE_MODE, private_dir

_CASE_COLUMNS = (
    "case_id, title, status, outcome, summary, opened_from, opened_ref, releasable_to, origin_node,"
    " created_at, created_by, updated_at, version"
)


class StaleCaseVersion(SeawatchError):
    """A change made against a version of the case that is no longer its current one (someone changed
    it since): nothing is written; `current_version` is the version the case is at."""

    def __init__(self, case_id: str, given: int, current_version: int) -> None:
        super().__init__(
            f"case {case_id} changed since version {given}: it is at version {current_version};"
            " reload it and make the change again"
        )
        self.current_version = current_version


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Cases listed newest change first; every filter optional, all given must hold."""

    statuses: tuple[str, ...] = ()
    text: str | None = None  # in the id, title, summary, a note or a link's label
    opened_after: float | None = None  # opened at or after (epoch s)
    opened_before: float | None = None  # opened at or before
    updated_after: float | None = None  # last changed at or after
    updated_before: float | None = None  # last changed at or before
    mmsi: int | None = None  # links this vessel (its track, an event or a sighting of it)
    vessel_name: str | None = None  # links a vessel of that name (a link's label, or the vessel's name)
    links: tuple[tuple[str, str], ...] = ()  # links each of these (kind, ref)
    limit: int = 200


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _case_row(r: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": r[0],
        "title": r[1],
        "status": r[2],
        "outcome": r[3],
        "summary": r[4],
        "opened_from": r[5],
        "opened_ref": r[6],
        "releasable_to": json.loads(r[7]),
        "origin_node": r[8],
        "created_at": r[9],
        "created_by": r[10],
        "updated_at": r[11],
        "version": r[12],
    }


def _record(db: sqlite3.Connection, case_id: str, actor: str, action: str, details: dict[str, Any]) -> int:
    """The timeline row and the audit row of one change; bumps the case's version. Returns the row id."""
    now = time.time()
    logged = json.dumps(details, default=str, sort_keys=True)
    cur = db.execute(
        "INSERT INTO case_timeline (case_id, t, actor, action, details) VALUES (?,?,?,?,?)",
        (case_id, now, actor, action, logged),
    )
    db.execute(
        "INSERT INTO audit (t, actor, action, details) VALUES (?,?,?,?)",
        (now, actor, f"case.{action}", json.dumps({"case_id": case_id, **details}, default=str)),
    )
    db.execute("UPDATE cases SET updated_at=?, version=version+1 WHERE case_id=?", (now, case_id))
    return int(cur.lastrowid or 0)


class SqliteCases(SqliteDb):
    # -- writes --------------------------------------------------------------------------------------
    def create_case(self, case: dict[str, Any], links: Sequence[dict[str, Any]], actor: str) -> int:
        """Insert a case (its `id` given) with its first links; the timeline's `open` row says how."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                f"INSERT INTO cases ({_CASE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)",
                (
                    case["id"],
                    case["title"],
                    case["status"],
                    case.get("outcome"),
                    case.get("summary") or "",
                    case["opened_from"],
                    case.get("opened_ref"),
                    json.dumps(sorted(case.get("releasable_to") or [])),
                    case.get("origin_node") or "",
                    now,
                    actor,
                    now,
                ),
            )
            for link in links:
                self._insert_link(db, case["id"], link, actor, now)
            details = {
                "title": case["title"],
                "opened_from": case["opened_from"],
                "ref": case.get("opened_ref"),
                "links": [[link["kind"], link["ref"]] for link in links],
                "releasable_to": sorted(case.get("releasable_to") or []),
            }
            return _record(db, case["id"], actor, "open", details)

    def update_case(
        self, case_id: str, changes: dict[str, Any], actor: str, version: int | None = None
    ) -> int | None:
        """Set the given columns (title, status, outcome, summary, releasable_to); the timeline row
        holds each changed field's old and new value. None when the case does not exist; 0 when
        nothing changed (no row written). With `version` (the one the writer saw) the change is made
        only if the case is still at that version, checked in the same transaction: else
        `StaleCaseVersion` and nothing is written (without it, the last writer wins)."""
        with self._tx() as db:
            row = db.execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE case_id=?", (case_id,)).fetchone()
            if row is None:
                return None
            old = _case_row(row)
            if version is not None and old["version"] != version:
                raise StaleCaseVersion(case_id, version, int(old["version"]))
            changed: dict[str, list[Any]] = {}
            for key, value in changes.items():
                if key == "releasable_to":
                    value = sorted(value)
                if old[key] != value:
                    changed[key] = [old[key], value]
                    stored = json.dumps(value) if key == "releasable_to" else value
                    db.execute(f"UPDATE cases SET {key}=? WHERE case_id=?", (stored, case_id))
            if not changed:
                return 0
            return _record(db, case_id, actor, "update", {"changed": changed})

    def _insert_link(
        self, db: sqlite3.Connection, case_id: str, link: dict[str, Any], actor: str, now: float
    ) -> bool:
        cur = db.execute(
            "INSERT OR IGNORE INTO case_links (case_id, kind, ref, mmsi, label, t, actor)"
            " VALUES (?,?,?,?,?,?,?)",
            (case_id, link["kind"], str(link["ref"]), link.get("mmsi"), link.get("label"), now, actor),
        )
        return cur.rowcount > 0

    def add_case_links(self, case_id: str, links: Sequence[dict[str, Any]], actor: str) -> int | None:
        """Link (kind, ref) items; those already linked are left alone. None: no such case; 0: all
        were linked already."""
        now = time.time()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM cases WHERE case_id=?", (case_id,)).fetchone() is None:
                return None
            added = [link for link in links if self._insert_link(db, case_id, link, actor, now)]
            if not added:
                return 0
            details = {"links": [[link["kind"], str(link["ref"])] for link in added]}
            return _record(db, case_id, actor, "link", details)

    def remove_case_link(self, case_id: str, kind: str, ref: str, actor: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM case_links WHERE case_id=? AND kind=? AND ref=?", (case_id, kind, ref)
            )
            if cur.rowcount == 0:
                return False
            _record(db, case_id, actor, "unlink", {"kind": kind, "ref": ref})
            return True

    def record_case_change(self, case_id: str, actor: str, details: dict[str, Any]) -> int | None:
        """A change of a partner's case that its header tells of without changing its fields (a link, a
        note on the origin's side): an `update` row on the timeline, audited. None: no such case."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM cases WHERE case_id=?", (case_id,)).fetchone() is None:
                return None
            return _record(db, case_id, actor, "update", details)

    def add_case_note(self, case_id: str, text: str, author: str) -> dict[str, Any] | None:
        now = time.time()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM cases WHERE case_id=?", (case_id,)).fetchone() is None:
                return None
            cur = db.execute(
                "INSERT INTO case_notes (case_id, t, author, text) VALUES (?,?,?,?)",
                (case_id, now, author, text),
            )
            note = {"id": int(cur.lastrowid or 0), "t": now, "author": author, "text": text}
            _record(db, case_id, author, "note", {"note_id": note["id"], "text": text})
            return note

    def attachment_path(self, case_id: str, attachment_id: str) -> Path:
        return self.data_dir / "cases" / case_id / attachment_id

    def add_case_attachment(self, case_id: str, meta: dict[str, Any], content: bytes, actor: str) -> bool:
        """Write the file (owner-only, complete or absent) and record it; False: no such case."""
        if self._reader().execute("SELECT 1 FROM cases WHERE case_id=?", (case_id,)).fetchone() is None:
            return False
        path = self.attachment_path(case_id, meta["id"])
        private_dir(path.parent)
        partial = path.with_name(path.name + ".part")
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT INTO case_attachments (attachment_id, case_id, name, media_type, size, sha256, t,"
                    " actor) VALUES (?,?,?,?,?,?,?,?)",
                    (meta["id"], case_id, meta["name"], meta["media_type"], meta["size"], meta["sha256"],
                     time.time(), actor),
                )  # fmt: skip
                details = {k: meta[k] for k in ("id", "name", "media_type", "size", "sha256")}
                _record(db, case_id, actor, "attach", details)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return True

    # -- reads ---------------------------------------------------------------------------------------
    def case_row(self, case_id: str) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute(f"SELECT {_CASE_COLUMNS} FROM cases WHERE case_id=?", (case_id,))
            .fetchone()
        )
        return None if row is None else _case_row(row)

    def case_links(self, case_id: str) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT kind, ref, mmsi, label, t, actor FROM case_links WHERE case_id=? ORDER BY t, kind, ref",
            (case_id,),
        )
        return [{"kind": r[0], "ref": r[1], "mmsi": r[2], "label": r[3], "t": r[4], "by": r[5]} for r in rows]

    def case_notes(self, case_id: str) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT id, t, author, text FROM case_notes WHERE case_id=? ORDER BY id", (case_id,)
        )
        return [{"id": r[0], "t": r[1], "author": r[2], "text": r[3]} for r in rows]

    def case_attachments(self, case_id: str) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT attachment_id, name, media_type, size, sha256, t, actor FROM case_attachments"
            " WHERE case_id=? ORDER BY t, attachment_id",
            (case_id,),
        )
        keys = ("id", "name", "media_type", "size", "sha256", "t", "by")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def case_timeline(self, case_id: str) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT id, t, actor, action, details FROM case_timeline WHERE case_id=? ORDER BY id", (case_id,)
        )
        return [
            {"id": r[0], "t": r[1], "actor": r[2], "action": r[3], "details": json.loads(r[4])} for r in rows
        ]

    def case_changes(self, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """Timeline rows of every case after `after_id`, in order (a feed for followers)."""
        rows = self._reader().execute(
            "SELECT id, case_id, t, actor, action, details FROM case_timeline WHERE id > ?"
            " ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        keys = ("id", "case_id", "t", "actor", "action")
        return [{**dict(zip(keys, r[:5], strict=True)), "details": json.loads(r[5])} for r in rows]

    def cases(self, query: CaseQuery) -> list[dict[str, Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.statuses:
            clauses.append(f"c.status IN ({','.join('?' * len(query.statuses))})")
            params.extend(query.statuses)
        for column, op, value in (
            ("created_at", ">=", query.opened_after),
            ("created_at", "<=", query.opened_before),
            ("updated_at", ">=", query.updated_after),
            ("updated_at", "<=", query.updated_before),
        ):
            if value is not None:
                clauses.append(f"c.{column} {op} ?")
                params.append(value)
        if query.mmsi is not None:
            clauses.append("EXISTS (SELECT 1 FROM case_links l WHERE l.case_id=c.case_id AND l.mmsi=?)")
            params.append(query.mmsi)
        if query.vessel_name:
            clauses.append(
                "EXISTS (SELECT 1 FROM case_links l WHERE l.case_id=c.case_id"
                " AND l.kind IN ('vessel', 'track', 'event', 'sighting')"
                " AND (lower(coalesce(l.label, '')) LIKE ? ESCAPE '\\'"
                " OR l.mmsi IN (SELECT v.mmsi FROM vessels v WHERE lower(v.shipname) LIKE ? ESCAPE '\\')))"
            )
            params.extend([_like(query.vessel_name)] * 2)
        for kind, ref in query.links:
            clauses.append(
                "EXISTS (SELECT 1 FROM case_links l WHERE l.case_id=c.case_id AND l.kind=? AND l.ref=?)"
            )
            params.extend((kind, ref))
        if query.text:
            like = _like(query.text)
            clauses.append(
                "(lower(c.case_id) LIKE ? ESCAPE '\\' OR lower(c.title) LIKE ? ESCAPE '\\'"
                " OR lower(c.summary) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM case_notes n"
                " WHERE n.case_id=c.case_id AND lower(n.text) LIKE ? ESCAPE '\\')"
                " OR EXISTS (SELECT 1 FROM case_links l WHERE l.case_id=c.case_id"
                " AND lower(coalesce(l.label, '')) LIKE ? ESCAPE '\\'))"
            )
            params.extend([like] * 5)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        columns = ", ".join(f"c.{c.strip()}" for c in _CASE_COLUMNS.split(","))
        sql = f"SELECT {columns} FROM cases c {where} ORDER BY c.updated_at DESC, c.case_id LIMIT ?"
        rows = self._reader().execute(sql, (*params, query.limit)).fetchall()
        found = [_case_row(r) for r in rows]
        counts = self._link_counts([c["id"] for c in found])
        return [{**c, "counts": counts.get(c["id"], {})} for c in found]

    def _link_counts(self, case_ids: list[str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        db = self._reader()
        for select, group in (
            ("SELECT case_id, kind, count(*) FROM case_links", "case_id, kind"),
            ("SELECT case_id, 'note', count(*) FROM case_notes", "case_id"),
            ("SELECT case_id, 'attachment', count(*) FROM case_attachments", "case_id"),
        ):
            for case_id, kind, n in rows_in(db, select, "case_id", case_ids, f"GROUP BY {group}"):
                out.setdefault(case_id, {})[kind] = int(n)
        return out

    def events_by_id(self, event_ids: Sequence[str]) -> list[Event]:
        """The stored events with these ids (unknown ids left out), by start then id."""
        rows = rows_in(self._reader(), "SELECT json FROM events", "event_id", list(event_ids))
        events = [Event.from_json(json.loads(r[0])) for r in rows]
        return sorted(events, key=lambda e: (e.start, e.event_id))

    def track_known(self, track_id: str) -> dict[str, Any] | None:
        """{"track_id", "mmsi", "name"} of a live or recorded track, None if the node never had it."""
        row = (
            self._reader()
            .execute("SELECT track_id, mmsi, name FROM tracks WHERE track_id=?", (track_id,))
            .fetchone()
        )
        if row is None:
            row = (
                self._reader()
                .execute("SELECT track_id, mmsi, NULL FROM positions WHERE track_id=? LIMIT 1", (track_id,))
                .fetchone()
            )
        if row is None:
            return None
        return {"track_id": row[0], "mmsi": row[1], "name": row[2]}

    def vessel_tracks(self, mmsi: int, limit: int = 5) -> list[str]:
        """The live tracks that carry this MMSI, else its most recent tracks kept in the database."""
        db = self._reader()
        rows = db.execute("SELECT track_id FROM tracks WHERE mmsi=? ORDER BY track_id", (mmsi,)).fetchall()
        if not rows:
            rows = db.execute(
                "SELECT track_id FROM positions WHERE mmsi=? GROUP BY track_id ORDER BY max(t) DESC LIMIT ?",
                (mmsi, limit),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def sighting(self, sighting_id: str) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute("SELECT json FROM sightings WHERE sighting_id=?", (sighting_id,))
            .fetchone()
        )
        return None if row is None else dict(json.loads(row[0]))
