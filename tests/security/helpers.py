"""Small tools of the attack suite: real AIS lines, a background UDP sender, WebSocket close waits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed

from tests.shared import require_shared


def real_nmea_lines() -> list[bytes]:
    """The real Norwegian coastal AIS sample (Kystverket, with tag blocks), one sentence per line."""
    path: Path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    return [line for line in path.read_bytes().splitlines() if line.strip()]


@contextmanager
def udp_traffic(port: int, lines: list[bytes], every_s: float = 0.01) -> Iterator[None]:
    """Send the lines round and round to the node's UDP feed while the block runs (so WebSocket clients
    have live traffic to receive)."""
    stop = threading.Event()

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            i = 0
            while not stop.is_set():
                sock.sendto(lines[i % len(lines)] + b"\n", ("127.0.0.1", port))
                i += 1
                time.sleep(every_s)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def wait_closed(ws: Any, timeout_s: float = 15.0) -> tuple[int | None, str, int]:
    """Read until the server closes the socket; (close code, reason, messages read meanwhile)."""
    deadline = time.monotonic() + timeout_s
    messages = 0
    while time.monotonic() < deadline:
        try:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            messages += 1
        except TimeoutError:
            break
        except ConnectionClosed as closed:
            frame = closed.rcvd
            return (None if frame is None else frame.code), ("" if frame is None else frame.reason), messages
    raise AssertionError(f"the server did not close the WebSocket within {timeout_s} s ({messages} messages)")


def client_from(url: str, address: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client whose connections come from `address` (any 127.x.y.z on Linux loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, timeout=60, **kwargs)
