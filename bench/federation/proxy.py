"""A fault-injecting TCP proxy (asyncio) for an impaired island link: this kernel has no `tc netem`.

    proxy = FaultProxy(("127.0.0.1", broker_port), delay_s=0.6, stall_every_s=20, stall_s=3, drop_every_s=30)
    await proxy.start()   # listens on proxy.port; the node connects there instead of to the broker

Each direction of each connection is a pump that holds every chunk `delay_s` before passing it on
(one-way latency; order kept), pauses everything for `stall_s` every `stall_every_s` (a link that
freezes), and resets every connection every `drop_every_s` (a link that drops). `partition()` cuts all
connections and refuses new ones until `heal()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field


@dataclass
class FaultProxy:
    upstream: tuple[str, int]
    delay_s: float = 0.0
    stall_every_s: float = 0.0
    stall_s: float = 0.0
    drop_every_s: float = 0.0
    listen_host: str = "127.0.0.1"
    port: int = 0
    bytes_passed: int = 0
    drops: int = 0
    stalls: int = 0
    _server: asyncio.base_events.Server | None = field(default=None, repr=False)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set, repr=False)
    _partitioned: bool = False
    _stalled_until: float = 0.0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.listen_host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._tasks.add(asyncio.create_task(self._chaos()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._server is not None:
            self._server.close()
        self._cut()

    def partition(self) -> None:
        self._partitioned = True
        self._cut()

    def heal(self) -> None:
        self._partitioned = False

    def _cut(self) -> None:
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def _chaos(self) -> None:
        start = time.monotonic()
        next_stall = start + self.stall_every_s if self.stall_every_s else float("inf")
        next_drop = start + self.drop_every_s if self.drop_every_s else float("inf")
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if now >= next_stall:
                self._stalled_until = now + self.stall_s
                self.stalls += 1
                next_stall = now + self.stall_every_s
            if now >= next_drop:
                if self._writers:
                    self.drops += 1
                self._cut()
                next_drop = now + self.drop_every_s

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._partitioned:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )
        for w in (writer, up_writer):
            self._writers.discard(w)
            with contextlib.suppress(Exception):
                w.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read as it comes; deliver each chunk `delay_s` after it was read, in order."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                if not chunk:
                    writer.transport.abort()
                    return
                wait = max(due - time.monotonic(), self._stalled_until - time.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(chunk)
                self.bytes_passed += len(chunk)
                await writer.drain()

        sender = asyncio.create_task(deliver())
        try:
            while True:
                chunk = await reader.read(65536)
                await queue.put((time.monotonic() + self.delay_s, chunk))
                if not chunk:
                    break
            await sender
        finally:
            sender.cancel()
