"""TAK interoperability: Cursor-on-Target out (dark targets, go-fasts, tasked targets, intercept points)
and asset positions in, over pytak's transports (TCP to a TAK server, UDP unicast or multicast).

Configured as `[[tak]]` feeds in the node's settings file. Incoming CoT crosses a trust boundary: a
datagram that is too big, not CoT, carries a DTD, has a bad point or time, or comes from a uid that is
not one of our assets' `tak_uid`s is rejected with its reason, counted and kept (never raised).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import xml.etree.ElementTree as ET
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)

TakSend = Literal["dark_target", "go_fast", "tasking", "intercept"]
COT_TYPES = {
    "dark_target": "a-u-S",  # unknown surface contact
    "go_fast": "a-s-S",  # suspect surface vessel
    "tasking": "a-s-S",  # the target an asset is tasked on
    "intercept": "b-m-p-w",  # a waypoint: where the asset meets it
}
MAX_COT_BYTES = 65_536
ALL_SENDS: tuple[TakSend, ...] = ("dark_target", "go_fast", "tasking", "intercept")


class TakFeedSettings(BaseModel):
    """One TAK feed: `url` to send to (`tcp://host:8087` a TAK server, `udp://239.2.3.1:6969` multicast,
    `udp://host:port` unicast); `listen` (`udp+ro://0.0.0.0:4242`, read-only UDP) for asset positions.
    A TAK server's connection goes both ways: the positions it relays from the crews' devices are read
    from it too."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    url: str | None = None
    listen: str | None = None
    send: list[TakSend] = Field(default_factory=lambda: list(ALL_SENDS))
    stale_s: float = Field(default=600.0, gt=0, le=86_400)
    queue_size: int = Field(default=1000, gt=0)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def cot_event(
    uid: str,
    cot_type: str,
    lat: float,
    lon: float,
    time: datetime,
    stale_s: float = 600.0,
    callsign: str | None = None,
    remarks: str | None = None,
    ce_m: float = 9_999_999.0,
) -> bytes:
    """One CoT event: `time` and `start` are the data time (when the target was there), not now."""
    event = ET.Element(
        "event",
        version="2.0",
        uid=uid,
        type=cot_type,
        how="m-g",
        time=_iso(time),
        start=_iso(time),
        stale=_iso(time + timedelta(seconds=stale_s)),
    )
    ET.SubElement(
        event, "point", lat=f"{lat:.6f}", lon=f"{lon:.6f}", hae="0.0", ce=f"{ce_m:.1f}", le="9999999.0"
    )
    detail = ET.SubElement(event, "detail")
    if callsign:
        ET.SubElement(detail, "contact", callsign=callsign)
    if remarks:
        ET.SubElement(detail, "remarks").text = remarks
    return ET.tostring(event)


@dataclass(frozen=True)
class CotFix:
    uid: str
    cot_type: str
    lat: float
    lon: float
    time: datetime


class CotError(ValueError):
    """A CoT message that cannot be used; the message is the reason."""


def _time(text: str | None) -> datetime:
    if not text:
        raise CotError("missing time")
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CotError(f"bad time {text[:40]!r}") from exc
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_cot(data: bytes) -> CotFix:
    """A position from one CoT event, or CotError naming what is wrong."""
    if len(data) > MAX_COT_BYTES:
        raise CotError(f"too large ({len(data)} bytes)")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise CotError("DTDs and entities are not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise CotError(f"not XML: {exc}") from exc
    if root.tag != "event":
        raise CotError(f"not a CoT event (<{root.tag[:40]}>)")
    uid = root.get("uid")
    if not uid:
        raise CotError("missing uid")
    point = root.find("point")
    if point is None:
        raise CotError("missing point")
    try:
        lat, lon = float(point.get("lat", "nan")), float(point.get("lon", "nan"))
    except ValueError as exc:
        raise CotError("bad point") from exc
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise CotError(f"bad point {lat},{lon}")
    return CotFix(uid=uid, cot_type=root.get("type", ""), lat=lat, lon=lon, time=_time(root.get("time")))


def _pytak_config(url: str) -> Any:
    from configparser import ConfigParser

    parser = ConfigParser()
    parser["tak"] = {"COT_URL": url}
    return parser["tak"]


def _is_stream(url: str) -> bool:
    """TCP or TLS to a TAK server (a connection both ways), not UDP datagrams."""
    return urlparse(url).scheme.split("+")[0] in ("tcp", "tls", "ssl")


def _send_only(url: str) -> str:
    """A UDP url as pytak's write-only form: a sender must not also bind the peer's port."""
    scheme, sep, rest = url.partition("://")
    if scheme.startswith("udp") and "+wo" not in scheme:
        return f"{scheme.replace('+ro', '')}+wo{sep}{rest}"
    return url


class TakBridge:
    """Sends the node's dark targets and go-fasts and the ops service's taskings as CoT to each feed;
    takes asset positions from each feed's `listen` socket."""

    def __init__(self, ops: Any, feeds: list[TakFeedSettings]) -> None:
        self.ops = ops
        self.feeds = feeds
        self.sent: Counter[str] = Counter()
        self.dropped = 0
        self.rejects: deque[tuple[str, str]] = deque(maxlen=200)  # (reason, first bytes) kept for the analyst
        self.reject_counts: Counter[str] = Counter()
        self.received = 0
        self.connected: dict[str, bool] = {}  # stream (TCP/TLS) feeds: whether the server is connected now
        self.streams: dict[str, asyncio.StreamWriter] = {}  # their current connections
        self._queues: dict[str, asyncio.Queue[bytes]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Any = None

    async def start(self) -> None:
        try:
            import pytak  # noqa: F401
        except ImportError as exc:
            from seawatch.errors import ConfigError

            raise ConfigError("[[tak]] feeds need pytak: pip install 'seawatch[tak]'") from exc
        for feed in self.feeds:
            if feed.url:
                self._queues[feed.name] = asyncio.Queue(maxsize=feed.queue_size)
                self._tasks.append(asyncio.create_task(self._send_loop(feed), name=f"tak-tx-{feed.name}"))
            if feed.listen:
                self._tasks.append(asyncio.create_task(self._receive_loop(feed), name=f"tak-rx-{feed.name}"))
        self._unsubscribe = self.ops.node.subscribe(self.on_live)
        self.ops.listeners.append(self.on_ops)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        with contextlib.suppress(ValueError):
            self.ops.listeners.remove(self.on_ops)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- out ---------------------------------------------------------------------------------------
    def _offer(self, kind: TakSend, message: bytes) -> None:
        for feed in self.feeds:
            queue = self._queues.get(feed.name)
            if queue is None or kind not in feed.send:
                continue
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                self.dropped += 1

    def on_live(self, item: Any) -> None:
        if item.kind != "event":
            return
        event = item.item
        kind: TakSend | None = {"dark_target": "dark_target", "speed_anomaly": "go_fast"}.get(event.type)  # type: ignore[assignment]
        if kind is None:
            return
        uid = f"seawatch.{event.track_ids[0] if event.track_ids else event.event_id}"
        label = "Dark target" if kind == "dark_target" else "Go-fast"
        self._offer(kind, cot_event(uid, COT_TYPES[kind], event.lat, event.lon, event.end, callsign=label))

    def on_ops(self, kind: str, data: dict[str, Any]) -> None:
        if kind != "tasking" or data.get("released"):
            return
        target, plan = data["target"], data["plan"]
        when = datetime.fromisoformat(str(target["time"]).replace("Z", "+00:00"))
        track = data["track_id"]
        remarks = f"tasked: {data['asset_id']} by {data['tasked_by']}"
        self._offer(
            "tasking",
            cot_event(
                f"seawatch.{track}",
                COT_TYPES["tasking"],
                target["lat"],
                target["lon"],
                when,
                callsign=f"Target {track}",
                remarks=remarks,
            ),
        )
        if plan.get("reachable") and plan.get("eta_s") is not None:
            at = when + timedelta(seconds=float(plan["eta_s"]))
            self._offer(
                "intercept",
                cot_event(
                    f"seawatch.{track}.intercept.{data['asset_id']}",
                    COT_TYPES["intercept"],
                    plan["lat"],
                    plan["lon"],
                    at,
                    callsign=f"Intercept {data['asset_id']}",
                    remarks=f"{data['asset_id']} meets {track}",
                ),
            )

    async def _send_loop(self, feed: TakFeedSettings) -> None:
        import pytak

        assert feed.url is not None
        if _is_stream(feed.url):
            await self._stream_loop(feed)
            return
        queue = self._queues[feed.name]
        writer: Any = None
        while True:
            message = await queue.get()
            try:
                if writer is None:
                    _, writer = await pytak.protocol_factory(_pytak_config(_send_only(feed.url)))
                await writer.send(message)
                self.sent[feed.name] += 1
            except (OSError, ConnectionError) as exc:
                log.warning("TAK feed %s: %s (message dropped, reconnecting)", feed.name, exc)
                self.dropped += 1
                writer = None
                await asyncio.sleep(1.0)

    async def _stream_loop(self, feed: TakFeedSettings) -> None:
        """A TAK server over TCP (or TLS): one connection, kept up, both ways. What we send goes out on
        it; what the server relays (the crews' devices' positions among others) is read from it.
        Messages wait in the feed's queue while the server is away (the oldest dropped when full)."""
        import pytak

        assert feed.url is not None
        queue = self._queues[feed.name]
        pending: bytes | None = None
        while True:
            try:
                reader, writer = await pytak.protocol_factory(_pytak_config(feed.url))
            except (OSError, ConnectionError) as exc:
                log.warning("TAK feed %s: cannot connect: %s (retrying)", feed.name, exc)
                await asyncio.sleep(1.0)
                continue
            self.connected[feed.name] = True
            self.streams[feed.name] = writer
            receiving = asyncio.create_task(self._read_stream(feed, reader), name=f"tak-rx-{feed.name}")
            try:
                while True:
                    if pending is None:
                        get = asyncio.ensure_future(queue.get())
                        done, _ = await asyncio.wait({get, receiving}, return_when=asyncio.FIRST_COMPLETED)
                        if get not in done:
                            get.cancel()
                            raise ConnectionError("the server closed the connection")
                        pending = get.result()
                    writer.write(pending)
                    await writer.drain()
                    self.sent[feed.name] += 1
                    pending = None
            except (OSError, ConnectionError) as exc:
                log.warning("TAK feed %s: %s (reconnecting)", feed.name, exc)
            finally:
                self.connected[feed.name] = False
                receiving.cancel()
                await asyncio.gather(receiving, return_exceptions=True)
                writer.close()
            await asyncio.sleep(1.0)

    async def _read_stream(self, feed: TakFeedSettings, reader: asyncio.StreamReader) -> None:
        """CoT events from a TAK server's stream, one `</event>` at a time; an over-long one is rejected
        and skipped, the stream goes on."""
        while True:
            try:
                data = await reader.readuntil(b"</event>")
            except asyncio.LimitOverrunError as exc:
                skipped = await reader.read(exc.consumed)
                self._reject(f"too large (over {exc.consumed} bytes without </event>)", skipped)
                continue
            except asyncio.IncompleteReadError:
                return  # the server closed the connection
            self.take(data.strip())

    # -- in ----------------------------------------------------------------------------------------
    def take(self, data: bytes) -> CotFix | None:
        """One incoming message: an asset's position, or a kept reject."""
        try:
            fix = parse_cot(data)
        except CotError as exc:
            self._reject(str(exc), data)
            return None
        by_uid = {a.tak_uid: a.id for a in self.ops.assets.values() if a.tak_uid}
        asset_id = by_uid.get(fix.uid)
        if asset_id is None:
            self._reject(f"unknown sender {fix.uid[:60]!r}", data)
            return None
        from seawatch.ops.assets import AssetPosition

        self.received += 1
        self.ops.set_live_position(
            asset_id, AssetPosition(lat=fix.lat, lon=fix.lon, time=fix.time, source="tak")
        )
        return fix

    def _reject(self, reason: str, data: bytes) -> None:
        self.reject_counts[reason.split(" ")[0]] += 1
        self.rejects.append((reason, data[:200].decode("utf-8", "replace")))
        log.info("TAK message rejected: %s", reason)

    async def _receive_loop(self, feed: TakFeedSettings) -> None:
        import pytak

        assert feed.listen is not None
        reader, _ = await pytak.create_udp_client(urlparse(feed.listen))
        while True:
            data, _addr = await reader.recv()
            self.take(data)
