"""Users (name, role, password hash) and the session / API tokens that stand for them."""

from __future__ import annotations

import time
from datetime import datetime

from seawatch.store.base import User
from seawatch.store.connection import SqliteDb
from seawatch.timeutil import utc_from_epoch


class SqliteUsers(SqliteDb):
    def add_user(self, name: str, role: str, password_hash: str | None) -> User:
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO users (name, role, pw_hash, created_at) VALUES (?,?,?,?) ON CONFLICT(name)"
                " DO UPDATE SET role=excluded.role, pw_hash=coalesce(excluded.pw_hash, users.pw_hash)",
                (name, role, password_hash, now),
            )
        user = self.user(name)
        assert user is not None
        return user

    def user(self, name: str) -> User | None:
        row = (
            self._reader()
            .execute("SELECT name, role, created_at FROM users WHERE name=?", (name,))
            .fetchone()
        )
        return None if row is None else User(row[0], row[1], utc_from_epoch(row[2]))

    def users(self) -> list[User]:
        rows = self._reader().execute("SELECT name, role, created_at FROM users ORDER BY name")
        return [User(r[0], r[1], utc_from_epoch(r[2])) for r in rows]

    def password_hash(self, name: str) -> str | None:
        row = self._reader().execute("SELECT pw_hash FROM users WHERE name=?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET pw_hash=? WHERE name=?", (password_hash, name))

    def add_token(self, token_hash: str, user: str, kind: str, expires_at: datetime | None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, user, kind, created_at, expires_at) VALUES (?,?,?,?,?)",
                (token_hash, user, kind, time.time(), None if expires_at is None else expires_at.timestamp()),
            )

    def token_user(self, token_hash: str, now: datetime) -> tuple[User, str] | None:
        row = (
            self._reader()
            .execute(
                "SELECT u.name, u.role, u.created_at, t.kind FROM tokens t JOIN users u ON u.name = t.user"
                " WHERE t.token_hash=? AND (t.expires_at IS NULL OR t.expires_at > ?)",
                (token_hash, now.timestamp()),
            )
            .fetchone()
        )
        return None if row is None else (User(row[0], row[1], utc_from_epoch(row[2])), row[3])

    def delete_token(self, token_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM tokens WHERE token_hash=?", (token_hash,))
