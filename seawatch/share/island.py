"""An island's broker connection: the node talks to its own nats-server, a leaf node of the regional hub
with its own JetStream domain (`seawatch region broker --leaf N`, configured by `seawatch region init`).

- The node's stream `SEAWATCH_N` lives on the island: a publish is confirmed by the island's JetStream,
  so the node keeps recording (and empties its outbox) while the link to the hub is cut.
- The hub holds a copy of that stream under the same name, sourced from the island's domain over the
  leaf link (`$JS.N.API`, delivered on `$SW.N.src`); after an outage the source resumes where it
  stopped, so the hub catches up with nothing lost and nothing twice. The partners' consumers `to_P`
  are on the hub's copy: partners read an island's stream exactly as any other, and never send a
  request into the island.
- Partners' streams are read from the hub's domain (`$JS.hub.API`), through the leaf link.
- A narrowing purges the partner's subject on both copies; the partner's acknowledgement floor on the
  hub's copy is translated back to the island's sequence (the `Nats-Stream-Source` header) so the
  sender re-sends exactly what the partner has not taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from seawatch.share.transport import (
    NatsTransport,
    PartnerLag,
    TlsFiles,
    TransportError,
    consumer_name,
    stream_name,
)

log = logging.getLogger(__name__)


def source_deliver_prefix(nation: str) -> str:
    """Where the island's JetStream delivers the hub's copy of its stream (region.py allows only this)."""
    return f"$SW.{nation}.src"


class IslandTransport(NatsTransport):
    def __init__(
        self,
        url: str,
        *,
        node_id: str,
        hub_domain: str,
        tls: TlsFiles | None = None,
        hub_replicas: int = 1,
        **kw: Any,
    ) -> None:
        super().__init__(url, tls=tls, node_id=node_id, **kw)  # the island's own stream: one copy
        self.hub_domain = hub_domain
        self.hub_replicas = hub_replicas  # the hub's copy: replicated on a clustered hub
        self.island_domain = node_id
        self._hub: Any = None
        self._local_ready: set[str] = set()
        self._wanted: dict[str, list[str]] = {}
        self._retry: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self._hub = self._nc.jetstream(domain=self.hub_domain)
        self._read_js = self._hub

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._retry
            self._retry = None
        await super().close()
        self._hub = None
        self._local_ready.clear()

    async def publish(self, subject: str, data: bytes, msg_id: str) -> int:
        try:
            return await super().publish(subject, data, msg_id)
        except TransportError:
            self._local_ready.clear()  # an island that lost its store needs the stream again
            raise

    async def ensure_outgoing(self, origin: str, partners: list[str]) -> None:
        """The island's own stream first (recording needs nothing else: an island that starts cut off
        still records), then the hub's copy and the partners' consumers on it, retried in the
        background until the hub is reachable."""
        if self._js is None or self._hub is None:
            raise TransportError("not connected")
        if origin not in self._local_ready:
            await self._ensure_stream(self._js, self.stream_config(origin))
            self._local_ready.add(origin)
        if origin in self._streams_ready:
            return
        self._wanted[origin] = list(partners)
        if self._retry is None or self._retry.done():
            self._retry = asyncio.create_task(self._retry_hub_copy(), name="island-hub-copy")
        await self._make_hub_copy(origin, partners)

    async def _retry_hub_copy(self) -> None:
        """Until the hub has the copy (the link may be down for hours): try again every second."""
        while self._hub is not None and any(o not in self._streams_ready for o in self._wanted):
            await asyncio.sleep(1.0)
            for origin, partners in list(self._wanted.items()):
                if origin not in self._streams_ready and self.connected:
                    await self._make_hub_copy(origin, partners)

    async def _make_hub_copy(self, origin: str, partners: list[str]) -> None:
        from nats.js.api import ExternalStream, StreamSource

        source = StreamSource(
            name=stream_name(origin),
            external=ExternalStream(
                api=f"$JS.{self.island_domain}.API", deliver=source_deliver_prefix(origin)
            ),
        )
        try:
            await self._ensure_stream(
                self._hub,
                self.stream_config(origin, subjects=None, sources=[source], num_replicas=self.hub_replicas),
            )
            await self._ensure_consumers(self._hub, origin, partners)
        except TransportError as exc:
            log.debug("hub copy of %s not made yet (link down?): %s", origin, exc)
            return
        self._streams_ready.add(origin)

    async def purge_partner(self, origin: str, partner: str) -> int:
        if self._js is None or not self.connected:
            raise TransportError("not connected")
        on_island = await self._purge("$JS.API", origin, partner)
        on_hub = await self._purge(f"$JS.{self.hub_domain}.API", origin, partner)
        return on_island + on_hub

    async def lag(self, origin: str, partner: str) -> PartnerLag | None:
        if self._hub is None or not self.connected:
            return None
        try:
            info = await self._hub.consumer_info(stream_name(origin), consumer_name(partner), timeout=2.0)
            floor = int(getattr(info.ack_floor, "stream_seq", 0) or 0)
            island_floor = await self._island_seq(origin, floor) if floor else 0
        except Exception as exc:
            log.debug("consumer info %s/%s on the hub: %s", origin, partner, exc)
            return None
        return PartnerLag(partner, int(info.num_pending or 0), int(info.num_ack_pending or 0), island_floor)

    async def _island_seq(self, origin: str, hub_seq: int) -> int:
        """The island's sequence number of the hub copy's message `hub_seq` (0 when unknown: then the
        sender treats everything it sent as not taken, and the partner refuses what it has as replays)."""
        try:
            msg = await self._hub.get_msg(stream_name(origin), hub_seq)
        except Exception as exc:
            log.debug("hub copy %s #%d: %s", origin, hub_seq, exc)
            return 0
        header = (msg.headers or {}).get("Nats-Stream-Source", "")
        parts = str(header).split()
        try:
            return int(parts[1])
        except (IndexError, ValueError):
            return 0
