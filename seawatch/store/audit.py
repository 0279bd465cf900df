"""The audit log (who did what) and operator sightings."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from seawatch.store.connection import SqliteDb


class SqliteAudit(SqliteDb):
    def audit(self, actor: str, action: str, details: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO audit (t, actor, action, details) VALUES (?,?,?,?)",
                (time.time(), actor, action, json.dumps(details, default=str)),
            )

    def audit_rows(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, t, actor, action, details FROM audit"
        params: tuple[Any, ...] = ()
        if action is not None:
            sql += " WHERE action=?"
            params = (action,)
        rows = self._reader().execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [
            {"id": r[0], "t": r[1], "actor": r[2], "action": r[3], "details": json.loads(r[4])} for r in rows
        ]


class SqliteSightings(SqliteDb):
    def add_sighting(self, sighting: dict[str, Any]) -> dict[str, Any]:
        row = dict(sighting)
        row.setdefault("id", uuid.uuid4().hex[:12])
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO sightings (sighting_id, t, lat, lon, mmsi, reported_by, json)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    row["id"],
                    row["t"],
                    row["lat"],
                    row["lon"],
                    row.get("mmsi"),
                    row.get("reported_by"),
                    json.dumps(row),
                ),
            )
        return row

    def sightings(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._reader().execute("SELECT json FROM sightings ORDER BY t DESC LIMIT ?", (limit,))
        return [json.loads(r[0]) for r in rows]
