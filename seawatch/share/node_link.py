"""The node's live items out to its `Federation` (partner items in: `share.node_sink.NodeSink`).

The node's live bus hands every committed track state, event and sighting to `NodeLink.on_live`, which
converts it to a `ShareItem` (`OUTGOING`, per live kind) and queues it; a flush task passes batches to
`Federation.publish_many` in a worker thread (policies, signing and the outbox write never stall the
node's committer). Events, sightings and chat go to the outbox at once (before the node confirms them).
Chat rooms and messages (`node/chat.py`) leave stamped with their room's releasability (`releasable_to`):
only partners named there (and whose policy has `case_messages`) are sent them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from seawatch.model import Event
from seawatch.node.bus import LiveItem
from seawatch.share.federation import Federation
from seawatch.share.kinds import ShareItem, track_item
from seawatch.share.node_sink import NodeSink
from seawatch.timeutil import iso_utc

if TYPE_CHECKING:
    from seawatch.node.node import Node

log = logging.getLogger(__name__)


def _track(live: LiveItem, own_node: str) -> ShareItem | None:
    from seawatch.store.base import TrackState

    if not isinstance(live.item, TrackState):
        return None
    if live.item.nodes and own_node not in live.item.nodes:
        return None  # purely a partner's track: nothing of ours in it
    return track_item(live.item)


def _event(live: LiveItem, own_node: str) -> ShareItem | None:
    if not isinstance(live.item, Event):
        return None
    data = live.item.to_json()
    if live.origin != own_node:
        data["origin_node"] = live.origin  # a partner's event: re-share rules apply
    return ShareItem("event", data)


def _sighting(live: LiveItem, own_node: str) -> ShareItem | None:
    if not isinstance(live.item, dict):
        return None
    data = dict(live.item)
    if "t" in data and "time" not in data:
        data["time"] = iso_utc(float(data["t"]))
    return ShareItem("sighting", data)


def _chat(node: Node) -> Callable[[LiveItem, str], ShareItem | None]:
    """An own chat room (its header: `case` or `chat_room`) or message, stamped with the room's
    releasability by the node's chat; a partner's is never passed on."""

    def convert(live: LiveItem, own_node: str) -> ShareItem | None:
        if live.origin != own_node or not isinstance(live.item, dict):
            return None
        shared = node.chat.share_data(live.kind, live.item)
        return None if shared is None else ShareItem(*shared)

    return convert


# a live item of each kind as something to share (share/kinds.py: adding a kind); chat: `NodeLink`
OUTGOING: dict[str, Callable[[LiveItem, str], ShareItem | None]] = {
    "track": _track,
    "event": _event,
    "sighting": _sighting,
}
CHAT_LIVE = ("chat_room", "case_message")  # live kinds of chat (chat_room: a case's header or a room)
# into the outbox before the node confirms them (chat: before the poster's answer, header before messages)
IMMEDIATE = frozenset({"event", "sighting", *CHAT_LIVE})


def live_to_item(live: LiveItem, own_node: str) -> ShareItem | None:
    """A node live item as something to share (None for what is not ours to share)."""
    convert = OUTGOING.get(live.kind)
    return None if convert is None else convert(live, own_node)


class NodeLink:
    """Subscribes the federation to the node's live bus and batches what goes out."""

    def __init__(
        self, node: Node, federation: Federation, sink: NodeSink | None = None, flush_s: float = 0.05
    ) -> None:
        self.node = node
        self.federation = federation
        self.sink = sink
        self.flush_s = flush_s
        self._pending: list[ShareItem] = []
        self._outgoing = {**OUTGOING, **dict.fromkeys(CHAT_LIVE, _chat(node))}
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None

    def on_live(self, live: LiveItem) -> None:
        if live.kind == "event" and live.origin == self.node.node_id and isinstance(live.item, Event):
            self._fold(live.item)
        convert = self._outgoing.get(live.kind)
        item = None if convert is None else convert(live, self.node.node_id)
        if item is None:
            return
        if item.kind == "event" and isinstance(live.item, Event):
            derived = self._event_nodes(live.item)
            if derived:
                item.data["nodes"] = derived  # detected on partner data: their re-share rules apply
                try:  # ...and their retention: it ends with the shortest of theirs
                    self.federation.note_derived(live.item.event_id, derived)
                except Exception:
                    log.exception("derived event retention not noted")
        if live.kind in IMMEDIATE:
            # into the outbox now, before the node confirms the sighting to its reporter or moves on:
            # a kill -9 after that confirmation must not lose it (tracks are superseded by the next state)
            try:
                self.federation.publish_many([item])
            except Exception:
                log.exception("federation publish failed")
            return
        self._pending.append(item)

    def _fold(self, event: Event) -> None:
        """Our own detection of what a partner reported first: one alert listing both (the partner's
        copy is folded into ours; operators' pages are told it is dismissed as the same alert)."""
        if self.sink is None:
            return
        try:
            folded = self.sink.fold_partner_copies(event)
        except Exception:
            log.exception("folding partner copies of %s", event.event_id)
            return
        if folded:
            now = time.time()
            reason = f"same alert as {event.event_id} (one alert, both origins)"
            self.node.bus.publish(
                [
                    LiveItem(
                        "alert_state",
                        {
                            "event_id": pid,
                            "state": "dismissed",
                            "reason": reason,
                            "by": self.node.node_id,
                            "at": now,
                        },
                        self.node.node_id,
                    )
                    for pid in folded
                ]
            )

    def _event_nodes(self, event: Event) -> list[str]:
        """Nodes behind the tracks an event was raised on (our detectors also watch partner tracks)."""
        nodes: set[str] = set()
        for track_id in event.track_ids:
            state = self.node.live.get(track_id)
            if state is not None:
                nodes.update(state.nodes)
        if event.mmsi:
            wanted = set(event.mmsi)
            for state in self.node.live.values():
                if state.mmsi in wanted:
                    nodes.update(state.nodes)
        nodes.discard(self.node.node_id)
        return sorted(nodes)

    async def start(self) -> None:
        self._unsubscribe = self.node.subscribe(self.on_live)
        self._task = asyncio.create_task(self._flush_loop(), name="federation-link")

    async def flush(self) -> int:
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        return await asyncio.to_thread(self.federation.publish_many, batch)

    async def _flush_loop(self) -> None:
        while True:
            try:
                await self.flush()
            except Exception:
                log.exception("federation publish failed")
            await asyncio.sleep(self.flush_s)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
