"""Users, sessions and API tokens; roles viewer < operator < analyst < admin.

Passwords are argon2 hashes. A token (session or API) is a random secret given once to its holder;
the store keeps only its SHA-256. Browsers send the session in the `seawatch_session` cookie
(HttpOnly, SameSite=Strict); machines send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
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
_dummy_hash: str | None = None  # hashed once, verified against for unknown users (same work)


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    via: str  # "session" or "api"
    token_hash: str = ""

    @property
    def name(self) -> str:
        return self.user.name


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check `password` against `stored_hash`; without a hash (unknown user, token-only user) the
    same argon2 work is done against a dummy hash, so the answer's timing does not tell them apart."""
    global _dummy_hash
    if not stored_hash:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
        stored_hash = _dummy_hash
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(store: Store, user: str, kind: str, ttl_s: float | None, label: str | None = None) -> str:
    if store.user(user) is None:
        raise NotFoundError(f"no such user: {user}")
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # pasted after `--token`, "-x..." would read as a flag to argparse
        token = secrets.token_urlsafe(32)
    expires = None if ttl_s is None else datetime.now(UTC) + timedelta(seconds=ttl_s)
    store.add_token(token_hash(token), user, kind, expires, label)
    return token


def prepare_dummy_hash() -> None:
    """Hash the dummy password now (at startup), not during the first unknown user's login."""
    verify_password(None, "")


def add_user(store: Store, name: str, role: str, password: str | None) -> User:
    """Add a user, or change an existing one's role and (if given) password. A new password ends
    all the user's sessions (their live WebSockets close at their next check)."""
    if role not in ROLES:
        raise SeawatchError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise SeawatchError(f"invalid user name {name!r} (letters, digits, - _ .)")
    existed = store.user(name) is not None
    user = store.add_user(name, role, None if password is None else hash_password(password))
    if existed and password is not None:
        store.revoke_tokens(name, kind="session")
    return user


def change_password(store: Store, who: Principal, new_password: str) -> int:
    """Set `who`'s password; end every other session of theirs. Returns how many sessions ended."""
    store.set_password_hash(who.name, hash_password(new_password))
    return store.revoke_tokens(who.name, kind="session", keep_hash=who.token_hash)


class LoginThrottle:
    """Failed logins per (user name, client address), with growing delays.

    After `free_failures` failures, the next attempt for that user from that address must wait
    `base_delay_s * 2**(failures - free_failures)` (at most `max_delay_s`) after the last failure.
    Another address is not affected, so an attacker cannot lock the real user out; a success clears
    the entry. The oldest entries are evicted beyond `max_entries` (memory stays bounded).
    """

    def __init__(
        self,
        free_failures: int = 5,
        base_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        max_entries: int = 10_000,
    ) -> None:
        self.free_failures = free_failures
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.max_entries = max_entries
        self._failures: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()  # login runs in the API's worker threads

    def delay_s(self, failures: int) -> float:
        if failures < self.free_failures:
            return 0.0
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** (failures - self.free_failures))

    def wait_s(self, user: str, address: str, now: float) -> float:
        """Seconds before another attempt for `user` from `address` is heard (0: now)."""
        with self._lock:
            failures, last = self._failures.get((user, address), (0, now))
        return max(0.0, last + self.delay_s(failures) - now)

    def failed(self, user: str, address: str, now: float) -> None:
        key = (user, address)
        with self._lock:
            failures, _ = self._failures.pop(key, (0, now))
            self._failures[key] = (failures + 1, now)
            while len(self._failures) > self.max_entries:
                self._failures.popitem(last=False)

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user, address), None)


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
    hashed = token_hash(token)
    found = store.token_user(hashed, datetime.now(UTC))
    return None if found is None else Principal(found[0], found[1], hashed)


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
