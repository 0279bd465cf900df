"""Partner data (federation retention): what each partner item became, deleted when its retention ends."""

from __future__ import annotations

import json
from collections.abc import Sequence

import polars as pl

from seawatch.store.base import PartnerItem
from seawatch.store.connection import SqliteDb
from seawatch.store.history import HOUR_S


class SqlitePartnerData(SqliteDb):
    def note_partner_items(self, items: Sequence[PartnerItem]) -> None:
        """Remember what each partner item became, for `forget_partner_items` at its retention's end."""
        if not items:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO partner_items (origin, seq, kind, ref, t, lat, lon)"
                " VALUES (?,?,?,?,?,?,?)",
                [(i.origin, i.seq, i.kind, i.ref, i.t, i.lat, i.lon) for i in items],
            )

    def also_reported_by(self, event_id: str, origin: str) -> bool:
        """A partner reported an event the node holds itself: one event, listing the partner in
        `details.also_reported_by` (the event stays the node's own). False when there is no such event."""
        with self._tx() as db:
            row = db.execute("SELECT json FROM events WHERE event_id=?", (event_id,)).fetchone()
            if row is None:
                return False
            obj = json.loads(row[0])
            details = obj.setdefault("details", {})
            origins = details.setdefault("also_reported_by", [])
            if origin not in origins:
                origins.append(origin)
                db.execute("UPDATE events SET json=? WHERE event_id=?", (json.dumps(obj), event_id))
        return True

    def fold_partner_event(self, own_id: str, partner_id: str, origin: str) -> bool:
        """The node detected itself what a partner reported first: one event, the node's own, listing
        the partner in `details.also_reported_by`; the partner's copy leaves the store (an operator's
        state on it moves to the own event unless that has one). False when either is not there."""
        with self._tx() as db:
            row = db.execute("SELECT json FROM events WHERE event_id=?", (own_id,)).fetchone()
            theirs = db.execute(
                "SELECT 1 FROM events WHERE event_id=? AND origin_node=?", (partner_id, origin)
            ).fetchone()
            if row is None or theirs is None or own_id == partner_id:
                return False
            obj = json.loads(row[0])
            origins = obj.setdefault("details", {}).setdefault("also_reported_by", [])
            if origin not in origins:
                origins.append(origin)
                db.execute("UPDATE events SET json=? WHERE event_id=?", (json.dumps(obj), own_id))
            db.execute("UPDATE OR IGNORE alert_states SET event_id=? WHERE event_id=?", (own_id, partner_id))
            for table in ("alert_states", "event_vessels", "events"):
                db.execute(f"DELETE FROM {table} WHERE event_id=?", (partner_id,))
        return True

    def forget_partner_items(self, gone: Sequence[tuple[str, int, str]]) -> list[str]:
        """Delete what partner items past their retention left in the store: their events, the
        positions they produced (recent table and Parquet history), and the latest state of tracks
        that are purely that partner's once no newer item of it is left. Returns the deleted track ids
        (the node drops them from its live picture)."""
        dropped: list[str] = []
        archived: list[tuple[str, float, float, float]] = []  # (source, t, lat, lon) not in SQLite
        with self._tx() as db:
            for origin, seq, _kind in gone:
                row = db.execute(
                    "SELECT kind, ref, t, lat, lon FROM partner_items WHERE origin=? AND seq=?",
                    (origin, seq),
                ).fetchone()
                if row is None:
                    continue
                kind, ref, t, lat, lon = row
                db.execute("DELETE FROM partner_items WHERE origin=? AND seq=?", (origin, seq))
                if kind == "case_message":  # a partner's chat message (store/chat.py)
                    db.execute("DELETE FROM chat_translations WHERE msg_id=?", (ref,))
                    db.execute("DELETE FROM chat_messages WHERE msg_id=? AND origin=?", (ref, origin))
                    continue
                if kind == "event":
                    cur = db.execute("DELETE FROM events WHERE event_id=? AND origin_node=?", (ref, origin))
                    if cur.rowcount:
                        db.execute("DELETE FROM event_vessels WHERE event_id=?", (ref,))
                    continue
                if t is None or lat is None or lon is None:
                    continue
                source = f"partner:{origin}"
                match = "source=? AND t=? AND lat=? AND lon=?"
                params = (source, t, lat, lon)
                tracks = {r[0] for r in db.execute(f"SELECT track_id FROM positions WHERE {match}", params)}
                if tracks:
                    db.execute(f"DELETE FROM positions WHERE {match}", params)
                else:  # already compacted to Parquet: the track it updated is found by its state
                    archived.append(params)
                    tracks.update(
                        r[0]
                        for r in db.execute(
                            "SELECT track_id FROM tracks WHERE t=? AND lat=? AND lon=? AND nodes=?",
                            (t, lat, lon, origin),
                        )
                    )
                for track_id in sorted(tracks):
                    # only a track that is the partner's alone, and only once this item is its newest
                    cur = db.execute(
                        "DELETE FROM tracks WHERE track_id=? AND nodes=? AND t<=?", (track_id, origin, t)
                    )
                    if cur.rowcount:
                        dropped.append(track_id)
        if archived:
            self._forget_archived(archived)
        return dropped

    def _forget_archived(self, rows: list[tuple[str, float, float, float]]) -> None:
        """Drop partner positions already compacted to Parquet: rewrite each affected hourly file."""
        by_hour: dict[float, list[tuple[str, float, float, float]]] = {}
        for row in rows:
            by_hour.setdefault((row[1] // HOUR_S) * HOUR_S, []).append(row)
        db = self._reader()
        for hour, keys in by_hour.items():
            drop = pl.lit(False)
            for source, t, lat, lon in keys:
                drop = drop | (
                    (pl.col("source") == source)
                    & (pl.col("t") == t)
                    & (pl.col("lat") == lat)
                    & (pl.col("lon") == lon)
                )
            for (name,) in db.execute(
                "SELECT path FROM history_files WHERE hour_start=?", (hour,)
            ).fetchall():
                remaining = self.history.rewrite_without(name, drop)
                with self._tx() as w:
                    w.execute("UPDATE history_files SET rows=? WHERE path=?", (remaining, name))
