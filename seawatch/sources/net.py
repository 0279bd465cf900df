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
import os
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 64 * 1024  # NMEA sentences are at most 82 characters; tag blocks add a few hundred
READ_BYTES = 65536


def _now() -> datetime:
    return datetime.now(UTC)


class LineBuffer:
    """Cuts a byte stream into whole lines in linear time, however the sender splits or stalls it.

    `feed(chunk)` returns the complete lines now available, as one block ending in a newline (for the
    vectorised AIS decoder) or b"". A partial line is kept as a list of pieces (never re-joined on
    every read, which made a 98 MiB line without a newline cost quadratic time); once it grows past
    `max_line_bytes` it is dropped up to its newline and counted in `overlong` (its first bytes kept
    in `overlong_heads` until `take_overlong()`), so one sender cannot make the node hold a line of
    unbounded size.
    """

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self.overlong = 0
        self.overlong_heads: list[bytes] = []
        self._parts: list[bytes] = []
        self._size = 0
        self._skipping = False

    def _drop_partial(self) -> None:
        head = b"".join(self._parts)[:200]
        self.overlong += 1
        if len(self.overlong_heads) < 100:
            self.overlong_heads.append(head)
        self._parts, self._size, self._skipping = [], 0, True

    def take_overlong(self) -> list[bytes]:
        heads, self.overlong_heads = self.overlong_heads, []
        return heads

    def feed(self, chunk: bytes) -> bytes:
        cut = chunk.rfind(b"\n")
        if cut < 0:
            if not self._skipping:
                self._parts.append(chunk)
                self._size += len(chunk)
                if self._size > self.max_line_bytes:
                    self._drop_partial()
            return b""
        head, tail = chunk[: cut + 1], chunk[cut + 1 :]
        if self._skipping:  # the rest of a dropped line runs to the first newline
            head = head[head.find(b"\n") + 1 :]
            self._skipping = False
        elif self._parts:
            first = head.find(b"\n") + 1
            if self._size + first > self.max_line_bytes:
                self._parts.append(head[:first])
                self._drop_partial()
                self._skipping = False
                head = head[first:]
            else:
                head = b"".join([*self._parts, head])
        self._parts, self._size = ([tail], len(tail)) if tail else ([], 0)
        if self._size > self.max_line_bytes:
            self._drop_partial()
        return head

    def flush(self) -> bytes:
        """What is left at the end of the stream (a last line without its newline), or b""."""
        rest = b"" if self._skipping else b"".join(self._parts)
        self._parts, self._size, self._skipping = [], 0, False
        return rest


def udp_kernel_drops(sock: socket.socket) -> int | None:
    """Datagrams the kernel dropped on this socket (its receive buffer was full), from the `drops`
    column of /proc/net/udp(6) for the socket's inode; None where /proc does not say (not Linux)."""
    try:
        inode = os.fstat(sock.fileno()).st_ino
    except OSError:
        return None
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as rows:
                next(rows, None)
                for row in rows:
                    fields = row.split()
                    if len(fields) >= 13 and fields[9] == str(inode):
                        return int(fields[12])
        except OSError:
            continue
    return None


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
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.host = host
        self.max_line_bytes = max_line_bytes
        self.overlong = 0  # lines dropped for being longer than max_line_bytes
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
                    asyncio.open_connection(self.host, self.port),
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
                lines = LineBuffer(self.max_line_bytes)
                try:
                    while not self._stopped.is_set():
                        chunk = await reader.read(READ_BYTES)
                        if not chunk:
                            break
                        got_data = True
                        block = lines.feed(chunk)
                        dropped = lines.take_overlong()
                        self.overlong += len(dropped)
                        for head in dropped:
                            log.warning(
                                "tcp %s:%d: line over %d bytes dropped (%r...)",
                                self.host,
                                self.port,
                                self.max_line_bytes,
                                head[:40],
                            )
                        received_at = _now()
                        for raw in block.split(b"\n"):
                            line = _text(raw)
                            if line:
                                yield line, received_at
                    last = _text(lines.flush())
                    if last:
                        yield last, _now()
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

    @property
    def kernel_drops(self) -> int | None:
        """Datagrams the kernel dropped before we read them (socket buffer full); None: unknown."""
        sock = None if self._transport is None else self._transport.get_extra_info("socket")
        return None if sock is None else udp_kernel_drops(sock)

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
