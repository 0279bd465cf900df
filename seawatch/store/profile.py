"""Per-user profile: small key/value settings the node remembers for each user (the alert panel's
severity filter today; language, filters and map layers later). Values are JSON."""

from __future__ import annotations

import json
import time
from typing import Any

from seawatch.store.connection import SqliteDb


class SqliteProfiles(SqliteDb):
    def profile(self, user: str) -> dict[str, Any]:
        rows = self._reader().execute(
            "SELECT key, value FROM user_profile WHERE user=? ORDER BY key", (user,)
        )
        return {key: json.loads(value) for key, value in rows}

    def update_profile(self, user: str, values: dict[str, Any]) -> dict[str, Any]:
        """Set each key (a None value removes it); returns the whole profile."""
        now = time.time()
        with self._tx() as db:
            for key, value in values.items():
                if value is None:
                    db.execute("DELETE FROM user_profile WHERE user=? AND key=?", (user, key))
                else:
                    db.execute(
                        "INSERT INTO user_profile (user, key, value, updated_at) VALUES (?,?,?,?)"
                        " ON CONFLICT(user, key) DO UPDATE SET value=excluded.value,"
                        " updated_at=excluded.updated_at",
                        (user, key, json.dumps(value), now),
                    )
        return self.profile(user)
