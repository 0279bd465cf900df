"""The node's edges: feeds that put decoded items on the node's bounded queue.

`put(source, item)` is awaited for every item, so a full queue makes the feed wait (back-pressure).
File replays pace themselves on the data's own times (`speed` × real time; 0 = as fast as possible).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from seawatch.errors import InputError
from seawatch.feeders.reorder import in_time_order
from seawatch.model import AisStatic, Observation, Rejected, SensorKind
from seawatch.model.columns import POSITION_SCHEMA
from seawatch.node.pipeline import Item
from seawatch.node.settings import FeedSettings
from seawatch.sources.ais_stream import AisStreamDecoder
from seawatch.sources.formats import detect_format
from seawatch.sources.net import MAX_LINE_BYTES, Block, TcpLineSource, UdpLineSource, serve_tcp
from seawatch.sources.sensors import SensorConfig, load_sensors
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)

Put = Callable[[str, Item], Awaitable[None]]
LineDecoder = Callable[[str, datetime], list[Any]]


# -- file replay ---------------------------------------------------------------------------------
OWN_FIELDS = frozenset({"target_ref", "station", "length_m"})  # frame columns with an `Observation` field


def _load_frames(path: Path, sites: SensorConfig | None) -> tuple[pl.DataFrame, pl.DataFrame, list[Rejected]]:
    """Positions and statics of one file through the sources' format registry."""
    spec = detect_format(path)
    if spec is None:
        raise InputError(f"{path}: unknown input format")
    result = spec.load(path, sites)
    return result.positions, result.statics, result.rejects


def replay_items(
    paths: list[Path], source: str, sites: SensorConfig | None = None
) -> list[tuple[float, Item]]:
    """Every item of the files with its data time, in time order (positions without time are rejected).
    `sites`: the feed's sensor sites (radar files also read a `sensors.toml` beside them)."""
    timed: list[tuple[float, Item]] = []
    for path in paths:
        if not Path(path).is_file():
            raise InputError(f"replay file not found: {path}")
        positions, statics, rejects = _load_frames(Path(path), sites)
        timed.extend((0.0, r) for r in rejects)
        has_ref, has_station = "target_ref" in positions.columns, "station" in positions.columns
        has_length = "length_m" in positions.columns
        extras = [c for c in positions.columns if c not in POSITION_SCHEMA and c not in OWN_FIELDS]
        for row in positions.iter_rows(named=True):
            if row["t"] is None or row["lat"] is None or row["lon"] is None:
                timed.append((0.0, Rejected(str(row), "no time or position", source)))
                continue
            timed.append(
                (
                    row["t"],
                    Observation(
                        time=utc_from_epoch(row["t"]),
                        lat=row["lat"],
                        lon=row["lon"],
                        sensor=SensorKind(row["sensor"] or "ais"),
                        source=source,
                        mmsi=row["mmsi"],
                        target_ref=row["target_ref"] if has_ref else None,
                        sog_kn=row["sog_kn"],
                        cog_deg=row["cog_deg"],
                        heading_deg=row["heading_deg"],
                        # which radar site or SAR scene, and the report's own error (`sigma_m`, the
                        # radar's error ellipse) and detection details: what `seawatch detect` fuses with
                        station=row["station"] if has_station else None,
                        length_m=row["length_m"] if has_length else None,
                        extra={c: row[c] for c in extras if row[c] is not None},
                    ),
                )
            )
        for row in statics.iter_rows(named=True):
            t = row.get("t")
            timed.append(
                (
                    t or 0.0,
                    AisStatic(
                        mmsi=row["mmsi"],
                        msg_type=5,
                        shipname=row.get("shipname"),
                        callsign=row.get("callsign"),
                        imo=row.get("imo"),
                        ship_type=row.get("ship_type"),
                        received_at=None if t is None else utc_from_epoch(t),
                        source=source,
                    ),
                )
            )
    return in_time_order(timed, lambda pair: pair[0])  # the reorder feeder (undated items first, at 0)


async def replay_feed(feed: FeedSettings, put: Put, items: list[tuple[float, Item]] | None = None) -> None:
    """Replay files at `feed.speed` × real time (data time drives the pacing)."""
    if items is None:
        sites = load_sensors(feed.sensors) if feed.sensors is not None else None
        items = await asyncio.to_thread(replay_items, feed.paths, feed.name, sites)
    while True:
        await _pace(feed, put, items)
        if not feed.loop:
            break
    log.info("replay %s finished (%d items)", feed.name, len(items))


async def _pace(feed: FeedSettings, put: Put, items: list[tuple[float, Item]]) -> None:
    first = next((t for t, _ in items if t > 0), 0.0)
    wall0 = time.monotonic()
    for i, (t, item) in enumerate(items):
        if feed.speed > 0 and t > 0:
            delay = wall0 + (t - first) / feed.speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        elif i % 1000 == 0:
            await asyncio.sleep(0)
        await put(feed.name, item)


# -- live line feeds -----------------------------------------------------------------------------
def line_decoder(feed: FeedSettings) -> LineDecoder:
    """AIS NMEA lines, or radar NMEA lines when the feed names a sensors file."""
    if feed.sensors is not None:
        from seawatch.sources.radar import RadarNmeaDecoder

        radar = RadarNmeaDecoder(load_sensors(feed.sensors), source=feed.name, enforce_checksum=False)

        def decode_radar(line: str, received_at: datetime) -> list[Any]:
            return list(radar.feed(line))

        return decode_radar
    from seawatch.sources.nmea import NmeaAisDecoder

    ais = NmeaAisDecoder(source=feed.name)

    def decode_ais(line: str, received_at: datetime) -> list[Any]:
        return list(ais.feed(line, received_at=received_at))

    return decode_ais


async def _emit_lines(
    feed: FeedSettings, put: Put, lines: Iterator[str] | list[str], decode: LineDecoder
) -> None:
    now = datetime.now(UTC)
    for line in lines:
        if not line.strip():
            continue
        for item in decode(line, now):
            await put(feed.name, item)


@dataclass
class FeedStatus:
    """What a network feed reports beside its items (shown in /api/health)."""

    connections: int = 0
    overlong_lines: int = 0  # lines longer than MAX_LINE_BYTES, dropped (each also a reject)
    udp: UdpLineSource | None = None  # a UDP feed's source: its datagram and drop counts

    def to_json(self) -> dict[str, Any]:
        udp = self.udp
        return {
            "connections": self.connections,
            "overlong_lines": self.overlong_lines,
            "udp_datagrams": 0 if udp is None else udp.datagrams_read,  # read from the socket
            "udp_queue_drops": 0 if udp is None else udp.dropped,  # the feed's queue was full
            "udp_kernel_drops": None if udp is None else udp.kernel_drops,
        }


async def _emit_blocks(
    feed: FeedSettings,
    put: Put,
    blocks: AsyncIterator[Block],
    decode: LineDecoder,
    status: FeedStatus | None = None,
) -> None:
    """Decode the complete lines of each block the transport (`sources/net.py`) read; a line over
    `MAX_LINE_BYTES` was dropped there and is rejected here. AIS feeds decode each block in one
    vectorised pass (`AisStreamDecoder`, one per connection); radar feeds line by line. A connection's
    `last` block ends it (its pending fragments are flushed)."""
    stream = AisStreamDecoder(feed.name) if feed.sensors is None else None
    async for block in blocks:
        if status is not None and block.overlong:
            status.overlong_lines += len(block.overlong)
        for head in block.overlong:
            raw = head.decode("ascii", "backslashreplace") + "..."
            await put(feed.name, Rejected(raw, f"line_too_long: over {MAX_LINE_BYTES} bytes", feed.name))
        if stream is not None:
            if block.data or block.last:
                await _put_all(feed, put, stream.decode(block.data, block.received_at, final=block.last))
            if block.last:
                stream = AisStreamDecoder(feed.name)
        elif block.data:
            lines = [line.decode("ascii", "replace") for line in block.data.split(b"\n")]
            await _emit_lines(feed, put, lines, decode)


async def _put_all(feed: FeedSettings, put: Put, items: Sequence[Item]) -> None:
    for item in items:
        await put(feed.name, item)


async def _counted(blocks: AsyncIterator[Block], status: FeedStatus | None) -> AsyncIterator[Block]:
    """The blocks, counting a connection when its first block comes."""
    new = True
    async for block in blocks:
        if new and status is not None:
            status.connections += 1
        new = block.last
        yield block


async def tcp_client_feed(feed: FeedSettings, put: Put, status: FeedStatus | None = None) -> None:
    """Connect to a TCP line feed (`sources/net.py` `TcpLineSource`); reconnect with backoff (1 s,
    doubling to 60 s) when it drops."""
    source = TcpLineSource(feed.host, feed.port or 0, min_backoff_s=1.0, max_backoff_s=60.0)
    await _emit_blocks(feed, put, _counted(source.blocks(), status), line_decoder(feed), status)


async def tcp_listen_feed(feed: FeedSettings, put: Put, status: FeedStatus | None = None) -> None:
    """Listen for senders of NMEA lines (`sources/net.py` `serve_tcp`; one decoder per connection)."""

    async def connection(blocks: AsyncIterator[Block]) -> None:
        if status is not None:
            status.connections += 1
        await _emit_blocks(feed, put, blocks, line_decoder(feed), status)

    await serve_tcp(feed.host, feed.port or 0, connection)


async def udp_feed(feed: FeedSettings, put: Put, status: FeedStatus | None = None) -> None:
    """Receive NMEA lines in UDP datagrams on host:port (`udp` and `listen_udp` both bind;
    `sources/net.py` `UdpLineSource`). Datagrams dropped because the feed is behind, and those the
    kernel drops (receive buffer full, counted from /proc), are shown in the feed's status."""
    status = status if status is not None else FeedStatus()
    source = UdpLineSource(feed.host, feed.port or 0, queue_size=10_000)
    await source.start()
    status.udp = source
    decode = line_decoder(feed)
    try:
        async for data, _ in source.datagrams():
            await _emit_lines(feed, put, data.decode("ascii", "replace").splitlines(), decode)
    finally:
        source.stop()


ROUND_GAP_S = 5.5 * 3600.0
"""Data time between the end of a scenario round and the start of its repeat: shorter than the AIS-gap
threshold (6 h), long enough that no vessel's jump back to its start implies 60 kn (a position jump)
within a scenario's area, and skipped in wall time (the next round starts at once)."""


def scenario_lines(
    name: str, round_no: int = 0
) -> tuple[list[tuple[float, str]], str, list[tuple[float, dict[str, Any]]]]:
    """Every AIS and radar line of a simulated scenario in time order, its radar sites (TOML), and its
    satellite SAR detections as rows of the generic detection CSV (time, row), in time order.

    Round `round_no` of a repeating exercise starts `round_no` × (duration + `ROUND_GAP_S`) later."""
    import numpy as np

    from seawatch.sim.engine import run_simulation
    from seawatch.sim.sar import SAR_COLUMNS
    from seawatch.sim.scenario import load_scenario
    from seawatch.sim.writers import sensors_toml

    scenario = load_scenario(name)
    if round_no:
        shift = timedelta(seconds=round_no * (scenario.duration_h * 3600.0 + ROUND_GAP_S))
        scenario = scenario.model_copy(update={"start": scenario.start + shift})
    result = run_simulation(scenario, None, with_truth=False)
    ais_t, ais_lines = result.ais_lines()
    radar_t, radar_lines = result.radar_lines()
    times = np.concatenate([ais_t, radar_t])
    lines = ais_lines + radar_lines
    order = np.argsort(times, kind="stable")
    sar = result.sar.sort("t", maintain_order=True) if result.sar.height else result.sar
    detections = [(float(row["t"]), {c: row[c] for c in SAR_COLUMNS}) for row in sar.iter_rows(named=True)]
    return [(float(times[k]), lines[k]) for k in order.tolist()], sensors_toml(result), detections


SIM_DEFAULT_SCENARIO = "caribbean-gofast"  # what a `sim` feed without `scenario` plays


async def sim_feed(feed: FeedSettings, put: Put) -> None:
    """Stream a simulator scenario (AIS and radar) live at `speed` × simulated time; with `loop`, the
    exercise repeats (later in data time each round) until the feed is stopped. Each next round is
    simulated while the current one plays, so the feed runs on without a pause between rounds (a pause of
    a minute or more would turn the page's badge stale in a demo whose data never stopped)."""
    scenario = feed.scenario or SIM_DEFAULT_SCENARIO
    round_no = 0
    ready = asyncio.ensure_future(asyncio.to_thread(scenario_lines, scenario, round_no))
    try:
        while True:
            timed, sites, detections = await ready
            if feed.loop:  # the next round, made while this one plays
                ready = asyncio.ensure_future(asyncio.to_thread(scenario_lines, scenario, round_no + 1))
            await _play_round(feed, put, round_no, timed, sites, detections)
            if not feed.loop:
                break
            round_no += 1
    finally:
        ready.cancel()


async def _play_round(
    feed: FeedSettings,
    put: Put,
    round_no: int,
    timed: list[tuple[float, str]],
    sites: str,
    detections: list[tuple[float, dict[str, Any]]],
) -> None:
    import tomllib

    from seawatch.sources.nmea import NmeaAisDecoder
    from seawatch.sources.radar import RadarNmeaDecoder
    from seawatch.sources.sensors import parse_sensors

    ais = NmeaAisDecoder(source=feed.name)
    radar = RadarNmeaDecoder(
        parse_sensors(tomllib.loads(sites), "scenario"), source=feed.name, enforce_checksum=False
    )
    log.info("sim feed %s round %d: %d lines", feed.name, round_no, len(timed))
    first = timed[0][0] if timed else 0.0
    wall0 = time.monotonic()
    sar = _sar_items(detections, feed.name)
    for i, (t, line) in enumerate(timed):
        while sar and sar[0][0] <= t:  # a SAR scene's detections when its data time comes
            await put(feed.name, sar.pop(0)[1])
        if feed.speed > 0:
            delay = wall0 + (t - first) / feed.speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        elif i % 1000 == 0:
            await asyncio.sleep(0)
        when = utc_from_epoch(t)
        items: list[Any] = (
            list(ais.feed(line, received_at=when)) if "!AIVD" in line else list(radar.feed(line))
        )
        for item in items:
            await put(feed.name, item)
    for _, item in sar:
        await put(feed.name, item)


def _sar_items(detections: list[tuple[float, dict[str, Any]]], source: str) -> list[tuple[float, Any]]:
    """The scenario's SAR detections read as `seawatch detect` reads its detection CSV."""
    from seawatch.sources.satellite import generic_mapping, iter_detection_rows

    if not detections:
        return []
    rows = [{k: "" if v is None else str(v) for k, v in row.items()} for _, row in detections]
    layout = "generic" if generic_mapping(list(rows[0])) is not None else ""
    items = list(iter_detection_rows(iter(rows), layout, source))
    return [(t, item) for (t, _), item in zip(detections, items, strict=True)]


NET_KINDS = frozenset({"tcp", "listen_tcp", "udp", "listen_udp"})  # runners that take a FeedStatus
FEEDS: dict[str, Callable[..., Awaitable[None]]] = {
    "file": replay_feed,
    "tcp": tcp_client_feed,
    "listen_tcp": tcp_listen_feed,
    "udp": udp_feed,
    "listen_udp": udp_feed,
    "sim": sim_feed,
}
