"""Network line sources (asyncio): a TCP client that reconnects with exponential backoff, and a UDP
listener. Both are async iterators of `(line, received_at)`; `received_at` is the UTC time the line
arrived (sources are the I/O edge, so they may read the clock).

    async for line, received_at in TcpLineSource("ais.example.org", 4001):
        for item in decoder.feed(line, received_at): ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 64 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


def _text(raw: bytes) -> str:
    return raw.decode("ascii", "backslashreplace").strip()


class TcpLineSource:
    """Connect to `host:port`, yield lines; on close or error, reconnect after a growing delay.

    The delay starts at `min_backoff_s`, doubles after every failed or empty connection up to
    `max_backoff_s`, and resets once a connection delivers data. `stop()` ends the iteration.
    """

    def __init__(
        self,
        host: str,
        port: int,
        min_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.connect_timeout_s = connect_timeout_s
        self.connects = 0
        self.failures = 0
        self.delays_s: list[float] = []  # every backoff delay taken, for monitoring
        self._stopped = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None

    def stop(self) -> None:
        self._stopped.set()
        if self._writer is not None:
            self._writer.close()

    async def _sleep(self, delay_s: float) -> None:
        self.delays_s.append(delay_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), timeout=delay_s)

    async def __aiter__(self) -> AsyncIterator[tuple[str, datetime]]:
        delay_s = self.min_backoff_s
        while not self._stopped.is_set():
            got_data = False
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, limit=MAX_LINE_BYTES),
                    timeout=self.connect_timeout_s,
                )
            except (OSError, TimeoutError) as exc:
                self.failures += 1
                log.warning(
                    "tcp %s:%d connect failed: %s; retry in %.1f s", self.host, self.port, exc, delay_s
                )
            else:
                self.connects += 1
                self._writer = writer
                log.info("tcp %s:%d connected", self.host, self.port)
                try:
                    while not self._stopped.is_set():
                        try:
                            raw = await reader.readline()
                        except ValueError:  # a line longer than the limit: drop it, keep going
                            log.warning(
                                "tcp %s:%d: line over %d bytes dropped", self.host, self.port, MAX_LINE_BYTES
                            )
                            continue
                        if not raw:
                            break
                        got_data = True
                        line = _text(raw)
                        if line:
                            yield line, _now()
                except (OSError, asyncio.IncompleteReadError) as exc:
                    log.warning("tcp %s:%d read failed: %s", self.host, self.port, exc)
                finally:
                    self._writer = None
                    writer.close()
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
                log.info("tcp %s:%d disconnected; retry in %.1f s", self.host, self.port, delay_s)
            if self._stopped.is_set():
                break
            if got_data:
                delay_s = self.min_backoff_s
            await self._sleep(delay_s)
            delay_s = min(delay_s * 2, self.max_backoff_s) if not got_data else self.min_backoff_s


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[tuple[str, datetime]], source: UdpLineSource) -> None:
        self.queue = queue
        self.source = source

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        now = _now()
        for raw in data.splitlines():
            line = _text(raw)
            if not line:
                continue
            if self.queue.full():  # keep the newest: drop the oldest and count it
                self.queue.get_nowait()
                self.source.dropped += 1
            self.queue.put_nowait((line, now))


class UdpLineSource:
    """Listen on `host:port` (port 0: any free port, see `.port` after `start()`); a datagram may hold
    several lines. Use as `async with UdpLineSource(...) as src: async for line, t in src: ...`."""

    def __init__(self, host: str = "0.0.0.0", port: int = 0, queue_size: int = 100_000) -> None:
        self.host = host
        self.port = port
        self.dropped = 0
        self._queue: asyncio.Queue[tuple[str, datetime]] = asyncio.Queue(maxsize=queue_size)
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self._queue, self), local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        log.info("udp listening on %s:%d", self.host, self.port)

    def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(("", _now()))  # wake the reader

    async def __aenter__(self) -> UdpLineSource:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aiter__(self) -> AsyncIterator[tuple[str, datetime]]:
        if self._transport is None:
            await self.start()
        while True:
            line, received_at = await self._queue.get()
            if not line and self._transport is None:
                return
            if line:
                yield line, received_at
