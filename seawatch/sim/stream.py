"""Live output of a scenario: AIS and radar lines in time order, paced at real time or accelerated, to
stdout, a TCP server (clients such as `TcpLineSource` connect to it) or UDP datagrams.

Python API for `seawatch demo`: `iter_scenario_lines(scenario, seed)` yields `(sim_time, line)` with
`sim_time` a tz-aware UTC datetime, AIS (`\\s:..,c:..*hh\\!AIVDM,...`) and radar (`$RATTM`/`$RATLL`)
merged in time order; `paced(lines, speed)` sleeps so that simulated time runs `speed` times wall time.
"""

from __future__ import annotations

import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlparse

import numpy as np

from seawatch.errors import ConfigError
from seawatch.sim.engine import run_simulation
from seawatch.sim.scenario import Scenario, load_scenario
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)


def iter_scenario_lines(
    scenario: Scenario | str | Path, seed: int | None = None
) -> Iterator[tuple[datetime, str]]:
    """Every AIS and radar line of the scenario, in time order (ground truth is not computed)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    result = run_simulation(sc, seed, with_truth=False)
    ais_t, ais_lines = result.ais_lines()
    radar_t, radar_lines = result.radar_lines()
    times = np.concatenate([ais_t, radar_t])
    lines = ais_lines + radar_lines
    order = np.argsort(times, kind="stable")
    for k in order.tolist():
        yield utc_from_epoch(float(times[k])), lines[k]


def parse_speed(text: str) -> float:
    """`realtime` → 1, `x10` / `10x` / `10` → 10."""
    value = text.strip().lower()
    if value in ("realtime", "real-time", "1x", "x1"):
        return 1.0
    match = re.fullmatch(r"x?(\d+(?:\.\d+)?)x?", value)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"--speed {text!r}: expected realtime or xN (e.g. x10)")
    return float(match.group(1))


def paced(
    lines: Iterable[tuple[datetime, str]],
    speed: float | None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[tuple[datetime, str]]:
    """Yield lines no faster than `speed` × real time (None: as fast as possible)."""
    start_wall: float | None = None
    start_sim: float | None = None
    for sim_time, line in lines:
        if speed is not None:
            sim_s = sim_time.timestamp()
            if start_wall is None or start_sim is None:
                start_wall, start_sim = clock(), sim_s
            delay = start_wall + (sim_s - start_sim) / speed - clock()
            if delay > 0:
                sleep(delay)
        yield sim_time, line


class LineSink:
    """Where streamed lines go; `send(line)` and `close()`."""

    def send(self, line: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        return None


class StdoutSink(LineSink):
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


class UdpSink(LineSink):
    def __init__(self, host: str, port: int) -> None:
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, line: str) -> None:
        self.sock.sendto((line + "\r\n").encode("ascii"), self.addr)

    def close(self) -> None:
        self.sock.close()


class TcpServerSink(LineSink):
    """Listens on host:port and sends every line to every connected client (like an AIS feed server).
    Waits for the first client (up to `wait_s`) before the first line goes out."""

    def __init__(self, host: str, port: int, wait_s: float = 60.0) -> None:
        self.server = socket.create_server((host, port), reuse_port=False)
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.lock = threading.Lock()
        self.first = threading.Event()
        self.closed = False
        self.wait_s = wait_s
        self.thread = threading.Thread(target=self._accept, name="sim-tcp-accept", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, addr = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            log.info("stream client connected from %s", addr)
            with self.lock:
                self.clients.append(conn)
            self.first.set()

    def send(self, line: str) -> None:
        if not self.first.is_set():
            log.info("waiting up to %.0f s for a client on port %d", self.wait_s, self.port)
            self.first.wait(self.wait_s)
        data = (line + "\r\n").encode("ascii")
        with self.lock:
            for conn in list(self.clients):
                try:
                    conn.sendall(data)
                except OSError:
                    self.clients.remove(conn)
                    conn.close()

    def close(self) -> None:
        self.closed = True
        with self.lock:
            for conn in self.clients:
                conn.close()
            self.clients.clear()
        self.server.close()


def open_sink(target: str) -> LineSink:
    """`-` (stdout), `tcp://host:port` (serve clients), `udp://host:port` (send datagrams)."""
    if target == "-":
        return StdoutSink()
    url = urlparse(target)
    if url.scheme not in ("tcp", "udp") or not url.hostname or url.port is None:
        raise ConfigError(f"--stream {target!r}: expected -, tcp://host:port or udp://host:port")
    if url.scheme == "udp":
        return UdpSink(url.hostname, url.port)
    return TcpServerSink(url.hostname, url.port)


def stream_scenario(scenario: Scenario, seed: int | None, sink: LineSink, speed: float | None) -> int:
    sent = 0
    try:
        for _, line in paced(iter_scenario_lines(scenario, seed), speed):
            sink.send(line)
            sent += 1
    finally:
        sink.close()
    return sent
