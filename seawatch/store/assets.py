"""Patrol assets, their readiness log and their taskings (`ops/`); each change is written with its log
and audit rows in one transaction, so a change is never half-recorded."""

from __future__ import annotations

import json
import time
from typing import Any

from seawatch.store.connection import SqliteDb


class SqliteAssets(SqliteDb):
    def assets(self) -> list[dict[str, Any]]:
        rows = self._reader().execute("SELECT json FROM assets ORDER BY asset_id")
        return [json.loads(r[0]) for r in rows]

    def save_asset(
        self,
        asset: dict[str, Any],
        actor: str,
        action: str,
        details: dict[str, Any],
        tasking: dict[str, Any] | None = None,
        release: bool = False,
    ) -> None:
        """Upsert an asset and log the change (asset log + audit); with `tasking` record it, with
        `release` remove the asset's tasking, all in one transaction."""
        now = time.time()
        asset_id = str(asset["id"])
        logged = json.dumps(details, default=str)
        with self._tx() as db:
            db.execute(
                "INSERT INTO assets (asset_id, json, updated_at) VALUES (?,?,?) "
                "ON CONFLICT(asset_id) DO UPDATE SET json=excluded.json, updated_at=excluded.updated_at",
                (asset_id, json.dumps(asset, default=str), now),
            )
            db.execute(
                "INSERT INTO asset_log (asset_id, t, actor, action, details) VALUES (?,?,?,?,?)",
                (asset_id, now, actor, action, logged),
            )
            db.execute(
                "INSERT INTO audit (t, actor, action, details) VALUES (?,?,?,?)",
                (now, actor, action, json.dumps({"asset_id": asset_id, **details}, default=str)),
            )
            if tasking is not None:
                db.execute(
                    "INSERT OR REPLACE INTO taskings (asset_id, json, t) VALUES (?,?,?)",
                    (asset_id, json.dumps(tasking, default=str), now),
                )
            if release:
                db.execute("DELETE FROM taskings WHERE asset_id=?", (asset_id,))

    def asset_log(self, asset_id: str, limit: int = 200) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT t, actor, action, details FROM asset_log WHERE asset_id=? ORDER BY id DESC LIMIT ?",
            (asset_id, limit),
        )
        return [{"t": r[0], "actor": r[1], "action": r[2], "details": json.loads(r[3])} for r in rows]

    def taskings(self) -> list[dict[str, Any]]:
        rows = self._reader().execute("SELECT json FROM taskings ORDER BY t")
        return [json.loads(r[0]) for r in rows]
