"""The live pipeline core: items → reorder, quality gate and dedupe (feeders) → track stage → event
stages → one `IngestBatch`.

Pure and synchronous (no I/O, no wall clock); the `Node` feeds it batches taken from its queue and
commits what it returns. Stages are typed (`DedupeStage`, `TrackStage`, `EventStage` protocols): the
node's are feeders' `DuplicateStage` and `node/stages.py`'s adapters over fusion's `LiveFusion` and
detect's `LiveDetector`. A report another receiver already delivered is counted as a duplicate (per
source), neither rejected nor passed on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from seawatch.detect.jumps import measurement_sigma_m
from seawatch.detect.watchlist import Watchlist
from seawatch.feeders.quality import observation_problem, plainly_good, static_problem
from seawatch.feeders.reorder import ReorderStage
from seawatch.model import AisPosition, AisStatic, Event, Observation, Rejected, SensorKind
from seawatch.model.zone import Zone
from seawatch.store.base import IngestBatch, PositionRow, TrackState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartnerEvent:
    """An event received from another node (or raised by the node itself), with its node of origin."""

    event: Event
    origin: str


Item = Observation | AisStatic | AisPosition | Rejected | PartnerEvent


class DedupeStage(Protocol):
    """Recognises a report already delivered (by another receiver) within its window of data time."""

    def is_duplicate(self, item: Observation | AisStatic) -> bool: ...


class NoDedupe:
    """Every report is new (a pipeline built without a dedupe stage)."""

    def is_duplicate(self, item: Observation | AisStatic) -> bool:
        return False


class TrackStage(Protocol):
    """Turns observations into tracks. `update` returns one `(track_id, state)` per observation, in
    order; `state` is None when the observation fed no shown track (e.g. a tentative radar track)."""

    def update(self, observations: Sequence[Observation]) -> list[tuple[str, TrackState | None]]: ...
    def observe_static(self, static: AisStatic) -> TrackState | None: ...
    def take_events(self) -> list[Event]:
        """Events the tracker itself raised since the last call (fusion's dark targets)."""
        ...

    def resume(self, states: list[TrackState]) -> None:
        """After a restart, the stored live tracks (new ids continue after theirs)."""
        ...

    def drop_older_than(self, epoch_s: float) -> int:
        """Forget tracks last seen before this data time."""
        ...


class EventStage(Protocol):
    """Raises events from observations (detect's `LiveDetector` is one). `observe_values` gives new or
    grown events (same `event_id` when grown) for one observation given as plain values (no copy of it);
    `track_id` is the fused track it fed (None: keyed by MMSI)."""

    def observe_values(
        self,
        t: float | None,
        mmsi: int | None,
        lat: float | None,
        lon: float | None,
        sog_kn: float | None,
        track_id: str | None,
        is_ais: bool,
        sigma_m: float | None = None,
    ) -> list[Event]: ...
    def observe_static(self, static: AisStatic) -> None: ...
    def replace_zones(self, zones: Sequence[Zone]) -> None: ...
    def replace_watchlist(self, watchlist: Watchlist) -> None: ...
    def flush(self) -> list[Event]:
        """Events held open (e.g. the last time bin's encounters), at shutdown."""
        ...


@dataclass
class StepResult:
    batch: IngestBatch
    received: Counter[str] = field(default_factory=Counter)  # per source
    decoded: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rejects: list[Rejected] = field(default_factory=list)
    duplicates: Counter[str] = field(default_factory=Counter)  # per source: reports heard before
    undated: int = 0


class LivePipeline:
    def __init__(
        self,
        node_id: str,
        tracker: TrackStage,
        detectors: Sequence[EventStage] = (),
        dedupe: DedupeStage | None = None,
        reorder: ReorderStage | None = None,
    ) -> None:
        self.node_id = node_id
        self.tracker = tracker
        self.detectors = list(detectors)
        self.dedupe: DedupeStage = dedupe if dedupe is not None else NoDedupe()
        self.reorder = reorder if reorder is not None else ReorderStage()
        self._pending_zones: list[Any] | None = None
        self._pending_watchlist: Watchlist | None = None

    def replace_zones(self, zones: Sequence[Any]) -> None:
        """Zones for the detectors from the next batch on (called from the API's threads: the swap
        happens in `process`, on the committer's side, never in the middle of a batch)."""
        self._pending_zones = list(zones)

    def replace_watchlist(self, watchlist: Watchlist) -> None:
        """The watchlist for the detectors from the next batch on (swapped like the zones)."""
        self._pending_watchlist = watchlist

    def _apply_pending(self) -> None:
        zones, self._pending_zones = self._pending_zones, None
        watchlist, self._pending_watchlist = self._pending_watchlist, None
        for detector in self.detectors:
            if zones is not None:
                detector.replace_zones(zones)
            if watchlist is not None:
                detector.replace_watchlist(watchlist)

    def process(self, items: Sequence[tuple[str, Item]]) -> StepResult:
        """One batch. An item that fails its quality check, or makes a stage fail, is rejected with its
        reason and counted; the rest of the batch goes on (the node commits it)."""
        self._apply_pending()
        items = self.reorder.order(items)  # data-time order within the batch (feeders/reorder.py)
        result = StepResult(batch=IngestBatch())
        batch = result.batch
        observations: list[tuple[str, Observation]] = []
        events: dict[str, tuple[Event, str]] = {}
        tracks: dict[str, TrackState] = {}

        def reject(source: str, item: object, reason: str) -> None:
            result.rejected[source] += 1
            result.rejects.append(Rejected(repr(item)[:500], reason, source))

        received, decoded = result.received, result.decoded
        is_duplicate, duplicates = self.dedupe.is_duplicate, result.duplicates

        def admit(source: str, obs: Observation) -> None:
            problem = observation_problem(obs)
            if problem is not None:
                reject(source, obs, problem)
            elif is_duplicate(obs):
                duplicates[source] += 1
            else:
                observations.append((source, obs))

        for source, item in items:
            received[source] += 1
            if type(item) is Observation:  # the common case first
                if not plainly_good(item):
                    admit(source, item)
                elif is_duplicate(item):
                    duplicates[source] += 1
                else:
                    observations.append((source, item))
            elif isinstance(item, Rejected):
                result.rejected[source] += 1
                result.rejects.append(item)
            elif isinstance(item, PartnerEvent):
                decoded[source] += 1
                events[item.event.event_id] = (item.event, item.origin)
            elif isinstance(item, AisStatic):
                problem = static_problem(item)
                if problem is not None:
                    reject(source, item, problem)
                    continue
                if is_duplicate(item):
                    duplicates[source] += 1
                    continue
                try:
                    state = self.tracker.observe_static(item)
                    for detector in self.detectors:
                        detector.observe_static(item)
                except Exception as exc:
                    log.exception("static report failed in the pipeline: rejected")
                    reject(source, item, f"pipeline_error: {type(exc).__name__}: {exc}")
                    continue
                decoded[source] += 1
                batch.statics.append(item)
                if state is not None:
                    tracks[state.track_id] = state
            elif isinstance(item, AisPosition):
                if item.received_at is None:
                    result.undated += 1
                    reject(source, item, "no time for position")
                    continue
                admit(source, Observation.from_ais(item, item.received_at))
            elif isinstance(item, Observation):
                admit(source, item)
            else:
                reject(source, item, f"unknown_item: {type(item).__name__}")
        detectors, positions, node_id = self.detectors, batch.positions, self.node_id
        for (source, obs), (key, state) in self._track(observations, reject):
            # AIS reports are keyed by their MMSI, as `seawatch detect` keys an AIS file (so live = bulk);
            # a contact without identity by the fused track it fed
            mmsi, t = obs.mmsi, obs.time.timestamp()
            track_id = key if mmsi is None and state is not None else None
            is_ais = obs.sensor is SensorKind.AIS
            sigma = None if is_ais else measurement_sigma_m(obs.extra)  # radar: judged on its own error
            sog = obs.sog_kn
            if sog is None and not is_ais and state is not None:
                sog = state.sog_kn  # a plot without speed: the track's estimate, as `seawatch detect` fuses
            found: list[Event] = []
            try:
                for detector in detectors:
                    found += detector.observe_values(t, mmsi, obs.lat, obs.lon, sog, track_id, is_ais, sigma)
            except Exception as exc:
                log.exception("observation failed in the detectors: rejected")
                reject(source, obs, f"pipeline_error: {type(exc).__name__}: {exc}")
                continue
            decoded[source] += 1
            if state is not None:
                tracks[key] = state
            positions.append(
                PositionRow(
                    t=t,
                    track_id=key,
                    mmsi=mmsi,
                    lat=obs.lat,
                    lon=obs.lon,
                    sog_kn=obs.sog_kn,
                    cog_deg=obs.cog_deg,
                    heading_deg=obs.heading_deg,
                    sensor=obs.sensor.value,
                    source=obs.source,
                    node=str(obs.extra.get("node", node_id)) if obs.extra else node_id,
                )
            )
            for event in found:
                events[event.event_id] = (event, node_id)
        for event in self.tracker.take_events():
            events[event.event_id] = (event, self.node_id)
        batch.tracks = list(tracks.values())
        batch.events = list(events.values())
        batch.received = sum(result.received.values())
        batch.rejected = sum(result.rejected.values())
        return result

    def _track(
        self, observations: list[tuple[str, Observation]], reject: Callable[[str, object, str], None]
    ) -> list[tuple[tuple[str, Observation], tuple[str, TrackState | None]]]:
        """The tracker's answer per observation; if the batch makes it fail, each observation alone,
        so only the one that fails is rejected."""
        try:
            updates = self.tracker.update([obs for _, obs in observations])
            return list(zip(observations, updates, strict=True))
        except Exception:
            log.exception("tracker failed on a batch of %d: retried one by one", len(observations))
        out = []
        for pair in observations:
            try:
                out.append((pair, self.tracker.update([pair[1]])[0]))
            except Exception as exc:
                reject(pair[0], pair[1], f"pipeline_error: {type(exc).__name__}: {exc}")
        return out
