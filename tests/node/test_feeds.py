"""Live feeds of a running node: UDP NMEA in, per-source counters, and `sensor_silent` when a feed stops."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from seawatch.node.node import Node
from seawatch.node.settings import FeedSettings, NodeSettings
from seawatch.store.base import EventQuery
from tests.node.harness import free_port

LINES = (
    "!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5C",  # type 1, MMSI 366053209
    "!AIVDM,1,1,,A,this is not ais,0*00",
)
OTHER_VESSEL = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"  # type 1, another MMSI


async def test_udp_feed_counts_and_goes_silent(tmp_path: Path) -> None:
    port = free_port()
    feed = FeedSettings(name="udp-ais", kind="listen_udp", port=port, timeout_s=1.0, lat=18.4, lon=-66.1)
    node = Node(NodeSettings(data_dir=tmp_path, feeds=[feed]))
    await node.start()
    try:
        await asyncio.sleep(0.3)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto("\n".join(LINES).encode(), ("127.0.0.1", port))
        for _ in range(100):
            events = node.store.events(EventQuery(types=["sensor_silent"]))
            if events and node.metrics.received["udp-ais"] == 2:
                break
            await asyncio.sleep(0.1)
    finally:
        await node.stop()
    assert node.metrics.decoded["udp-ais"] == 1 and node.metrics.rejected["udp-ais"] == 1
    assert [t.mmsi for t in node.live.values()] == [366053209]
    assert len(events) == 1
    silent = events[0]
    assert silent.details["source"] == "udp-ais" and (silent.lat, silent.lon) == (18.4, -66.1)
    assert silent.params == {"timeout_s": 1.0}


async def test_tcp_listen_feed_joins_lines_split_across_reads(tmp_path: Path) -> None:
    port = free_port()
    feed = FeedSettings(name="tcp-ais", kind="listen_tcp", port=port)
    node = Node(NodeSettings(data_dir=tmp_path, feeds=[feed]))
    await node.start()
    try:
        await asyncio.sleep(0.3)
        # two different reports: the same one twice within 2 s would be one observation (a duplicate)
        payload = (LINES[0] + "\n" + OTHER_VESSEL + "\n").encode()
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(payload[:20])
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(payload[20:])
        await writer.drain()
        writer.close()
        for _ in range(50):
            if node.metrics.received["tcp-ais"] >= 2:
                break
            await asyncio.sleep(0.1)
        await node.drain()
    finally:
        await node.stop()
    assert node.metrics.decoded["tcp-ais"] == 2 and node.metrics.rejected["tcp-ais"] == 0
    assert node.metrics.duplicates["tcp-ais"] == 0
