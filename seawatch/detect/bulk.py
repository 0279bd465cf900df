"""Bulk detection over an archive: build tracks once, run every enabled detector vectorised."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import polars as pl

from seawatch.detect import (
    ais_gap,
    identity_conflict,
    loitering,
    pairs,
    port_visit,
    position_jump,
    speed_anomaly,
    watchlist_hit,
    zone_events,
)
from seawatch.detect.bins import BinTable
from seawatch.detect.context import DetectContext
from seawatch.detect.exemptions import ship_types
from seawatch.detect.severity import with_severity
from seawatch.detect.tracks import TrackFrame, build_tracks
from seawatch.model.event import Event

log = logging.getLogger(__name__)


@dataclass
class BulkResult:
    events: list[Event]
    tracks: TrackFrame
    counts: dict[str, int] = field(default_factory=dict)  # cleaning flags, used fixes, tracks
    timings_s: dict[str, float] = field(default_factory=dict)


def sort_events(events: list[Event]) -> list[Event]:
    return sorted(
        events, key=lambda e: (e.start, e.type, e.mmsi, e.track_ids, str(e.details.get("zone_id", "")))
    )


def run_bulk(positions: pl.DataFrame, statics: pl.DataFrame | None, context: DetectContext) -> BulkResult:
    cfg = context.config
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    tf = build_tracks(positions, context)
    lap("tracks")
    if context.zones and len(tf):
        tf.membership = context.zone_index.membership(tf.lon, tf.lat)
        lap("zones_membership")
    events: list[Event] = []
    if cfg.ais_gap.enabled:
        events += ais_gap.detect_bulk(tf, context)
        lap("ais_gap")
    if cfg.position_jump.enabled and not cfg.identity_conflict.enabled:
        events += position_jump.detect_bulk(tf, context)
        lap("position_jump")
    if cfg.identity_conflict.enabled:
        events += identity_conflict.detect_bulk(tf, context)  # and position_jump (decided together)
        lap("identity_conflict")
    if cfg.speed_anomaly.enabled:
        events += speed_anomaly.detect_bulk(tf, context, ship_types(statics))
        lap("speed_anomaly")
    if cfg.encounter.enabled or cfg.rendezvous.enabled or cfg.loitering.enabled:
        bt = BinTable.build(tf, cfg.tracks.bin_s)
        lap("bins")
        events += pairs.detect_bulk(tf, bt, context)
        lap("encounter_rendezvous")
        if cfg.loitering.enabled:
            events += loitering.detect_bulk(tf, bt, context)
            lap("loitering")
    if cfg.port_visit.enabled:
        events += port_visit.detect_bulk(tf, context)
        lap("port_visit")
    if cfg.zone.enabled:
        events += zone_events.detect_bulk(tf, context)
        lap("zones")
    if cfg.watchlist.enabled:
        events += watchlist_hit.detect_bulk(tf, context, statics)
        lap("watchlist")
    events = with_severity(events, context)
    log.debug("bulk detection timings: %s", timings)
    return BulkResult(events=sort_events(events), tracks=tf, counts=dict(tf.counts), timings_s=timings)


def detect_bulk(positions: pl.DataFrame, statics: pl.DataFrame | None, context: DetectContext) -> list[Event]:
    """Every event in an archive of positions (POSITION_SCHEMA) and static reports (STATIC_SCHEMA)."""
    return run_bulk(positions, statics, context).events
