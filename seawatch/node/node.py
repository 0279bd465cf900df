"""`Node`: a store, the live pipeline, the live bus and the feeds, run on one asyncio loop.

Items from feeds, the API and partners go through one bounded queue; a single committer task takes
batches off it, runs the pure pipeline, commits the batch to the store (the acknowledgement) and
only then publishes the new track states and events on the live bus.

For the federation: `subscribe(callback)` (every `LiveItem`), `ingest_observations(list, origin)`,
`ingest_events(list, origin)`, and `store` (audit table: `store.audit(...)`, `store.audit_rows()`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from seawatch.model import Event, Observation, Rejected, SensorKind
from seawatch.node.bus import LiveBus, LiveItem, Subscriber
from seawatch.node.chat import ChatService
from seawatch.node.feeds import FEEDS, NET_KINDS, FeedStatus
from seawatch.node.geojson import track_feature
from seawatch.node.live_index import LiveIndex
from seawatch.node.metrics import NodeMetrics
from seawatch.node.pipeline import EventStage, Item, LivePipeline, PartnerEvent, StepResult, TrackStage
from seawatch.node.settings import NodeSettings
from seawatch.node.silence import SilenceMonitor
from seawatch.node.stages import live_detectors, make_dedupe, make_tracker, watchlist_of, zones_for_detectors
from seawatch.store.base import Store, TrackState
from seawatch.store.sqlite import SqliteStore
from seawatch.timeutil import iso_utc, utc_from_epoch

log = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]
PRUNE_AFTER_S = 6 * 3600.0  # data time after which a silent track leaves the node's memory


@dataclass(eq=False)
class _Ack:
    """A marker put on the queue behind submitted items; resolved once they are committed."""

    future: asyncio.Future[int]


class Node:
    def __init__(
        self,
        settings: NodeSettings,
        store: Store | None = None,
        tracker: TrackStage | None = None,
        detectors: Sequence[EventStage] | None = None,
    ) -> None:
        self.settings = settings
        self.node_id = settings.node_id
        self.store: Store = store or SqliteStore(settings.data_dir, settings.store_synchronous)
        self.bus = LiveBus()
        self.metrics = NodeMetrics()
        self.tracker: TrackStage = tracker or make_tracker(settings)
        stages = list(detectors) if detectors is not None else live_detectors(settings, self.store)
        self.pipeline = LivePipeline(self.node_id, self.tracker, stages, make_dedupe(settings))
        self.silence = SilenceMonitor()
        self.rejects: deque[Rejected] = deque(maxlen=1000)
        self.live: dict[str, TrackState] = {}
        self.data_time_s = 0.0
        self.started_at = time.time()
        self._queue: asyncio.Queue[tuple[str, Item | _Ack]] | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.loop: asyncio.AbstractEventLoop | None = None  # set by start()
        self._feed_tasks: dict[str, asyncio.Task[Any]] = {}
        self.feed_status: dict[str, FeedStatus] = {}  # network feeds: connections, drops
        self.index = LiveIndex()
        self._track_of_mmsi: dict[int, str] = {}
        self.chat = ChatService(self)  # rooms and messages, shared with partners by the federation link
        self.set_partners(())
        self._load_state()

    def set_partners(self, partners: Iterable[str]) -> None:
        """The partner nodes configured (a federated node's `[[federation.partners]]`; a lone node has
        none): the only nations a case may be made releasable to (`/api/cases` answers 422 otherwise)."""
        self.chat.cases.partners = frozenset(partners)

    # -- lifecycle -----------------------------------------------------------------------------------
    def _load_state(self) -> None:
        for state in self.store.latest_tracks():
            self.live[state.track_id] = state
            self.index.upsert(state, orjson.dumps(track_feature(state)))
            self.data_time_s = max(self.data_time_s, state.time.timestamp())
        self.tracker.resume(list(self.live.values()))
        self._track_of_mmsi = {s.mmsi: s.track_id for s in self.live.values() if s.mmsi is not None}
        self.refresh_watchlist()

    def refresh_watchlist(self) -> None:
        """After a watchlist edit: the detectors match the new list from the next batch on."""
        self.pipeline.replace_watchlist(watchlist_of(self.store.watchlist()))

    def refresh_zones(self) -> None:
        """After a zone is created, edited or deleted: the live detectors use the new set from the
        next batch on."""
        self.pipeline.replace_zones(zones_for_detectors(self.store))

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(maxsize=self.settings.pipeline.queue_size)
        now = datetime.now(UTC)
        self._tasks.append(asyncio.create_task(self._commit_loop(), name="committer"))
        self._tasks.append(asyncio.create_task(self._silence_loop(), name="silence"))
        self._tasks.append(asyncio.create_task(self._compact_loop(), name="compaction"))
        for feed in self.settings.feeds:
            self.silence.add_feed(feed.name, feed.timeout_s, feed.lat, feed.lon, now)
            runner = FEEDS[feed.kind]
            self._feed_tasks[feed.name] = asyncio.create_task(self._run_feed(runner, feed), name=feed.name)

    async def _run_feed(self, runner: Any, feed: Any) -> None:
        try:
            if feed.kind in NET_KINDS:
                await runner(feed, self.put, self.feed_status.setdefault(feed.name, FeedStatus()))
            else:
                await runner(feed, self.put)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("feed %s stopped", feed.name)

    def feeds_done(self) -> bool:
        return all(t.done() for t in self._feed_tasks.values())

    async def drain(self) -> None:
        """Wait until every queued item is committed."""
        await self._submit([])

    async def stop(self) -> None:
        for task in self._feed_tasks.values():
            task.cancel()
        await asyncio.gather(*self._feed_tasks.values(), return_exceptions=True)
        if self._queue is not None and self._tasks and not self._tasks[0].done():
            try:
                await asyncio.wait_for(self.drain(), timeout=10)
                flushed = [e for stage in self.pipeline.detectors for e in stage.flush()]
                if flushed:  # events the detectors held open (encounters of the last time bin...)
                    await asyncio.wait_for(
                        self.submit("node", [PartnerEvent(e, self.node_id) for e in flushed]), 10
                    )
            except TimeoutError:
                log.warning("queue not drained at shutdown")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.store.close()

    # -- input ----------------------------------------------------------------------------------------
    async def put(self, source: str, item: Item) -> None:
        """Queue one item (waits while the queue is full: back-pressure on the feed)."""
        assert self._queue is not None, "node not started"
        self.silence.seen(source, datetime.now(UTC))
        await self._queue.put((source, item))

    async def _submit(self, items: Sequence[tuple[str, Item]]) -> int:
        assert self._queue is not None, "node not started"
        for source, item in items:
            await self._queue.put((source, item))
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await self._queue.put(("", _Ack(future)))
        return await future

    async def submit(self, source: str, items: Sequence[Item]) -> int:
        """Queue items and wait until they are committed; returns the committing batch id."""
        return await self._submit([(source, i) for i in items])

    async def ingest_observations(self, observations: Sequence[Observation], origin: str) -> int:
        """Partner observations, kept with their node of origin (`extra["node"]`)."""
        tagged = [
            replace(o, extra={**o.extra, "node": origin}) if o.extra.get("node") != origin else o
            for o in observations
        ]
        return await self.submit(f"partner:{origin}", tagged)

    async def ingest_events(self, events: Sequence[Event], origin: str) -> int:
        return await self.submit(f"partner:{origin}", [PartnerEvent(e, origin) for e in events])

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """`callback(LiveItem)` for every committed track state, event and sighting."""
        return self.bus.subscribe(callback)

    async def report_sighting(self, sighting: dict[str, Any]) -> dict[str, Any]:
        """A patrol's contact: stored, fed to the pipeline (sensor `sighting`) and published."""
        row = await asyncio.to_thread(self.store.add_sighting, sighting)
        obs = Observation(
            time=utc_from_epoch(row["t"]),
            lat=row["lat"],
            lon=row["lon"],
            sensor=SensorKind.SIGHTING,
            source=f"sighting:{row.get('reported_by') or 'unknown'}",
            mmsi=row.get("mmsi"),
            target_ref=None if row.get("mmsi") else f"sighting-{row['id']}",
            sog_kn=row.get("sog_kn"),
            cog_deg=row.get("cog_deg"),
        )
        await self.submit("sightings", [obs])
        self.bus.publish([LiveItem("sighting", row, self.node_id)])
        return row

    # -- committer -----------------------------------------------------------------------------------
    async def _take_batch(self) -> list[tuple[str, Item | _Ack]]:
        assert self._queue is not None
        queue = self._queue
        items = [await queue.get()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.pipeline.batch_interval_s
        limit = self.settings.pipeline.batch_max
        while len(items) < limit:
            try:
                items.append(queue.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            if isinstance(items[-1][1], _Ack):
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                items.append(await asyncio.wait_for(queue.get(), remaining))
            except TimeoutError:
                break
        return items

    async def _commit_loop(self) -> None:
        while True:
            raw = await self._take_batch()
            acks = [i for _, i in raw if isinstance(i, _Ack)]
            items: list[tuple[str, Item]] = [(s, i) for s, i in raw if not isinstance(i, _Ack)]
            started = time.perf_counter()
            try:
                batch_id = await self._commit(items) if items else 0
            except Exception as exc:
                log.exception("batch of %d items failed", len(items))
                for ack in acks:
                    if not ack.future.done():
                        ack.future.set_exception(exc)
                continue
            self.metrics.last_batch_s = time.perf_counter() - started
            for ack in acks:
                if not ack.future.done():
                    ack.future.set_result(batch_id)

    def _process(self, items: list[tuple[str, Item]]) -> tuple[StepResult, dict[str, bytes]]:
        """Pipeline step plus the GeoJSON bytes of each new track state (reused by API and WebSocket)."""
        result = self.pipeline.process(items)
        features = {s.track_id: orjson.dumps(track_feature(s)) for s in result.batch.tracks}
        return result, features

    async def _commit(self, items: list[tuple[str, Item]]) -> int:
        result, features = await asyncio.to_thread(self._process, items)
        batch = result.batch
        batch_id = await asyncio.to_thread(self.store.write_batch, batch)
        if result.rejects:  # counted per source and reason for good, a bounded sample per source
            await asyncio.to_thread(self.store.record_rejects, result.rejects)
        m = self.metrics
        m.received.update(result.received)
        m.decoded.update(result.decoded)
        m.rejected.update(result.rejected)
        m.duplicates.update(result.duplicates)
        for rej in result.rejects:
            m.reject_reasons[rej.reason.split(":", 1)[0]] += 1
        self.rejects.extend(result.rejects)
        m.batches += 1
        m.positions += len(batch.positions)
        m.events += len(batch.events)
        m.last_batch_items = len(items)
        for state in batch.tracks:
            self.live[state.track_id] = state
            self.index.upsert(state, features[state.track_id])
            if state.mmsi is not None:
                old = self._track_of_mmsi.get(state.mmsi)
                if old is not None and old != state.track_id:
                    self.live.pop(old, None)  # the vessel's earlier track (e.g. before a restart)
                    self.index.remove(old)
                self._track_of_mmsi[state.mmsi] = state.track_id
            self.data_time_s = max(self.data_time_s, state.time.timestamp())
        live = [LiveItem("track", s, s.nodes[0] if s.nodes else self.node_id) for s in batch.tracks]
        live += [LiveItem("event", e, origin) for e, origin in batch.events]
        self.bus.publish(live, features)
        return batch_id

    async def _silence_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            events = self.silence.check(datetime.now(UTC))
            if events and self._queue is not None:
                for event in events:
                    await self._queue.put(("node", PartnerEvent(event, self.node_id)))

    async def _compact_loop(self) -> None:
        period = self.settings.pipeline.compact_every_s
        while True:
            await asyncio.sleep(period)
            if self.data_time_s <= 0:
                continue
            before = utc_from_epoch(self.data_time_s - self.settings.pipeline.compact_keep_s)
            try:
                await asyncio.to_thread(self.store.compact, before)
            except Exception:
                log.exception("history compaction failed")
            self.prune(self.data_time_s - max(self.settings.pipeline.live_max_age_s, PRUNE_AFTER_S))

    def drop_from_picture(self, track_ids: Iterable[str]) -> None:
        """Remove tracks from the live picture (memory only: the store is the caller's business)."""
        for track_id in track_ids:
            state = self.live.pop(track_id, None)
            self.index.remove(track_id)
            mmsi = None if state is None else state.mmsi
            if mmsi is not None and self._track_of_mmsi.get(mmsi) == track_id:
                del self._track_of_mmsi[mmsi]

    def prune(self, before_s: float) -> int:
        """Forget live tracks last seen before `before_s` (data time); they stay in the store."""
        stale = [tid for tid, s in self.live.items() if s.time.timestamp() < before_s]
        self.drop_from_picture(stale)
        self.tracker.drop_older_than(before_s)
        return len(stale)

    # -- picture --------------------------------------------------------------------------------------
    def _min_time(self, max_age_s: float | None) -> float:
        age_s = self.settings.pipeline.live_max_age_s if max_age_s is None else max_age_s
        return self.data_time_s - age_s

    def live_tracks(self, bbox: BBox | None = None, max_age_s: float | None = None) -> list[TrackState]:
        """Latest states younger than `live_max_age_s` (data time), optionally in a bbox."""
        return self.index.query_states(bbox, self._min_time(max_age_s))

    def live_features(self, bbox: BBox | None = None, max_age_s: float | None = None) -> bytes:
        """`live_tracks` as an encoded GeoJSON FeatureCollection (from the per-track cache)."""
        age_s = self.settings.pipeline.live_max_age_s if max_age_s is None else max_age_s
        parts = self.index.query_features(bbox, self.data_time_s - age_s)
        head = (
            b'{"type":"FeatureCollection","time":'
            + orjson.dumps(iso_utc(self.data_time_s) if self.data_time_s else None)
            + b',"max_age_s":'
            + orjson.dumps(age_s)
        )
        return head + b',"features":[' + b",".join(parts) + b"]}"

    def track_of_mmsi(self, mmsi: int) -> TrackState | None:
        """The live track currently carrying this MMSI."""
        track_id = self._track_of_mmsi.get(mmsi)
        return None if track_id is None else self.live.get(track_id)

    def gauges(self) -> dict[str, float]:
        return {
            "queue_depth": float(self._queue.qsize() if self._queue else 0),
            "live_tracks": float(len(self.live)),
            "ws_clients": float(self.bus.client_count),
            "ws_dropped_clients_total": float(self.bus.dropped_clients),
            "data_time_seconds": self.data_time_s,
            "uptime_seconds": time.time() - self.started_at,
        }
