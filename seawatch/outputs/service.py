"""The node's NMEA outputs: every `interval_s`, the live picture, released through each output's own
sharing policy (an output is a partner: nothing its policy withholds goes out), sent as NMEA lines
to the TCP clients connected to it or as UDP datagrams to its destination.

A TCP client that falls behind (`max_client_buffer_bytes` unsent) is dropped, never waited for;
a UDP destination that refuses is counted and retried at the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from seawatch.outputs.encode import position_report, static_report, target_sentence
from seawatch.outputs.settings import NmeaOutputSettings
from seawatch.share.kinds import track_item
from seawatch.share.policy import SharePolicy
from seawatch.store.base import TrackState
from seawatch.timeutil import parse_utc

log = logging.getLogger(__name__)
UDP_MAX_BYTES = 1400  # lines per datagram kept under a typical MTU


class TargetNumbers:
    """Two-digit TLL target numbers (01-99) kept per track while it stays in the picture."""

    def __init__(self) -> None:
        self._numbers: OrderedDict[str, int] = OrderedDict()

    def number(self, track_id: str) -> int:
        if track_id in self._numbers:
            self._numbers.move_to_end(track_id)
            return self._numbers[track_id]
        used = set(self._numbers.values())
        free = next((n for n in range(1, 100) if n not in used), None)
        if free is None:  # 99 targets: the longest unseen gives its number up
            _, free = self._numbers.popitem(last=False)
        self._numbers[track_id] = free
        return free


class NmeaOutput:
    """One `[[outputs]]` entry."""

    def __init__(self, settings: NmeaOutputSettings, picture: Callable[[], Iterable[TrackState]]) -> None:
        self.settings = settings
        self.policy = SharePolicy.from_dict(settings.name, settings.policy)
        self.picture = picture
        self.targets = TargetNumbers()
        self.counts: dict[str, int] = {"sent_lines": 0, "withheld": 0, "stale": 0, "dropped_clients": 0,
                                        "send_errors": 0}  # fmt: skip
        self._clients: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._udp: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._seq = 0
        self._last_static = float("-inf")

    # -- the sentences of one interval -----------------------------------------------------------
    def sentences(self, with_statics: bool) -> list[str]:
        return self.encode(list(self.picture()), with_statics)

    def encode(self, states: list[TrackState], with_statics: bool) -> list[str]:
        """The released picture as NMEA lines (run off the event loop: ~50 us a track)."""
        if not states:
            return []
        newest = max(s.time.timestamp() for s in states)  # a replayed feed has its own clock
        lines: list[str] = []
        for state in sorted(states, key=lambda s: s.track_id):
            if newest - state.time.timestamp() > self.settings.max_age_s:
                self.counts["stale"] += 1
                continue
            released = self.policy.apply(track_item(state))
            if released is None or released.data.get("lat") is None or released.data.get("lon") is None:
                self.counts["withheld"] += 1
                continue
            data = released.data
            at = parse_utc(data["time"]) if data.get("time") else state.time
            self._seq += 1
            if data.get("mmsi") and not data.get("dark"):
                lines += position_report(data, at, self._seq)
                if with_statics:
                    lines += static_report(data, self._seq)
            else:
                lines.append(
                    target_sentence(data, self.targets.number(state.track_id), at, self.settings.talker)
                )
        return lines

    # -- transport ---------------------------------------------------------------------------------
    async def start(self) -> None:
        s = self.settings
        if s.kind == "tcp":
            self._server = await asyncio.start_server(self._on_client, s.host, s.port)
        else:
            self._udp = socket.socket(socket.AF_INET6 if ":" in s.host else socket.AF_INET, socket.SOCK_DGRAM)
            self._udp.setblocking(False)
        self._task = asyncio.create_task(self._run(), name=f"nmea-output-{s.name}")
        log.info("NMEA output %s: %s %s:%d every %.1f s", s.name, s.kind, s.host, s.port, s.interval_s)

    @property
    def port(self) -> int:
        """The bound TCP port (useful with port 0), else the configured one."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self.settings.port

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for writer in list(self._clients):
            writer.close()
        self._clients.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._udp is not None:
            self._udp.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await reader.read()  # plotters send nothing we use; the connection ends when they leave
        except (ConnectionError, OSError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            with_statics = now - self._last_static >= self.settings.static_interval_s
            if with_statics:
                self._last_static = now
            try:
                states = list(self.picture())  # a snapshot taken on the loop that updates the picture
                self.send(await asyncio.to_thread(self.encode, states, with_statics))
            except Exception:  # one bad interval must not end the output
                log.exception("NMEA output %s: interval failed", self.settings.name)
            await asyncio.sleep(self.settings.interval_s)

    def send(self, lines: list[str]) -> None:
        if not lines:
            return
        payload = "".join(f"{line}\r\n" for line in lines).encode("ascii")
        if self._udp is not None:
            self._send_udp(lines)
        for writer in list(self._clients):
            transport = writer.transport
            if transport.is_closing():
                self._clients.discard(writer)
                continue
            if transport.get_write_buffer_size() > self.settings.max_client_buffer_bytes:
                self.counts["dropped_clients"] += 1
                log.warning("NMEA output %s: dropped a client that fell behind", self.settings.name)
                self._clients.discard(writer)
                writer.close()
                continue
            writer.write(payload)
        self.counts["sent_lines"] += len(lines)

    def _send_udp(self, lines: list[str]) -> None:
        assert self._udp is not None
        datagram: list[bytes] = []
        size = 0
        for line in [*lines, None]:
            raw = None if line is None else f"{line}\r\n".encode("ascii")
            if datagram and (raw is None or size + len(raw) > UDP_MAX_BYTES):
                try:
                    self._udp.sendto(b"".join(datagram), (self.settings.host, self.settings.port))
                except OSError:
                    self.counts["send_errors"] += 1
                datagram, size = [], 0
            if raw is not None:
                datagram.append(raw)
                size += len(raw)


class NmeaOutputs:
    """Every `[[outputs]]` of a node, started and stopped with it (`api/app.py`)."""

    def __init__(self, node: Any) -> None:
        configs: list[NmeaOutputSettings] = list(getattr(node.settings, "outputs", []) or [])
        self.outputs = [NmeaOutput(c, lambda: list(node.live.values())) for c in configs]

    async def start(self) -> None:
        for output in self.outputs:
            await output.start()

    async def stop(self) -> None:
        for output in self.outputs:
            await output.stop()
