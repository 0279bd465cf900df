"""TCP client with reconnect/backoff and UDP listener, on real loopback sockets."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

from seawatch.share.localbroker import free_port
from seawatch.sources.net import TcpLineSource, UdpLineSource
from seawatch.sources.nmea import DecodedAis, NmeaAisDecoder

LINES = [
    "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
    "!AIVDM,1,1,,A,133sVfPP00PD>hRMDH@jNOvN20S8,0*7F",
    "!AIVDM,1,1,,B,100h00PP0@PHFV`Mg5gTH?vNPUIp,0*3B",
]


async def test_tcp_reads_lines_and_reconnects_after_the_server_closes() -> None:
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        # first connection: two lines then close; second: the last line (split across writes)
        if connections == 1:
            writer.write(("\r\n".join(LINES[:2]) + "\r\n").encode())
        else:
            writer.write(LINES[2][:10].encode())
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write((LINES[2][10:] + "\n").encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = TcpLineSource("127.0.0.1", port, min_backoff_s=0.05, max_backoff_s=0.2)
    got: list[tuple[str, datetime]] = []

    async def consume() -> None:
        async for line, received_at in source:
            got.append((line, received_at))
            if len(got) == 3:
                source.stop()

    async with server:
        await asyncio.wait_for(consume(), timeout=10)
    assert [line for line, _ in got] == LINES
    assert all(t.tzinfo is UTC for _, t in got)
    assert source.connects == 2
    decoder = NmeaAisDecoder("tcp")
    decoded = [d for line, t in got for d in decoder.feed_decoded(line, t)]
    assert all(isinstance(d, DecodedAis) and d.received_at is not None for d in decoded)


async def test_tcp_backs_off_exponentially_while_nobody_listens() -> None:
    port = free_port()  # nothing listens here
    source = TcpLineSource("127.0.0.1", port, min_backoff_s=0.01, max_backoff_s=0.08)

    async def consume() -> None:
        async for _ in source:
            pass

    task = asyncio.create_task(consume())
    while source.failures < 6:
        await asyncio.sleep(0.01)
    source.stop()
    await asyncio.wait_for(task, timeout=5)
    assert source.connects == 0
    assert source.delays_s[:5] == [0.01, 0.02, 0.04, 0.08, 0.08]


async def test_tcp_connects_once_the_server_comes_up() -> None:
    port = free_port()
    source = TcpLineSource("127.0.0.1", port, min_backoff_s=0.02, max_backoff_s=0.05)
    got: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((LINES[0] + "\n").encode())
        await writer.drain()
        await asyncio.sleep(1)
        writer.close()

    async def consume() -> None:
        async for line, _ in source:
            got.append(line)
            source.stop()

    task = asyncio.create_task(consume())
    while source.failures < 2:
        await asyncio.sleep(0.01)
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        await asyncio.wait_for(task, timeout=10)
    assert got == [LINES[0]]
    assert source.failures >= 2 and source.connects == 1


async def test_udp_listener_splits_datagrams_into_lines() -> None:
    async with UdpLineSource("127.0.0.1", 0) as source:
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.sendto((LINES[0] + "\r\n" + LINES[1] + "\n").encode(), ("127.0.0.1", source.port))
        sender.sendto(LINES[2].encode(), ("127.0.0.1", source.port))
        sender.close()
        got: list[str] = []

        async def consume() -> None:
            async for line, received_at in source:
                assert received_at.tzinfo is UTC
                got.append(line)
                if len(got) == 3:
                    return

        await asyncio.wait_for(consume(), timeout=5)
    assert got == LINES
