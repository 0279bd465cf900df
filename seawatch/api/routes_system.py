"""Login/logout/me, users and tokens (admin), audit (admin), health and Prometheus metrics (viewer)."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from seawatch.api.auth import (
    SESSION_COOKIE,
    Admin,
    Analyst,
    LoginThrottle,
    Viewer,
    add_user,
    credentials,
    new_token,
    token_hash,
    verify_password,
)
from seawatch.api.models import AuditRow, Health, LoginResult, Me, NewToken, NewUser, RejectOut, UserOut
from seawatch.api.responses import JSON
from seawatch.api.schemas import LoginIn, TokenIn, UserIn
from seawatch.node.metrics import prometheus_text
from seawatch.node.node import Node
from seawatch.timeutil import iso_utc

router = APIRouter()


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.post(
    "/api/auth/login",
    response_class=JSON,
    response_model=LoginResult,
    summary="Log in; sets the session cookie",
)
def login(request: Request, body: LoginIn) -> Any:
    """Failed logins slow down per (user, address) only: the real user elsewhere is never locked out."""
    node = _node(request)
    store = node.store
    throttle: LoginThrottle = request.app.state.login_throttle
    address, now = _client_address(request), time.monotonic()
    wait_s = throttle.wait_s(body.username, address, now)
    if wait_s > 0:
        raise HTTPException(
            429,
            f"too many failed logins for this user from {address}; retry in {math.ceil(wait_s)} s",
            headers={"Retry-After": str(math.ceil(wait_s))},
        )
    # unknown users are checked against a dummy hash: the same work, so timing reveals no names
    if not verify_password(store.password_hash(body.username), body.password):
        throttle.failed(body.username, address, time.monotonic())
        store.audit(body.username[:64], "auth.login_failed", {"address": address})
        raise HTTPException(401, "wrong user name or password")
    throttle.succeeded(body.username, address)
    user = store.user(body.username)
    assert user is not None
    ttl_s = node.settings.api.session_ttl_s
    token = new_token(store, user.name, "session", ttl_s)
    store.audit(user.name, "auth.login", {"address": address})
    response = JSON({"name": user.name, "role": user.role})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl_s),
        httponly=True,
        samesite="strict",
        secure=node.settings.api.cookie_secure or request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/api/auth/logout", status_code=204, summary="End this session")
def logout(request: Request, who: Viewer) -> Response:
    token = credentials(request)
    if token:
        _node(request).store.delete_token(token_hash(token))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/auth/me", response_class=JSON, response_model=Me)
def me(who: Viewer) -> Any:
    return JSON({"name": who.name, "role": who.user.role, "via": who.via})


@router.get("/api/users", response_class=JSON, response_model=list[UserOut])
def users(request: Request, who: Admin) -> Any:
    return JSON(
        [
            {"name": u.name, "role": u.role, "created_at": iso_utc(u.created_at)}
            for u in _node(request).store.users()
        ]
    )


@router.post("/api/users", status_code=201, response_class=JSON, response_model=NewUser)
def create_user(request: Request, body: UserIn, who: Admin) -> Any:
    store = _node(request).store
    user = add_user(store, body.name, body.role, body.password)
    store.audit(who.name, "user.add", {"name": user.name, "role": user.role})
    return JSON({"name": user.name, "role": user.role}, status_code=201)


@router.post(
    "/api/tokens",
    status_code=201,
    response_class=JSON,
    response_model=NewToken,
    summary="New API token for a user",
)
def create_token(request: Request, body: TokenIn, who: Admin) -> Any:
    store = _node(request).store
    ttl_days = body.ttl_days or _node(request).settings.api.api_token_ttl_days
    token = new_token(store, body.user, "api", ttl_days * 86400, body.label)
    store.audit(who.name, "token.create", {"user": body.user, "ttl_days": ttl_days})
    return JSON({"user": body.user, "token": token}, status_code=201)


@router.get("/api/audit", response_class=JSON, response_model=list[AuditRow])
def audit(request: Request, who: Admin, action: str | None = None, limit: int = 200) -> Any:
    return JSON(_node(request).store.audit_rows(min(max(limit, 1), 5000), action))


@router.get(
    "/api/rejects",
    response_class=JSON,
    response_model=list[RejectOut],
    summary="The latest rejected inputs with their reasons",
)
def rejects(request: Request, who: Analyst, limit: int = 200) -> Any:
    """The newest kept per source and reason (at most 20 each): junk cannot flush other evidence."""
    samples = _node(request).store.reject_samples(min(max(limit, 1), 1000))
    return JSON([{k: r[k] for k in ("source", "reason", "raw", "line_no", "t")} for r in samples])


class RejectCount(BaseModel):
    source: str
    reason: str
    count: int
    last_t: float = Field(description="epoch seconds of the latest")


@router.get("/api/rejects/counts", response_model=list[RejectCount], summary="Rejects per source and reason")
def reject_counts(request: Request, who: Analyst) -> list[RejectCount]:
    return [RejectCount(**row) for row in _node(request).store.reject_counts()]


@router.get("/api/health", response_class=JSON, response_model=Health)
async def health(request: Request, who: Viewer) -> Any:
    node = _node(request)
    acknowledged = await asyncio.to_thread(node.store.acknowledged)
    feeds = {}
    for feed in node.settings.feeds:
        task = node._feed_tasks.get(feed.name)
        feeds[feed.name] = {
            "kind": feed.kind,
            "running": bool(task and not task.done()),
            "received": node.metrics.received.get(feed.name, 0),
            "decoded": node.metrics.decoded.get(feed.name, 0),
            "rejected": node.metrics.rejected.get(feed.name, 0),
            "duplicate": node.metrics.duplicates.get(feed.name, 0),
        }
        status = node.feed_status.get(feed.name)
        if status is not None:
            feeds[feed.name].update(status.to_json())
    return JSON(
        {
            "status": "ok",
            "node_id": node.node_id,
            "schema_version": getattr(node.store, "schema_version", None),
            "data_time": iso_utc(node.data_time_s) if node.data_time_s else None,
            "live_tracks": len(node.live),
            "acknowledged": acknowledged,
            "feeds": feeds,
            "sources": {
                s: {
                    "received": n,
                    "decoded": node.metrics.decoded[s],
                    "rejected": node.metrics.rejected[s],
                    "duplicate": node.metrics.duplicates[s],
                }
                for s, n in node.metrics.received.items()
            },
            "gauges": node.gauges(),
        }
    )


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus text format")
async def metrics(request: Request, who: Viewer) -> Any:
    node = _node(request)
    acknowledged = await asyncio.to_thread(node.store.acknowledged)
    text = prometheus_text(node.metrics, node.gauges(), acknowledged)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")
