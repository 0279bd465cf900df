"""The node's pipeline stages, built from its settings: fusion's live tracker (`TrackStage`) and detect's
`LiveDetector` (an `EventStage` as it is) for the typed interfaces of `node/pipeline.py`.

The node runs exactly the detectors `seawatch detect` runs (`detect.live.LiveDetector`, the same
definitions as the bulk path); a detection or fusion config the detectors cannot use stops the node
at start with a `ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from seawatch.detect.config import DetectConfig
from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.detect.watchlist import Watchlist
from seawatch.errors import ConfigError
from seawatch.feeders.dedupe import DuplicateStage
from seawatch.geo.zones import default_zones, parse_zones
from seawatch.model.zone import Zone
from seawatch.node.fused import FusedTrackStage
from seawatch.node.pipeline import DedupeStage, EventStage, TrackStage
from seawatch.node.settings import NodeSettings
from seawatch.node.tracker import LatestStateTracker
from seawatch.store.base import Store

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


def make_tracker(settings: NodeSettings) -> TrackStage:
    """Fusion's live tracker (one fused track per vessel) unless `pipeline.tracker = "latest"`."""
    if settings.pipeline.tracker == "fusion":
        return FusedTrackStage(settings.node_id, settings.pipeline.fusion_config())
    return LatestStateTracker(settings.node_id)


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
