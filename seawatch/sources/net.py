"""Network line sources (asyncio), the one transport of the CLI and the node: a TCP client that
reconnects with exponential backoff, a TCP listener, and a UDP listener.

Each reads whole chunks and cuts them into lines with a `LineBuffer` (linear time however the sender
splits or stalls; a line over `MAX_LINE_BYTES` is dropped, counted and its head kept for a reject).
Line by line: `async for line, received_at in TcpLineSource(...)` / `UdpLineSource(...)`; block by
block (the node's vectorised AIS decoder): `TcpLineSource.blocks()`, `serve_tcp(...)`,
`UdpLineSource.datagrams()`. `received_at` is the UTC time the data arrived (sources are the I/O edge,
so they may read the clock).

    async for line, received_at in TcpLineSource("ais.example.org", 4001):
        for item in decoder.feed(line, received_at): ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class Block:
    """What one read gave: `data`, complete lines ending in a newline (b"" when none), and the heads of
    the lines dropped for being over the cap (`overlong`). `last` marks a connection's end (`data` then
    holds its last line, given a newline, if it had no newline of its own)."""

    data: bytes
    received_at: datetime
    overlong: list[bytes] = field(default_factory=list)
    last: bool = False


async def stream_blocks(
    reader: asyncio.StreamReader, max_line_bytes: int = MAX_LINE_BYTES
) -> AsyncIterator[Block]:
    """The blocks of one connection, up to and including its `last` one."""
    lines = LineBuffer(max_line_bytes)
    try:
        while chunk := await reader.read(READ_BYTES):
            data = lines.feed(chunk)
            overlong = lines.take_overlong()
            if data or overlong:
                yield Block(data, _now(), overlong)
    except (OSError, asyncio.IncompleteReadError) as exc:
        log.warning("read failed: %s", exc)
    rest = lines.flush()
    yield Block(rest + b"\n" if rest.strip() else b"", _now(), last=True)


async def serve_tcp(
    host: str,
    port: int,
    on_connection: Callable[[AsyncIterator[Block]], Awaitable[None]],
    max_line_bytes: int = MAX_LINE_BYTES,
) -> None:
    """Listen on host:port; each connection's blocks go to `on_connection` (one call per connection,
    the connection closed when it returns). Runs until cancelled."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await on_connection(stream_blocks(reader, max_line_bytes))
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port)
    async with server:
        await server.serve_forever()


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

    async def blocks(self) -> AsyncIterator[Block]:
        """Blocks as read, over every connection in turn (each ends with a `last` block), reconnecting
        after a growing delay until `stop()`."""
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
                try:
                    async for block in stream_blocks(reader, self.max_line_bytes):
                        got_data = got_data or bool(block.data or block.overlong)
                        self.overlong += len(block.overlong)
                        for head in block.overlong:
                            log.warning(
                                "tcp %s:%d: line over %d bytes dropped (%r...)",
                                self.host,
                                self.port,
                                self.max_line_bytes,
                                head[:40],
                            )
                        yield block
                        if self._stopped.is_set():
                            break
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

    async def __aiter__(self) -> AsyncIterator[tuple[str, datetime]]:
        async for block in self.blocks():
            for raw in block.data.split(b"\n"):
                line = _text(raw)
                if line:
                    yield line, block.received_at


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, source: UdpLineSource) -> None:
        self.source = source

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        source = self.source
        source.datagrams_read += 1
        try:
            source._queue.put_nowait((data, _now()))
        except asyncio.QueueFull:  # the reader is behind: this datagram is dropped and counted
            source.dropped += 1
            if source.dropped % 1000 == 1:
                log.warning(
                    "udp %s:%d overloaded: %d datagrams dropped", source.host, source.port, source.dropped
                )


class UdpLineSource:
    """Listen on `host:port` (port 0: any free port, see `.port` after `start()`); a datagram may hold
    several lines. Use as `async with UdpLineSource(...) as src: async for line, t in src: ...`, or
    `src.datagrams()` for whole datagrams. Counted: `datagrams_read` (taken from the socket), `dropped`
    (read while `queue_size` datagrams were waiting: the newest is dropped) and `kernel_drops` (dropped
    by the kernel before we read them)."""

    def __init__(self, host: str = "0.0.0.0", port: int = 0, queue_size: int = 10_000) -> None:
        self.host = host
        self.port = port
        self.datagrams_read = 0
        self.dropped = 0
        self._queue: asyncio.Queue[tuple[bytes, datetime]] = asyncio.Queue(maxsize=queue_size)
        self._transport: asyncio.DatagramTransport | None = None
        self._closed = False

    @property
    def kernel_drops(self) -> int | None:
        """Datagrams the kernel dropped before we read them (socket buffer full); None: unknown."""
        sock = None if self._transport is None else self._transport.get_extra_info("socket")
        return None if sock is None else udp_kernel_drops(sock)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        log.info("udp listening on %s:%d", self.host, self.port)

    def stop(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait((b"", _now()))  # wake the reader

    async def __aenter__(self) -> UdpLineSource:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def datagrams(self) -> AsyncIterator[tuple[bytes, datetime]]:
        """Each datagram with the time it arrived, until `stop()`."""
        if self._transport is None and not self._closed:
            await self.start()
        while True:
            data, received_at = await self._queue.get()
            if not data and self._closed:
                return
            if data:
                yield data, received_at

    async def __aiter__(self) -> AsyncIterator[tuple[str, datetime]]:
        async for data, received_at in self.datagrams():
            for raw in data.splitlines():
                line = _text(raw)
                if line:
                    yield line, received_at
