"""WebSocket `/api/live`: pushes `{"kind": "track"|"event"|"sighting", "data": ...}` deltas.

Authenticated by the session cookie, a bearer header or `?token=`. Each client has a bounded
buffer (`ws_client_buffer`); when it fills the client is closed with code 1013 (try again later),
never slowing the node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from seawatch.api.auth import principal_of
from seawatch.node.node import Node

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_POLICY = 1008
CLOSE_SLOW = 1013


@router.websocket("/api/live")
async def live(websocket: WebSocket) -> None:
    node: Node = websocket.app.state.node
    principal = await asyncio.to_thread(principal_of, websocket, node.store)
    if principal is None:
        await websocket.close(code=CLOSE_POLICY, reason="authentication required")
        return
    await websocket.accept()
    client = node.bus.add_client(node.settings.api.ws_client_buffer)

    async def drain_incoming() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    reader = asyncio.create_task(drain_incoming())
    closed = asyncio.create_task(client.closed.wait())
    try:
        while True:
            getter = asyncio.create_task(client.queue.get())
            done, _ = await asyncio.wait({getter, reader, closed}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            await websocket.send_text(getter.result().decode())
            client.sent += 1
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        node.bus.remove_client(client)
        reader.cancel()
        closed.cancel()
        if client.overflowed:
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_SLOW, reason="client too slow")
