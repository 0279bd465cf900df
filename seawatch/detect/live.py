"""Live detection: one observation at a time, per-track state, events as soon as they qualify.

`observe` returns new or updated events (an updated event keeps its `event_id`); `flush` ends the
stream and returns the final state of every event still open. Feed observations in time order (a
reorder feeder upstream): a fix older than its track's last one is counted `out_of_order` and ignored,
and a fix for an already closed 10-min bin is too late for the bin-based detectors. On time-ordered
input the last version of each event equals what `detect_bulk` reports on the same data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from seawatch.detect.ais_gap import LiveGap
from seawatch.detect.bins import LiveBins
from seawatch.detect.context import DetectContext
from seawatch.detect.identity_conflict import LiveIdentity
from seawatch.detect.jumps import measurement_sigma_m
from seawatch.detect.loitering import LiveLoitering
from seawatch.detect.pairs import LivePairs
from seawatch.detect.port_visit import LivePortVisit
from seawatch.detect.position_jump import LiveJump
from seawatch.detect.severity import with_severity
from seawatch.detect.speed_anomaly import LiveSpeed
from seawatch.detect.tracks import LiveFix, LiveTrackBuilder
from seawatch.detect.watchlist import Watchlist
from seawatch.detect.watchlist_hit import LiveWatchlist
from seawatch.detect.zone_events import LiveZones
from seawatch.model.event import Event
from seawatch.model.observation import AisStatic, Observation, SensorKind
from seawatch.model.zone import Zone


class LiveDetector:
    def __init__(self, context: DetectContext) -> None:
        self.ctx = context
        cfg = context.config
        self.builder = LiveTrackBuilder(context)
        self.ship_types: dict[int, int] = {}
        self.now_s = -math.inf
        self.gap = LiveGap(context) if cfg.ais_gap.enabled else None
        self.jump = (
            LiveJump(context) if cfg.position_jump.enabled and not cfg.identity_conflict.enabled else None
        )
        self.identity = LiveIdentity(context) if cfg.identity_conflict.enabled else None
        self.speed = LiveSpeed(context, self.ship_types) if cfg.speed_anomaly.enabled else None
        self.port = LivePortVisit(context) if cfg.port_visit.enabled else None
        self.zones = LiveZones(context) if cfg.zone.enabled and context.zones else None
        self.watch = LiveWatchlist(context) if cfg.watchlist.enabled and context.watchlist else None
        use_bins = cfg.encounter.enabled or cfg.rendezvous.enabled or cfg.loitering.enabled
        self.bins = LiveBins(cfg.tracks.bin_s) if use_bins else None
        self.pairs = LivePairs(context) if cfg.encounter.enabled or cfg.rendezvous.enabled else None
        self.loiter = LiveLoitering(context) if cfg.loitering.enabled else None
        self._zone_index = context.zone_index if context.zones else None

    def replace_zones(self, zones: Sequence[Zone]) -> None:
        """Use a new zone set from the next observation on, keeping every track's other state.

        For a node whose operators draw and edit zones while it runs. Zone membership is recomputed
        at each track's last position (see `LiveZones.rezone`), so only crossings after the edit are
        events. Open events keep the per-zone thresholds they started with.
        """
        old = self.ctx
        ctx = dataclasses.replace(old, zones=tuple(zones))
        for loaded in ("port_list", "land_mask"):  # cached geography: reuse, don't reload
            if loaded in old.__dict__:
                ctx.__dict__[loaded] = old.__dict__[loaded]
        for part in vars(self).values():
            if getattr(part, "ctx", None) is old:
                part.ctx = ctx
        self.ctx = ctx
        self._zone_index = ctx.zone_index if ctx.zones else None
        if self.bins is not None:
            # the open bin's fixes carry zone indices of the old set: a deleted zone's index would
            # point past the new list (IndexError when the bin closes) or at another zone
            for fix in self.bins.entries.values():
                fix.zones = self._zone_index.zones_at(fix.lon, fix.lat) if self._zone_index else frozenset()
        if self.zones is not None:
            self.zones.rezone(ctx)
        elif ctx.zones and ctx.config.zone.enabled:
            self.zones = LiveZones(ctx)

    def replace_watchlist(self, watchlist: Watchlist) -> None:
        """Use a new watchlist from the next observation on (a node's analysts edit theirs while it
        runs); hits already raised stay open."""
        if not self.ctx.config.watchlist.enabled:
            return
        if self.watch is None:
            self.watch = LiveWatchlist(self.ctx)
        self.watch.wl = watchlist

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.builder.counts)

    def observe(self, obs: Observation) -> list[Event]:
        track_id = obs.extra.get("track_id") if obs.extra else None
        return self.observe_values(
            obs.time.timestamp(),
            obs.mmsi,
            obs.lat,
            obs.lon,
            obs.sog_kn,
            track_id,
            obs.sensor == SensorKind.AIS,
            measurement_sigma_m(obs.extra),
        )

    def observe_values(
        self,
        t: float | None,
        mmsi: int | None,
        lat: float | None,
        lon: float | None,
        sog_kn: float | None = None,
        track_id: str | None = None,
        is_ais: bool = True,
        sigma_m: float | None = None,
    ) -> list[Event]:
        """The same as `observe` from plain values (the columnar replay path); `sigma_m`: the fix's
        1-sigma position error when its sensor gave one (`jumps.measurement_sigma_m`)."""
        fix = self.builder.add(t, lat, lon, mmsi, track_id, sog_kn, is_ais, sigma_m)
        if fix is None:
            return []
        if self._zone_index is not None:
            fix.zones = self._zone_index.zones_at(fix.lon, fix.lat)
        out: list[Event] = []
        if self.bins is not None:
            closed = self.bins.add(fix)
            if closed is not None:
                out += self._close_bin(*closed)
        if self.gap is not None:
            out += self.gap.observe(fix)
        if self.jump is not None:
            out += self.jump.observe(fix)
        if self.identity is not None:
            out += self.identity.observe(fix)
        if self.speed is not None:
            out += self.speed.observe(fix)
        if self.port is not None:
            out += self.port.observe(fix)
        if self.zones is not None:
            out += self.zones.observe(fix)
        if self.watch is not None:
            out += self.watch.observe(fix)
        if fix.t > self.now_s:
            self.now_s = fix.t
            if self.gap is not None and self.gap.heap and self.gap.heap[0][0] <= fix.t:
                out += self.gap.advance(fix.t)
            if self.identity is not None and self.identity.heap and self.identity.heap[0][0] < fix.t:
                out += self.identity.advance(fix.t)
        return with_severity(out, self.ctx) if out else out

    def _close_bin(self, b: int, entries: dict[str, LiveFix]) -> list[Event]:
        out: list[Event] = []
        if self.pairs is not None:
            out += self.pairs.close_bin(b, entries)
        if self.loiter is not None:
            out += self.loiter.close_bin(b, entries)
        return out

    def observe_static(self, static: AisStatic) -> None:
        if static.ship_type is not None:
            self.ship_types[static.mmsi] = static.ship_type
        if self.watch is not None:
            self.watch.observe_static(static)

    def flush(self) -> list[Event]:
        out: list[Event] = []
        if self.bins is not None:
            closed = self.bins.close()
            if closed is not None:
                out += self._close_bin(*closed)
        if self.gap is not None and math.isfinite(self.now_s):
            out += self.gap.flush(self.now_s)
        for part in (self.identity, self.speed, self.port, self.watch, self.pairs, self.loiter):
            if part is not None:
                out += part.flush()
        return with_severity(out, self.ctx)
