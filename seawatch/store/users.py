"""Users (name, role, password hash) and the session / API tokens that stand for them.

Only the SHA-256 of a token is kept. A token's public id is the first 16 hex digits of that hash:
enough to list and revoke it, useless to authenticate with.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from seawatch.store.base import User
from seawatch.store.connection import SqliteDb
from seawatch.timeutil import utc_from_epoch

TOKEN_ID_CHARS = 16


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What may be shown of a token: never the secret, never the whole hash."""

    id: str
    user: str
    kind: str  # "session" or "api"
    created_at: datetime
    expires_at: datetime | None
    label: str | None


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

    def delete_user(self, name: str) -> bool:
        """Remove a user and (by cascade) every token of theirs."""
        with self._tx() as db:
            db.execute("DELETE FROM tokens WHERE user=?", (name,))
            return db.execute("DELETE FROM users WHERE name=?", (name,)).rowcount > 0

    def password_hash(self, name: str) -> str | None:
        row = self._reader().execute("SELECT pw_hash FROM users WHERE name=?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET pw_hash=? WHERE name=?", (password_hash, name))

    def add_token(
        self, token_hash: str, user: str, kind: str, expires_at: datetime | None, label: str | None = None
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, user, kind, created_at, expires_at, label)"
                " VALUES (?,?,?,?,?,?)",
                (
                    token_hash,
                    user,
                    kind,
                    time.time(),
                    None if expires_at is None else expires_at.timestamp(),
                    label,
                ),
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

    def tokens(self, user: str | None = None) -> list[TokenInfo]:
        sql = "SELECT token_hash, user, kind, created_at, expires_at, label FROM tokens"
        params: tuple[str, ...] = ()
        if user is not None:
            sql += " WHERE user=?"
            params = (user,)
        rows = self._reader().execute(sql + " ORDER BY created_at", params)
        return list(_token_infos(rows))

    def revoke_token(self, token_id: str) -> TokenInfo | None:
        """Delete the token whose public id is `token_id`; return what it was (None: no such token)."""
        if len(token_id) != TOKEN_ID_CHARS:
            return None
        with self._tx() as db:
            rows = db.execute(
                "SELECT token_hash, user, kind, created_at, expires_at, label FROM tokens"
                " WHERE substr(token_hash, 1, ?) = ?",
                (TOKEN_ID_CHARS, token_id.lower()),
            ).fetchall()
            if len(rows) != 1:
                return None
            db.execute("DELETE FROM tokens WHERE token_hash=?", (rows[0][0],))
        return next(_token_infos(rows))

    def revoke_tokens(self, user: str, kind: str | None = None, keep_hash: str | None = None) -> int:
        """Delete a user's tokens (of one kind, or all), except `keep_hash`; return how many."""
        sql = "DELETE FROM tokens WHERE user=? AND token_hash != ?"
        params: tuple[str, ...] = (user, keep_hash or "")
        if kind is not None:
            sql += " AND kind=?"
            params = (*params, kind)
        with self._tx() as db:
            return int(db.execute(sql, params).rowcount)

    def purge_expired_tokens(self, now: datetime) -> int:
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ?", (now.timestamp(),)
            )
            return int(cur.rowcount)


def _token_infos(rows: Iterable[Any]) -> Iterator[TokenInfo]:
    for r in rows:
        yield TokenInfo(
            id=r[0][:TOKEN_ID_CHARS],
            user=r[1],
            kind=r[2],
            created_at=utc_from_epoch(r[3]),
            expires_at=None if r[4] is None else utc_from_epoch(r[4]),
            label=r[5],
        )
