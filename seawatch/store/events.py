"""Events, upserted on their stable `event_id`, with the vessels they involve and their node of origin."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from seawatch.model import Event
from seawatch.store.base import EventQuery
from seawatch.store.connection import SqliteDb

# partners that reported the same event (share/node_sink.py) stay listed as the event grows
_KEEP_ALSO_REPORTED = (
    "CASE WHEN json_extract(events.json, '$.details.also_reported_by') IS NULL THEN excluded.json"
    " ELSE json_set(excluded.json, '$.details.also_reported_by',"
    " json(json_extract(events.json, '$.details.also_reported_by'))) END"
)


def upsert_event(db: sqlite3.Connection, event: Event, origin: str) -> None:
    """Insert an event, or grow the stored one with the same id (end, position, JSON; the partners
    listed in `details.also_reported_by` stay); events it supersedes (same origin) are deleted."""
    obj = event.to_json()
    db.execute(
        "INSERT INTO events (event_id, type, start, end, lat, lon, json, origin_node)"
        " VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT(event_id) DO UPDATE SET end=excluded.end, lat=excluded.lat, lon=excluded.lon,"
        f" json={_KEEP_ALSO_REPORTED}"
        " WHERE events.origin_node IS excluded.origin_node",  # no partner rewrites another origin's event
        (
            obj["id"],
            event.type,
            event.start.timestamp(),
            event.end.timestamp(),
            event.lat,
            event.lon,
            json.dumps(obj),
            origin,
        ),
    )
    db.executemany(
        "INSERT OR IGNORE INTO event_vessels (event_id, mmsi) VALUES (?,?)",
        [(obj["id"], m) for m in event.mmsi],
    )
    for gone in event.supersedes:  # an encounter raised earlier as a rendezvous: one meeting, one event
        if db.execute("DELETE FROM events WHERE event_id=? AND origin_node IS ?", (gone, origin)).rowcount:
            db.execute("DELETE FROM event_vessels WHERE event_id=?", (gone,))


class SqliteEvents(SqliteDb):
    def events(self, query: EventQuery) -> list[Event]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.types:
            clauses.append(f"e.type IN ({','.join('?' * len(query.types))})")
            params.extend(query.types)
        if query.since is not None:
            clauses.append("e.end >= ?")
            params.append(query.since.timestamp())
        if query.until is not None:
            clauses.append("e.start <= ?")
            params.append(query.until.timestamp())
        if query.bbox is not None:
            clauses.append("e.lon >= ? AND e.lat >= ? AND e.lon <= ? AND e.lat <= ?")
            params.extend(query.bbox)
        join = ""
        if query.mmsi is not None:
            join = "JOIN event_vessels v ON v.event_id = e.event_id AND v.mmsi = ?"
            params.insert(0, query.mmsi)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT e.json FROM events e {join} {where} ORDER BY e.start DESC LIMIT ?"
        rows = self._reader().execute(sql, (*params, int(query.limit)))
        return [Event.from_json(json.loads(r[0])) for r in rows]

    def event_origin(self, event_id: str) -> str | None:
        row = (
            self._reader().execute("SELECT origin_node FROM events WHERE event_id=?", (event_id,)).fetchone()
        )
        return None if row is None else str(row[0])
