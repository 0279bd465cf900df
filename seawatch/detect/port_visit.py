"""`port_visit`: entry, stop, exit (as Global Fishing Watch's port visits): a vessel comes within
`entry_distance_m` (3 km) of a port, stops there, and leaves beyond `exit_distance_m` (4 km). A vessel
passing a terminal without stopping (a fast ferry at 20 kn) makes no visit.

Per non-jump fix, the distance to the nearest port (WPI by default) sets the state: inside at ≤ 3 km,
outside beyond 4 km, unchanged in between (hysteresis; a track starts outside). A stay starts at the
first inside fix (the port is the nearest one then) and ends at the first fix beyond 4 km from every
port (`end` = that fix's time); one still going at the end of the data ends at its last fix with
`open: true`. A stop: consecutive fixes of the stay at ≤ `stop_max_sog_kn` (1 kn), at most
`max_stop_gap_s` (30 min) apart (a silence is no stop: implied speeds over a gap read near 0), spanning
at least `min_stop_s` (15 min, first to last slow fix). A stay with a stop is a visit (so never one
fix); details give `stop_s` (the longest stop) and `qualified_at_s` (when its first stop reached
`min_stop_s`). Live emits then and updates at exit (same event id).
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
    stop_s: float,
    qualified_at: float,
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
        "stop_s": stop_s,
        "qualified_at_s": qualified_at,
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
    t = tf.t[idx]
    starts, ends = run_bounds(kid, t, state == 1.0, math.inf)
    with np.errstate(invalid="ignore"):
        slow = (state == 1.0) & (tf.speed_kn[idx] <= cfg.stop_max_sog_kn)
    # stops are judged on AIS fixes for an AIS vessel (radar plots of a moored ship carry a noisy estimated
    # speed), on every fix for a radar/satellite-only track; within one stay
    judged = np.flatnonzero(tf.is_ais[idx] | (tf.track_mmsi[kid] < 0))
    stay = np.zeros(idx.size, dtype=np.int64)
    stay[starts] = 1
    stay = np.cumsum(stay) * (state == 1.0)
    ss, se = run_bounds(stay[judged], t[judged], slow[judged], cfg.max_stop_gap_s)
    slow_starts, slow_ends = judged[ss], judged[se]
    stop_s = t[slow_ends] - t[slow_starts]
    events = []
    for s, e in zip(starts, ends, strict=True):
        lo, hi = np.searchsorted(slow_starts, [s, e + 1])  # the stay's stops
        stops = np.flatnonzero(stop_s[lo:hi] >= cfg.min_stop_s)
        if stops.size == 0:
            continue  # passing by, or too short a stay: no visit
        a, b = int(ss[lo + stops[0]]), int(se[lo + stops[0]])
        jt = t[judged[a : b + 1]]
        qualified = float(jt[int(np.searchsorted(jt, jt[0] + cfg.min_stop_s, side="left"))])
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
                float(stop_s[lo:hi].max()),
                qualified,
            )
        )
    return events


@dataclass(slots=True)
class _Visit:
    fix: LiveFix
    port: int
    dist: float
    last_t: float
    slow_since: float | None = None
    last_slow_t: float = 0.0
    stop_s: float = 0.0
    qualified_at: float | None = None

    def event(self, ctx: DetectContext, t1: float, is_open: bool) -> Event:
        f = self.fix
        assert self.qualified_at is not None
        return _event(ctx, f.mmsi, f.track_id, f.t, f.lat, f.lon, self.port, self.dist, t1, is_open,
                      self.stop_s, self.qualified_at)  # fmt: skip


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
            if d > self.cfg.entry_distance_m:
                return []
            visit = self.visits[fix.key] = _Visit(fix, p, d, fix.t)
        elif d > self.cfg.exit_distance_m:
            del self.visits[fix.key]
            return [visit.event(self.ctx, fix.t, False)] if visit.qualified_at is not None else []
        visit.last_t = fix.t
        if not fix.is_ais and fix.mmsi >= 0:
            return []  # an AIS vessel's stop is judged on its AIS fixes (as in bulk)
        if not fix.speed_kn <= self.cfg.stop_max_sog_kn:  # moving, or unknown speed: no stop
            visit.slow_since = None
            return []
        if visit.slow_since is None or fix.t - visit.last_slow_t > self.cfg.max_stop_gap_s:
            visit.slow_since = fix.t  # a silence is no stop: a longer gap starts a new one
        visit.last_slow_t = fix.t
        stopped_s = fix.t - visit.slow_since
        visit.stop_s = max(visit.stop_s, stopped_s)
        if visit.qualified_at is None and stopped_s >= self.cfg.min_stop_s:
            visit.qualified_at = fix.t
            return [visit.event(self.ctx, fix.t, True)]
        return []

    def flush(self) -> list[Event]:
        out = [v.event(self.ctx, v.last_t, True) for v in self.visits.values() if v.qualified_at is not None]
        self.visits.clear()
        return out
