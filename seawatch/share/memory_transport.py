"""An in-memory transport for unit tests: the interface of `share/transport.py`'s `Transport` (streams,
a duplicate window by msg id, durable cursors per partner), in one process, with outages on demand."""

from __future__ import annotations

import asyncio

from seawatch.share.transport import Delivery, PartnerLag, TransportError, partner_filter, stream_name


class MemoryBroker:
    """A toy broker shared by MemoryTransports: streams, duplicate window by msg id, durable cursors."""

    def __init__(self) -> None:
        self.streams: dict[str, list[tuple[str, bytes]]] = {}
        self.msg_ids: dict[str, int] = {}  # msg id -> stream sequence (1-based)
        self.cursors: dict[tuple[str, str], int] = {}
        self.up = True


class MemoryTransport:
    """Same interface as NatsTransport, in process; `broker.up = False` simulates an outage."""

    def __init__(self, broker: MemoryBroker) -> None:
        self.broker = broker
        self._started = False

    @property
    def connected(self) -> bool:
        return self._started and self.broker.up

    async def start(self) -> None:
        if not self.broker.up:
            raise TransportError("broker down")
        self._started = True

    async def close(self) -> None:
        self._started = False

    async def ensure_outgoing(self, origin: str, partners: list[str]) -> None:
        if not self.connected:
            raise TransportError("not connected")
        self.broker.streams.setdefault(stream_name(origin), [])

    async def purge_partner(self, origin: str, partner: str) -> int:
        if not self.connected:
            raise TransportError("not connected")
        stream = self.broker.streams.get(stream_name(origin), [])
        start = self.broker.cursors.get((origin, partner), 0)
        prefix = partner_filter(origin, partner)[:-1]
        purged = 0
        for index in range(start, len(stream)):
            if stream[index][0].startswith(prefix):
                stream[index] = ("", b"")  # a tombstone keeps every other partner's cursor in place
                purged += 1
        return purged

    async def lag(self, origin: str, partner: str) -> PartnerLag | None:
        stream = self.broker.streams.get(stream_name(origin), [])
        prefix = partner_filter(origin, partner)[:-1]
        start = self.broker.cursors.get((origin, partner), 0)
        waiting = sum(1 for subject, _ in stream[start:] if subject.startswith(prefix))
        return PartnerLag(partner, waiting, 0, start)  # taken = acknowledged here (no-op acks)

    async def publish(self, subject: str, data: bytes, msg_id: str) -> int:
        if not self.connected:
            raise TransportError("not connected")
        if msg_id in self.broker.msg_ids:
            return self.broker.msg_ids[msg_id]
        stream = self.broker.streams.setdefault(stream_name(subject.split(".")[1]), [])
        stream.append((subject, data))
        self.broker.msg_ids[msg_id] = len(stream)
        return len(stream)

    async def fetch(self, origin: str, partner: str, batch: int, timeout_s: float) -> list[Delivery]:
        if not self.connected:
            await asyncio.sleep(min(timeout_s, 0.01))
            return []
        stream = self.broker.streams.get(stream_name(origin), [])
        prefix = partner_filter(origin, partner)[:-1]
        key = (origin, partner)
        start = self.broker.cursors.get(key, 0)
        out: list[Delivery] = []
        index = start
        while index < len(stream) and len(out) < batch:
            subject, data = stream[index]
            index += 1
            if subject.startswith(prefix):
                out.append(Delivery(data, subject, _noop_ack))
        self.broker.cursors[key] = index
        if not out:
            await asyncio.sleep(min(timeout_s, 0.01))
        return out


async def _noop_ack() -> None:
    return None
