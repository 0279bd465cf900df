"""Tokens issued before tokens carried an expiry get one when the store is upgraded."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from seawatch.store.migrations import MIGRATIONS, migrate

DAY_S = 86400.0


def _store_at_version(path: Path, version: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at REAL)")
    for step, sql in MIGRATIONS:
        if step <= version:
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (step, time.time()))
    return conn


def test_tokens_without_expiry_get_one_on_upgrade(tmp_path: Path) -> None:
    conn = _store_at_version(tmp_path / "store.sqlite", 6)
    now = time.time()
    conn.execute("INSERT INTO users (name, role, created_at) VALUES ('ops', 'operator', ?)", (now,))
    rows = [
        ("fresh", now - 1 * DAY_S, None),  # issued yesterday: 90 days from its creation
        ("old", now - 400 * DAY_S, None),  # issued long ago: a week from the upgrade
        ("kept", now - 1 * DAY_S, now + 5 * DAY_S),  # already expiring: unchanged
    ]
    for token_hash, created_at, expires_at in rows:
        conn.execute(
            "INSERT INTO tokens (token_hash, user, kind, created_at, expires_at)"
            " VALUES (?, 'ops', 'api', ?, ?)",
            (token_hash, created_at, expires_at),
        )
    assert migrate(conn) >= 7
    expiry = dict(conn.execute("SELECT token_hash, expires_at FROM tokens").fetchall())
    assert abs(expiry["fresh"] - (now + 89 * DAY_S)) < 60
    assert abs(expiry["old"] - (now + 7 * DAY_S)) < 60
    assert expiry["kept"] == rows[2][2]
    assert conn.execute("SELECT count(*) FROM tokens WHERE expires_at IS NULL").fetchone()[0] == 0
