"""`port_visit`: entry within `entry_distance_m` (3 km) of a port, exit beyond `exit_distance_m` (4 km).

Per non-jump fix, the distance to the nearest port (WPI by default) sets the state: inside at ≤ 3 km,
outside beyond 4 km, unchanged in between (hysteresis; a track starts outside). A visit starts at the
first inside fix (the port is the nearest one then) and ends at the first fix beyond 4 km from every
port (`end` = that fix's time); a visit still going at the end of the data ends at its last fix with
`open: true`. Live emits at entry and updates at exit (same event id).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event
from seawatch.detect.runs import run_bounds
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.model.event import Event

NAME = "port_visit"


def _event(
    ctx: DetectContext,
    mmsi: int,
    track_id: str | None,
    t0: float,
    lat: float,
    lon: float,
    port: int,
    dist: float,
    t1: float,
    is_open: bool,
) -> Event:
    ports = ctx.port_list
    details = {
        "port_name": ports.names[port],
        "port_country": ports.countries[port],
        "port_lat": float(ports.lat[port]),
        "port_lon": float(ports.lon[port]),
        "entry_distance_m": dist,
        "duration_s": t1 - t0,
        "open": is_open,
    }
    return make_event(NAME, [mmsi], t0, t1, lat, lon, details, ctx.params(NAME), (track_id,))


def detect_bulk(tf: TrackFrame, ctx: DetectContext) -> list[Event]:
    cfg = ctx.config.port_visit
    idx = np.flatnonzero(~tf.jump)
    if idx.size == 0:
        return []
    dist, port = ctx.port_list.nearest(tf.lat[idx], tf.lon[idx], max_m=cfg.exit_distance_m)
    state = np.full(idx.size, np.nan)
    state[dist <= cfg.entry_distance_m] = 1.0
    state[dist > cfg.exit_distance_m] = 0.0
    kid = tf.kid[idx]
    first = np.ones(idx.size, dtype=bool)
    first[1:] = kid[1:] != kid[:-1]
    state[first & np.isnan(state)] = 0.0
    defined = np.where(~np.isnan(state), np.arange(idx.size), 0)
    state = state[np.maximum.accumulate(defined)]  # forward fill (each track starts defined)
    starts, ends = run_bounds(kid, tf.t[idx], state == 1.0, math.inf)
    events = []
    for s, e in zip(starts, ends, strict=True):
        r0 = idx[s]
        k = int(tf.kid[r0])
        closed = e + 1 < idx.size and kid[e + 1] == kid[e]
        t1 = float(tf.t[idx[e + 1]]) if closed else float(tf.t[idx[e]])
        events.append(
            _event(
                ctx,
                int(tf.track_mmsi[k]),
                tf.track_ids[k],
                float(tf.t[r0]),
                float(tf.lat[r0]),
                float(tf.lon[r0]),
                int(port[s]),
                float(dist[s]),
                t1,
                not closed,
            )
        )
    return events


@dataclass(slots=True)
class _Visit:
    fix: LiveFix
    port: int
    dist: float
    last_t: float


class LivePortVisit:
    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.config.port_visit
        self.visits: dict[str, _Visit] = {}

    def _near(self, fix: LiveFix) -> tuple[float, int]:
        return self.ctx.port_list.nearest_one(fix.lat, fix.lon, self.cfg.exit_distance_m)

    def observe(self, fix: LiveFix) -> list[Event]:
        if fix.jump:
            return []
        d, p = self._near(fix)
        visit = self.visits.get(fix.key)
        if visit is None:
            if d <= self.cfg.entry_distance_m:
                self.visits[fix.key] = _Visit(fix, p, d, fix.t)
                return [_event(self.ctx, fix.mmsi, fix.track_id, fix.t, fix.lat, fix.lon, p, d, fix.t, True)]
            return []
        if d > self.cfg.exit_distance_m:
            del self.visits[fix.key]
            f = visit.fix
            return [
                _event(self.ctx, f.mmsi, f.track_id, f.t, f.lat, f.lon, visit.port, visit.dist, fix.t, False)
            ]
        visit.last_t = fix.t
        return []

    def flush(self) -> list[Event]:
        out = [
            _event(
                self.ctx,
                v.fix.mmsi,
                v.fix.track_id,
                v.fix.t,
                v.fix.lat,
                v.fix.lon,
                v.port,
                v.dist,
                v.last_t,
                True,
            )
            for v in self.visits.values()
        ]
        self.visits.clear()
        return out
