"""`LiveBus`: fan-out of new track states, events and sightings to in-process subscribers and to
WebSocket clients. Publishing never blocks: each client has a bounded buffer and a client whose
buffer is full is dropped (its WebSocket is closed), so a slow reader never slows the node."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from seawatch.model import Event
from seawatch.node.geojson import track_feature
from seawatch.store.base import TrackState

log = logging.getLogger(__name__)

LiveKind = Literal["track", "event", "sighting", "alert_state", "case_message", "chat_room"]


@dataclass(frozen=True, slots=True)
class LiveItem:
    """What subscribers receive: `item` is a `TrackState`, an `Event`, a sighting dict, an alert state
    dict (what an operator did with an alert: `store/alert_states.py`), or a chat message or room dict
    (`store/chat.py`)."""

    kind: LiveKind
    item: TrackState | Event | dict[str, Any]
    origin: str  # node the item came from


Subscriber = Callable[[LiveItem], None]


@dataclass(eq=False)
class LiveClient:
    queue: asyncio.Queue[bytes]
    overflowed: bool = False
    sent: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)


def encode(item: LiveItem, feature: bytes | None = None) -> bytes:
    """The WebSocket message; a track's feature may come pre-encoded (the node caches it)."""
    if feature is not None:
        return b'{"kind":"track","data":' + feature + b"}"
    if item.kind == "track":
        assert isinstance(item.item, TrackState)
        data: Any = track_feature(item.item)
    elif item.kind == "event":
        assert isinstance(item.item, Event)
        data = {**item.item.to_json(), "origin": item.origin}
    else:
        data = item.item
    return orjson.dumps({"kind": item.kind, "data": data})


class LiveBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._clients: set[LiveClient] = set()
        self.published = 0
        self.dropped_clients = 0

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(LiveItem)` for every published item; returns an unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def add_client(self, buffer: int) -> LiveClient:
        client = LiveClient(queue=asyncio.Queue(maxsize=buffer))
        self._clients.add(client)
        return client

    def remove_client(self, client: LiveClient) -> None:
        self._clients.discard(client)
        client.closed.set()

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def broadcast(self, kind: str, data: Any) -> None:
        """Push `{"kind": kind, "data": data}` to WebSocket clients only (not to subscribers): operations
        news (asset states, taskings, intercepts) that is not part of the picture the node shares."""
        message = orjson.dumps({"kind": kind, "data": data})
        for client in list(self._clients):
            try:
                client.queue.put_nowait(message)
            except asyncio.QueueFull:
                client.overflowed = True
                self.dropped_clients += 1
                self.remove_client(client)

    def notify(self, items: list[LiveItem]) -> None:
        """Hand items to subscribers only (the federation), not to WebSocket clients: what partners must
        get again (chat history for a nation added to a room) that the pages already have."""
        for item in items:
            for callback in list(self._subscribers):
                try:
                    callback(item)
                except Exception:  # a subscriber bug must not stop the node
                    log.exception("live subscriber failed")

    def publish(self, items: list[LiveItem], features: dict[str, bytes] | None = None) -> None:
        """Hand items to subscribers and clients; `features` holds pre-encoded track features by id."""
        self.notify(items)
        self.published += len(items)
        if not self._clients or not items:
            return
        cache = features or {}
        messages = [
            encode(i, cache.get(i.item.track_id) if isinstance(i.item, TrackState) else None) for i in items
        ]
        for client in list(self._clients):
            try:
                for message in messages:
                    client.queue.put_nowait(message)
            except asyncio.QueueFull:
                log.warning("live client too slow (buffer full): disconnecting it")
                client.overflowed = True
                self.dropped_clients += 1
                self.remove_client(client)
