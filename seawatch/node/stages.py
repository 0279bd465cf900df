"""The node's pipeline stages, built from its settings: fusion's `LiveFusion` behind the `TrackStage`
interface (`FusionStage`), feeders' duplicate suppression and detect's `LiveDetector` (an `EventStage` as
it is) for the typed interfaces of `node/pipeline.py`. The node holds no tracker of its own: what a
track is (fused across sensors, or one per reported identity) is fusion's configuration
(`pipeline.fusion`, `FusionConfig.association`); the sensor sites of the node's feeds give fusion each
radar's report interval (`report_interval_s`) from the start.

The node runs exactly the detectors `seawatch detect` runs (`detect.live.LiveDetector`, the same
definitions as the bulk path); a detection or fusion config the detectors cannot use stops the node
at start with a `ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from seawatch.detect.config import DetectConfig
from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.detect.watchlist import Watchlist
from seawatch.errors import ConfigError
from seawatch.feeders.dedupe import DuplicateStage
from seawatch.fusion.config import FusionConfig
from seawatch.fusion.identity import LastFix, identity_key
from seawatch.fusion.pipeline import LiveFusion
from seawatch.fusion.steps import TrackStep
from seawatch.geo.zones import default_zones, parse_zones
from seawatch.model import AisStatic, Event, Observation
from seawatch.model.zone import Zone
from seawatch.node.pipeline import DedupeStage, EventStage, TrackStage
from seawatch.node.settings import NodeSettings
from seawatch.node.sites import node_sites
from seawatch.store.base import UNSHOWN_TRACK_PREFIX, Store, TrackState

log = logging.getLogger(__name__)


def watchlist_of(entries: Iterable[dict[str, Any]]) -> Watchlist:
    """The node's watchlist (entries drawn by analysts: MMSI, name, reason) as detect's `Watchlist`."""
    watched: dict[int, str] = {}
    for entry in entries:
        mmsi = entry.get("mmsi")
        if isinstance(mmsi, int):
            watched[mmsi] = str(entry.get("reason") or entry.get("name") or entry.get("id") or "")
    return Watchlist(mmsi=watched)


def make_dedupe(settings: NodeSettings) -> DedupeStage:
    """Duplicate suppression across the node's receivers (feeders' `DuplicateStage`)."""
    return DuplicateStage(settings.pipeline.dedupe_window_s)


def _union(a: tuple[str, ...], b: Sequence[str]) -> tuple[str, ...]:
    if all(x in a for x in b):
        return a
    return tuple(dict.fromkeys((*a, *b)))


class FusionStage:
    """The node's `TrackStage` over fusion's `LiveFusion`: per observation the shown track it fed
    (`T000123`, or its identity with the identity association) with that track's state; observations of
    tentative tracks get `None` (kept in history under `unshown:<sensor>:<target_ref>`, not shown live,
    so not in a replay either). The state adds what the node knows beside fusion: names and ship types
    from AIS statics, and the nodes each track came from. Fusion's dark-target events are handed over
    through `take_events()`."""

    def __init__(self, node_id: str, config: FusionConfig | None = None) -> None:
        self.node_id = node_id
        self.fusion = LiveFusion(config)
        self.states: dict[str, TrackState] = {}
        self.identity: dict[int, tuple[str | None, int | None]] = {}
        self._events: dict[str, Event] = {}

    def resume(self, states: list[TrackState]) -> None:
        """After a restart. Fused tracks: new track numbers continue after the stored ones (ids stay
        unique); fusion's own state is not persisted, so vessels get new tracks, which replace their old
        ones in the live picture as they report. Identity tracks continue from their stored state."""
        if self.fusion.identity is not None:
            for s in states:
                self.states[s.track_id] = s
                self.fusion.resume_identity(s.track_id, LastFix(s.time.timestamp(), s.lat, s.lon, s.mmsi))
            return
        nums = [int(s.track_id[1:]) for s in states if s.track_id[:1] == "T" and s.track_id[1:].isdigit()]
        if nums:
            self.fusion.continue_numbering_after(max(nums))

    def drop_older_than(self, epoch_s: float) -> int:
        """Forget shown states last updated before `epoch_s` (fusion deletes its own tracks by age)."""
        stale = [key for key, state in self.states.items() if state.time.timestamp() < epoch_s]
        for key in stale:
            del self.states[key]
        self.fusion.drop_older_than(epoch_s)
        return len(stale)

    def take_events(self) -> list[Event]:
        events = list(self._events.values())
        self._events.clear()
        return events

    def observe_static(self, static: AisStatic) -> TrackState | None:
        name = static.shipname.strip() if static.shipname else None
        old_name, old_type = self.identity.get(static.mmsi, (None, None))
        self.identity[static.mmsi] = (
            name or old_name,
            static.ship_type if static.ship_type is not None else old_type,
        )
        for key, state in self.states.items():
            if state.mmsi == static.mmsi:
                new_name, new_type = self.identity[static.mmsi]
                if (new_name, new_type) != (state.name, state.ship_type):
                    self.states[key] = replace(state, name=new_name, ship_type=new_type)
                    return self.states[key]
        return None

    def _apply(self, step: TrackStep, nodes: Sequence[str]) -> None:
        if step.kind == "deleted":
            self.states.pop(step.track_id, None)
            return
        prev = self.states.get(step.track_id)
        name, ship_type = self.identity.get(step.mmsi, (None, None)) if step.mmsi else (None, None)
        if prev is None:
            sources, sensors, node_ids = tuple(step.sources), tuple(step.sensors), tuple(dict.fromkeys(nodes))
        else:
            name = name or prev.name
            ship_type = ship_type if ship_type is not None else prev.ship_type
            sources = _union(prev.sources, step.sources)
            sensors = _union(prev.sensors, step.sensors)
            node_ids = _union(prev.nodes, nodes)
        self.states[step.track_id] = TrackState(
            step.track_id,
            step.time,
            step.lat,
            step.lon,
            mmsi=step.mmsi,
            sog_kn=step.sog_kn,
            cog_deg=step.cog_deg,
            heading_deg=step.heading_deg,
            name=name,
            ship_type=ship_type,
            sources=sources,
            sensors=sensors,
            nodes=node_ids,
            dark=step.mmsi is None and "ais" not in sources,
            pos_sigma_m=step.pos_sigma_m,
            vel_sigma_mps=step.vel_sigma_mps,
        )

    def update(self, observations: Sequence[Observation]) -> list[tuple[str, TrackState | None]]:
        out: list[tuple[str, TrackState | None]] = [
            (UNSHOWN_TRACK_PREFIX + identity_key(o), None) for o in observations
        ]
        for scan in self.fusion.scans(observations):
            nodes_of: dict[str, list[str]] = {}
            for i, track_id in zip(scan.index, scan.track_ids, strict=True):
                if track_id is not None:
                    o = observations[i]
                    origin = str(o.extra.get("node", self.node_id)) if o.extra else self.node_id
                    nodes_of.setdefault(track_id, []).append(origin)
            for step in scan.steps:
                self._apply(step, nodes_of.get(step.track_id, ()))
            for event in scan.events:
                self._events[event.event_id] = event
            for i, track_id in zip(scan.index, scan.track_ids, strict=True):
                if track_id is not None:
                    out[i] = (track_id, self.states.get(track_id))
        return out


def make_tracker(settings: NodeSettings) -> TrackStage:
    """Fusion's `LiveFusion` with the node's fusion config (`pipeline.fusion`; `pipeline.tracker =
    "latest"` is short for the identity association), each radar's report interval taken from the
    feeds' sensor sites unless the fusion config gives one (a sites file that cannot be read stops the
    node at start with a `ConfigError`)."""
    config = settings.pipeline.fusion_config()
    revisit = node_sites(settings).revisit_s()
    if revisit:
        config = config.model_copy(update={"revisit_s": {**revisit, **config.revisit_s}})
    return FusionStage(settings.node_id, config)


def zones_for_detectors(store: Store) -> list[Zone]:
    """The bundled default zones (Caribbean territorial waters) plus the zones drawn on the node.

    Drawing a custom zone must not silently switch off territorial-sea alerts, so drawn zones are
    added to the bundled ones, not put in their place.
    """
    zones = list(default_zones())
    taken = {z.zone_id for z in zones}
    # one zone at a time: a stored zone the detectors cannot use (saved before the API refused it)
    # is left out with an error, never taking the other drawn zones down with it
    for number, feature in enumerate(store.zones()):
        try:
            (zone,) = parse_zones(feature, f"node zone {number}")
        except (ConfigError, ValueError) as exc:
            log.error("zone left out of detection: %s", exc)
            continue
        if zone.zone_id in taken:
            log.error("zone left out of detection: id %r is taken by a bundled zone", zone.zone_id)
            continue
        taken.add(zone.zone_id)
        zones.append(zone)
    return zones


def live_detectors(settings: NodeSettings, store: Store) -> list[EventStage]:
    """The live detectors of `seawatch detect`, with the node's detection config (a bad config raises
    `ConfigError`: the node does not start without its detectors)."""
    path = settings.pipeline.detect_config
    config = DetectConfig.from_file(path) if path else DetectConfig.defaults()
    context = DetectContext(
        config=config, zones=zones_for_detectors(store), watchlist=watchlist_of(store.watchlist())
    )
    return [LiveDetector(context)]
