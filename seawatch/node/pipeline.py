"""The live pipeline core: observations → track stage → event stages → one `IngestBatch`.

Pure and synchronous (no I/O, no wall clock); the `Node` feeds it batches taken from its queue and
commits what it returns. Stages are pluggable: any object with the `TrackStage` / `EventStage`
methods can be put in.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from seawatch.model import AisPosition, AisStatic, Event, Observation, Rejected, SensorKind
from seawatch.store.base import IngestBatch, PositionRow, TrackState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartnerEvent:
    """An event received from another node (or raised by the node itself), with its node of origin."""

    event: Event
    origin: str


Item = Observation | AisStatic | AisPosition | Rejected | PartnerEvent


class TrackStage(Protocol):
    """`update` returns one `(track_id, state)` per observation, in order; `state` None when the
    observation fed no shown track (e.g. a tentative radar track). A stage may also offer
    `take_events() -> list[Event]` (fusion's dark targets)."""

    def update(self, observations: Sequence[Observation]) -> list[tuple[str, TrackState | None]]: ...
    def observe_static(self, static: AisStatic) -> TrackState | None: ...


class EventStage(Protocol):
    """`observe(obs)` gives new or grown events; an optional `observe_static(static)` gets AIS statics."""

    def observe(self, obs: Observation) -> list[Event]: ...


@dataclass
class StepResult:
    batch: IngestBatch
    received: Counter[str] = field(default_factory=Counter)  # per source
    decoded: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rejects: list[Rejected] = field(default_factory=list)
    undated: int = 0


class LivePipeline:
    def __init__(self, node_id: str, tracker: TrackStage, detectors: Sequence[EventStage] = ()) -> None:
        self.node_id = node_id
        self.tracker = tracker
        self.detectors = list(detectors)
        self._pending_zones: list[Any] | None = None

    def replace_zones(self, zones: Sequence[Any]) -> None:
        """Zones for the detectors from the next batch on (called from the API's threads: the swap
        happens in `process`, on the committer's side, never in the middle of a batch)."""
        self._pending_zones = list(zones)

    def _apply_pending_zones(self) -> None:
        zones, self._pending_zones = self._pending_zones, None
        if zones is None:
            return
        for detector in self.detectors:
            replace = getattr(detector, "replace_zones", None)
            if replace is not None:
                replace(zones)

    def process(self, items: Sequence[tuple[str, Item]]) -> StepResult:
        self._apply_pending_zones()
        result = StepResult(batch=IngestBatch())
        batch = result.batch
        observations: list[Observation] = []
        events: dict[str, tuple[Event, str]] = {}
        tracks: dict[str, TrackState] = {}
        for source, item in items:
            result.received[source] += 1
            if isinstance(item, Rejected):
                result.rejected[source] += 1
                result.rejects.append(item)
            elif isinstance(item, PartnerEvent):
                result.decoded[source] += 1
                events[item.event.event_id] = (item.event, item.origin)
            elif isinstance(item, AisStatic):
                result.decoded[source] += 1
                batch.statics.append(item)
                state = self.tracker.observe_static(item)
                if state is not None:
                    tracks[state.track_id] = state
                for detector in self.detectors:
                    observe_static = getattr(detector, "observe_static", None)
                    if observe_static is not None:
                        observe_static(item)
            elif isinstance(item, AisPosition):
                if item.received_at is None:
                    result.undated += 1
                    result.rejected[source] += 1
                    result.rejects.append(Rejected(repr(item), "no time for position", source))
                    continue
                result.decoded[source] += 1
                observations.append(Observation.from_ais(item, item.received_at))
            else:
                result.decoded[source] += 1
                observations.append(item)
        updates = self.tracker.update(observations)
        for obs, (key, state) in zip(observations, updates, strict=True):
            if state is not None:
                tracks[key] = state
            batch.positions.append(
                PositionRow(
                    t=obs.time.timestamp(),
                    track_id=key,
                    mmsi=obs.mmsi,
                    lat=obs.lat,
                    lon=obs.lon,
                    sog_kn=obs.sog_kn,
                    cog_deg=obs.cog_deg,
                    heading_deg=obs.heading_deg,
                    sensor=obs.sensor.value,
                    source=obs.source,
                    node=str(obs.extra.get("node", self.node_id)) if obs.extra else self.node_id,
                )
            )
            track_id = key if state is not None and key != f"mmsi:{obs.mmsi}" else None
            seen: Observation | None = None
            for detector in self.detectors:
                by_values = getattr(detector, "observe_values", None)
                if by_values is not None:  # LiveDetector's plain-values form: no copy of the observation
                    found = by_values(
                        obs.time.timestamp(), obs.mmsi, obs.lat, obs.lon, obs.sog_kn, track_id,
                        obs.sensor == SensorKind.AIS,
                    )  # fmt: skip
                elif track_id is None or not getattr(detector, "needs_track_id", True):
                    found = detector.observe(obs)
                else:
                    if seen is None:
                        seen = replace(obs, extra={**obs.extra, "track_id": track_id})
                    found = detector.observe(seen)
                for event in found:
                    events[event.event_id] = (event, self.node_id)
        take_events = getattr(self.tracker, "take_events", None)
        if take_events is not None:
            for event in take_events():
                events[event.event_id] = (event, self.node_id)
        batch.tracks = list(tracks.values())
        batch.events = list(events.values())
        batch.received = sum(result.received.values())
        batch.rejected = sum(result.rejected.values())
        return result
