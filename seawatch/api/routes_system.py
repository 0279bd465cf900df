"""Login/logout/me, users and tokens (admin), audit (admin), health and Prometheus metrics (viewer)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

from seawatch.api.auth import (
    SESSION_COOKIE,
    Admin,
    Analyst,
    Viewer,
    add_user,
    credentials,
    new_token,
    token_hash,
    verify_password,
)
from seawatch.api.responses import JSON
from seawatch.api.schemas import LoginIn, TokenIn, UserIn
from seawatch.node.metrics import prometheus_text
from seawatch.node.node import Node
from seawatch.timeutil import iso_utc

router = APIRouter()


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


LOGIN_FAILURES_MAX = 5  # failed logins per user name within LOGIN_WINDOW_S before 429
LOGIN_WINDOW_S = 60.0
_failures: dict[str, list[float]] = {}


def _recent_failures(username: str, now: float) -> list[float]:
    recent = [t for t in _failures.get(username, []) if now - t < LOGIN_WINDOW_S]
    _failures[username] = recent
    return recent


@router.post("/api/auth/login", response_class=JSON, summary="Log in; sets the session cookie")
def login(request: Request, body: LoginIn) -> Any:
    node = _node(request)
    store = node.store
    now = time.monotonic()
    if len(_recent_failures(body.username, now)) >= LOGIN_FAILURES_MAX:
        raise HTTPException(429, f"too many failed logins for {body.username!r}; wait a minute")
    if not verify_password(store.password_hash(body.username), body.password):
        _failures.setdefault(body.username, []).append(now)
        store.audit(body.username, "auth.login_failed", {})
        raise HTTPException(401, "wrong user name or password")
    _failures.pop(body.username, None)
    user = store.user(body.username)
    assert user is not None
    ttl_s = node.settings.api.session_ttl_s
    token = new_token(store, user.name, "session", ttl_s)
    store.audit(user.name, "auth.login", {})
    response = JSON({"name": user.name, "role": user.role})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl_s),
        httponly=True,
        samesite="strict",
        secure=node.settings.api.cookie_secure,
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


@router.get("/api/auth/me", response_class=JSON)
def me(who: Viewer) -> Any:
    return JSON({"name": who.name, "role": who.user.role, "via": who.via})


@router.get("/api/users", response_class=JSON)
def users(request: Request, who: Admin) -> Any:
    return JSON(
        [
            {"name": u.name, "role": u.role, "created_at": iso_utc(u.created_at)}
            for u in _node(request).store.users()
        ]
    )


@router.post("/api/users", status_code=201, response_class=JSON)
def create_user(request: Request, body: UserIn, who: Admin) -> Any:
    store = _node(request).store
    user = add_user(store, body.name, body.role, body.password)
    store.audit(who.name, "user.add", {"name": user.name, "role": user.role})
    return JSON({"name": user.name, "role": user.role}, status_code=201)


@router.post("/api/tokens", status_code=201, response_class=JSON, summary="New API token for a user")
def create_token(request: Request, body: TokenIn, who: Admin) -> Any:
    store = _node(request).store
    token = new_token(store, body.user, "api", None)
    store.audit(who.name, "token.create", {"user": body.user})
    return JSON({"user": body.user, "token": token}, status_code=201)


@router.get("/api/audit", response_class=JSON)
def audit(request: Request, who: Admin, action: str | None = None, limit: int = 200) -> Any:
    return JSON(_node(request).store.audit_rows(min(max(limit, 1), 5000), action))


@router.get("/api/rejects", response_class=JSON, summary="The latest rejected inputs with their reasons")
def rejects(request: Request, who: Analyst, limit: int = 200) -> Any:
    recent = list(_node(request).rejects)[-min(max(limit, 1), 1000) :]
    return JSON(
        [{"source": r.source, "reason": r.reason, "raw": r.raw[:500], "line_no": r.line_no} for r in recent]
    )


@router.get("/api/health", response_class=JSON)
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
        }
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
                s: {"received": n, "decoded": node.metrics.decoded[s], "rejected": node.metrics.rejected[s]}
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
