"""Users, sessions and API tokens; roles viewer < operator < analyst < admin.

Passwords are argon2 hashes. A token (session or API) is a random secret given once to its holder;
the store keeps only its SHA-256. Browsers send the session in the `seawatch_session` cookie
(HttpOnly, SameSite=Strict); machines send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from seawatch.errors import NotFoundError, SeawatchError
from seawatch.store.base import ROLES, Store, User, role_rank

SESSION_COOKIE = "seawatch_session"
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    via: str  # "session" or "api"

    @property
    def name(self) -> str:
        return self.user.name


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(store: Store, user: str, kind: str, ttl_s: float | None) -> str:
    if store.user(user) is None:
        raise NotFoundError(f"no such user: {user}")
    token = secrets.token_urlsafe(32)
    expires = None if ttl_s is None else datetime.now(UTC) + timedelta(seconds=ttl_s)
    store.add_token(token_hash(token), user, kind, expires)
    return token


def add_user(store: Store, name: str, role: str, password: str | None) -> User:
    if role not in ROLES:
        raise SeawatchError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise SeawatchError(f"invalid user name {name!r} (letters, digits, - _ .)")
    return store.add_user(name, role, None if password is None else hash_password(password))


def credentials(conn: HTTPConnection) -> str | None:
    """The bearer token, else the session cookie, else `?token=` (WebSocket clients only)."""
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    if conn.scope.get("type") == "websocket":
        return conn.query_params.get("token")
    return None


def principal_of(conn: HTTPConnection, store: Store) -> Principal | None:
    token = credentials(conn)
    if not token:
        return None
    found = store.token_user(token_hash(token), datetime.now(UTC))
    return None if found is None else Principal(found[0], found[1])


def require(role: str) -> Callable[[Request], Principal]:
    """A FastAPI dependency: 401 without valid credentials, 403 below `role`."""

    def dependency(request: Request) -> Principal:
        principal = principal_of(request, request.app.state.node.store)
        if principal is None:
            raise HTTPException(401, "no valid session or API token")
        if role_rank(principal.user.role) < role_rank(role):
            raise HTTPException(403, f"role {principal.user.role!r} may not do this (needs {role!r})")
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Analyst = Annotated[Principal, Depends(require("analyst"))]
Admin = Annotated[Principal, Depends(require("admin"))]
