"""Revoking and removing: list and revoke tokens, remove users, end a user's sessions (admin); change
one's own password, which ends one's other sessions (any role). Live WebSockets bound to a revoked
session or token close at their next check (`api.ws_recheck_s`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from seawatch.api.auth import Admin, Viewer, change_password, verify_password
from seawatch.api.problems import Refusal
from seawatch.errors import NotFoundError
from seawatch.node.node import Node
from seawatch.store.users import TOKEN_ID_CHARS

router = APIRouter(prefix="/api")
UserName = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


class TokenOut(BaseModel):
    id: str = Field(description="public id (first 16 hex digits of the token's SHA-256)")
    user: str
    kind: str = Field(description="session or api")
    created_at: datetime
    expires_at: datetime | None
    label: str | None


class RevokedOut(BaseModel):
    user: str
    revoked: int = Field(description="sessions and tokens ended")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class PasswordChangedOut(BaseModel):
    ended_sessions: int = Field(description="this user's other sessions, ended")


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


@router.get("/tokens", response_model=list[TokenOut], summary="Sessions and API tokens (never secrets)")
def list_tokens(
    request: Request, who: Admin, user: str | None = Query(None, min_length=1, max_length=64)
) -> list[TokenOut]:
    return [TokenOut.model_validate(t, from_attributes=True) for t in _node(request).store.tokens(user)]


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke one session or API token")
def revoke_token(
    request: Request,
    who: Admin,
    token_id: str = Path(min_length=TOKEN_ID_CHARS, max_length=TOKEN_ID_CHARS, pattern=r"^[0-9a-fA-F]+$"),
) -> Response:
    store = _node(request).store
    gone = store.revoke_token(token_id)
    if gone is None:
        raise NotFoundError(f"no token {token_id}")
    store.audit(who.name, "token.revoke", {"id": gone.id, "user": gone.user, "kind": gone.kind})
    return Response(status_code=204)


@router.post("/users/{name}/revoke", response_model=RevokedOut, summary="End all of their tokens")
def revoke_user(request: Request, who: Admin, name: str = UserName) -> RevokedOut:
    store = _node(request).store
    if store.user(name) is None:
        raise NotFoundError(f"no such user: {name}")
    count = store.revoke_tokens(name)
    store.audit(who.name, "user.revoke", {"name": name, "revoked": count})
    return RevokedOut(user=name, revoked=count)


@router.delete("/users/{name}", status_code=204, summary="Remove a user and all their tokens")
def remove_user(request: Request, who: Admin, name: str = UserName) -> Response:
    store = _node(request).store
    user = store.user(name)
    if user is None:
        raise NotFoundError(f"no such user: {name}")
    admins = [u for u in store.users() if u.role == "admin"]
    if user.role == "admin" and len(admins) <= 1:
        raise Refusal(409, "the last admin cannot be removed", "name", "last_admin", {"user": name})
    store.delete_user(name)
    store.audit(who.name, "user.remove", {"name": name})
    return Response(status_code=204)


@router.post("/auth/password", response_model=PasswordChangedOut, summary="Change your own password")
def password(request: Request, body: PasswordIn, who: Viewer) -> PasswordChangedOut:
    store = _node(request).store
    if not verify_password(store.password_hash(who.name), body.current_password):
        raise Refusal(403, "current password is wrong", "current_password", "wrong_password")
    ended = change_password(store, who, body.new_password)
    store.audit(who.name, "auth.password", {"ended_sessions": ended})
    return PasswordChangedOut(ended_sessions=ended)
