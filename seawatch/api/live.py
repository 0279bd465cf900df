"""WebSocket `/api/live`: pushes `{"kind": "track"|"event"|"sighting", "data": ...}` deltas.

Authenticated by the session cookie, a bearer header or `?token=`; a browser's `Origin` must be the
node's own (or listed in `api.allowed_origins`). The connection is bound to its credential: every
`api.ws_recheck_s` it is checked again and the socket is closed (1008) once the session or token is
gone (logout, expiry, revocation, password change, user removed) or the user's role changed. Each
client has a bounded buffer (`ws_client_buffer`); when it fills the client is closed with code 1013
(try again later), never slowing the node. Connecting and leaving are audited (`live.connect`,
`live.disconnect`), and so is viewing partner data through it, as for the REST picture routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from seawatch.api.auth import Principal, principal_of
from seawatch.node.node import Node

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_POLICY = 1008
CLOSE_SLOW = 1013
PARTNER_VIEW_EVERY_S = 60.0


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """No Origin (not a browser: the credential decides) or the node's own host, or a listed one."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin in allowed:
        return True
    host = websocket.headers.get("host", "")
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.lower()


async def _watch_credential(node: Node, principal: Principal, every_s: float) -> str:
    """Return (a close reason) once the credential no longer holds."""
    while True:
        await asyncio.sleep(every_s)
        found = await asyncio.to_thread(node.store.token_user, principal.token_hash, datetime.now(UTC))
        if found is None:
            return "session ended"
        if found[0].role != principal.user.role:
            return "role changed"


def _audit_partner_view(websocket: WebSocket, node: Node, user: str) -> None:
    federation = getattr(websocket.app.state, "federation", None)
    if federation is None:
        return
    origins = {n for s in node.live.values() for n in s.nodes} - {node.node_id}
    if origins:
        federation.audit.record_view(user, "/api/live", sorted(origins))


@router.websocket("/api/live")
async def live(websocket: WebSocket) -> None:
    node: Node = websocket.app.state.node
    api = node.settings.api
    if not origin_allowed(websocket, api.allowed_origins):
        await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    principal = await asyncio.to_thread(principal_of, websocket, node.store)
    if principal is None:
        await websocket.close(code=CLOSE_POLICY, reason="authentication required")
        return
    await websocket.accept()
    client = node.bus.add_client(api.ws_client_buffer)
    started = time.monotonic()
    connected = {"via": principal.via, "token": principal.token_hash[:16]}
    await asyncio.to_thread(node.store.audit, principal.name, "live.connect", connected)
    _audit_partner_view(websocket, node, principal.name)
    next_view = started + PARTNER_VIEW_EVERY_S

    async def drain_incoming() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    reader = asyncio.create_task(drain_incoming())
    closed = asyncio.create_task(client.closed.wait())
    watcher = asyncio.create_task(_watch_credential(node, principal, api.ws_recheck_s))
    ended = ""
    try:
        while True:
            getter = asyncio.create_task(client.queue.get())
            done, _ = await asyncio.wait(
                {getter, reader, closed, watcher}, return_when=asyncio.FIRST_COMPLETED
            )
            if getter not in done:
                getter.cancel()
                if watcher in done:
                    ended = watcher.result()
                break
            await websocket.send_text(getter.result().decode())
            client.sent += 1
            if time.monotonic() >= next_view:
                next_view = time.monotonic() + PARTNER_VIEW_EVERY_S
                _audit_partner_view(websocket, node, principal.name)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        node.bus.remove_client(client)
        for task in (reader, closed, watcher):
            task.cancel()
        details = {"sent": client.sent, "seconds": round(time.monotonic() - started, 1), "why": ended or None}
        with contextlib.suppress(Exception):  # the node may be shutting down (store closed)
            await asyncio.to_thread(node.store.audit, principal.name, "live.disconnect", details)
        if ended:
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_POLICY, reason=ended)
        elif client.overflowed:
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_SLOW, reason="client too slow")
