"""Zones (GeoJSON features) and the watchlist, as operators edit them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from seawatch.store.connection import SqliteDb

_WATCH_KEYS = ("id", "mmsi", "name", "reason", "created_by", "created_at")


class SqliteZones(SqliteDb):
    def zones(self) -> list[dict[str, Any]]:
        return [
            json.loads(r[0]) for r in self._reader().execute("SELECT feature FROM zones ORDER BY zone_id")
        ]

    def zone(self, zone_id: str) -> dict[str, Any] | None:
        row = self._reader().execute("SELECT feature FROM zones WHERE zone_id=?", (zone_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put_zone(self, zone_id: str, feature: dict[str, Any]) -> None:
        props = feature.get("properties") or {}
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO zones (zone_id, name, kind, feature, updated_at) VALUES (?,?,?,?,?)",
                (zone_id, props.get("name"), props.get("kind"), json.dumps(feature), time.time()),
            )

    def delete_zone(self, zone_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM zones WHERE zone_id=?", (zone_id,)).rowcount > 0


class SqliteWatchlist(SqliteDb):
    def watchlist(self) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT entry_id, mmsi, name, reason, created_by, created_at FROM watchlist ORDER BY created_at"
        )
        return [dict(zip(_WATCH_KEYS, r, strict=True)) for r in rows]

    def add_watch(self, entry: dict[str, Any]) -> dict[str, Any]:
        row = {
            "id": entry.get("id") or uuid.uuid4().hex[:12],
            "mmsi": entry.get("mmsi"),
            "name": entry.get("name"),
            "reason": entry.get("reason"),
            "created_by": entry.get("created_by"),
            "created_at": time.time(),
        }
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO watchlist VALUES (?,?,?,?,?,?)", tuple(row.values()))
        return row

    def delete_watch(self, entry_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM watchlist WHERE entry_id=?", (entry_id,)).rowcount > 0
