"""`speed_anomaly` (go-fast profile): speed ≥ `min_sog_kn` (25 kn) sustained for ≥ `min_duration_s`
(10 min) by a vessel not declared high-speed craft, SAR, law enforcement or military; radar-only tracks
(no MMSI, no ship type) are included.

Speed is the reported SOG, else the speed implied by consecutive fixes. Jump fixes are left out. A run
is consecutive fixes all at or above the threshold, at most `max_interruption_s` apart; its duration is
first to last fix. The ship type is the latest known: bulk uses every static report in the input, live
those seen so far. Live emits the event when the run reaches the duration and updates it when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event, median
from seawatch.detect.exemptions import is_exempt
from seawatch.detect.runs import run_bounds
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.geo.distance import haversine_m
from seawatch.model.event import Event

NAME = "speed_anomaly"


def _event(
    ctx: DetectContext,
    mmsi: int,
    track_id: str | None,
    t0: float,
    lat0: float,
    lon0: float,
    t1: float,
    lat1: float,
    lon1: float,
    speeds: list[float],
    min_sog: float,
    ship_type: int | None,
) -> Event:
    details = {
        "duration_s": t1 - t0,
        "max_sog_kn": max(speeds),
        "median_sog_kn": median(speeds),
        "fixes": len(speeds),
        "end_lat": lat1,
        "end_lon": lon1,
        "distance_m": float(haversine_m(lat0, lon0, lat1, lon1)),
        "ship_type": ship_type,
    }
    return make_event(
        NAME, [mmsi], t0, t1, lat0, lon0, details, ctx.params(NAME, min_sog_kn=min_sog), (track_id,)
    )


def detect_bulk(tf: TrackFrame, ctx: DetectContext, ship_types: dict[int, int]) -> list[Event]:
    cfg = ctx.config.speed_anomaly
    exempt = np.array([is_exempt(int(m), ship_types.get(int(m)), cfg) for m in tf.track_mmsi], dtype=bool)
    idx = np.flatnonzero(~tf.jump & ~exempt[tf.kid] if exempt.size else ~tf.jump)
    member = ctx.member_rows(tf.membership, idx, NAME)
    min_sog = ctx.param_rows(NAME, "min_sog_kn", member, idx.size)
    speed = tf.speed_kn[idx]
    with np.errstate(invalid="ignore"):
        pred = speed >= min_sog
    starts, ends = run_bounds(tf.kid[idx], tf.t[idx], pred, cfg.max_interruption_s)
    events = []
    for s, e in zip(starts, ends, strict=True):
        r0, r1 = idx[s], idx[e]
        if tf.t[r1] - tf.t[r0] < cfg.min_duration_s:
            continue
        k = int(tf.kid[r0])
        m = int(tf.track_mmsi[k])
        events.append(
            _event(
                ctx,
                m,
                tf.track_ids[k],
                float(tf.t[r0]),
                float(tf.lat[r0]),
                float(tf.lon[r0]),
                float(tf.t[r1]),
                float(tf.lat[r1]),
                float(tf.lon[r1]),
                [float(v) for v in speed[s : e + 1]],
                float(min_sog[s]),
                ship_types.get(m),
            )
        )
    return events


@dataclass(slots=True)
class _Run:
    t0: float
    lat0: float
    lon0: float
    min_sog: float
    last: LiveFix
    speeds: list[float] = field(default_factory=list)
    emitted: bool = False


class LiveSpeed:
    def __init__(self, ctx: DetectContext, ship_types: dict[int, int]) -> None:
        self.ctx = ctx
        self.cfg = ctx.config.speed_anomaly
        self.ship_types = ship_types  # shared with LiveDetector, updated by observe_static
        self.runs: dict[str, _Run] = {}
        self._exempt: dict[int, tuple[int | None, bool]] = {}

    def _close(self, run: _Run) -> list[Event]:
        if run.last.t - run.t0 < self.cfg.min_duration_s:
            return []
        return [self._emit(run)]

    def _emit(self, run: _Run) -> Event:
        f = run.last
        return _event(
            self.ctx,
            f.mmsi,
            f.track_id,
            run.t0,
            run.lat0,
            run.lon0,
            f.t,
            f.lat,
            f.lon,
            run.speeds,
            run.min_sog,
            self.ship_types.get(f.mmsi),
        )

    def observe(self, fix: LiveFix) -> list[Event]:
        if fix.jump:
            return []
        ship_type = self.ship_types.get(fix.mmsi)
        cached = self._exempt.get(fix.mmsi)
        if cached is None or cached[0] != ship_type:
            cached = (ship_type, is_exempt(fix.mmsi, ship_type, self.cfg))
            self._exempt[fix.mmsi] = cached
        if cached[1]:
            return []
        min_sog = self.ctx.param_at(NAME, "min_sog_kn", fix.zones)
        run = self.runs.get(fix.key)
        out: list[Event] = []
        if not (fix.speed_kn >= min_sog):  # NaN: unknown speed breaks the run
            if run is not None:
                del self.runs[fix.key]
                out.extend(self._close(run))
            return out
        if run is not None and fix.t - run.last.t > self.cfg.max_interruption_s:
            del self.runs[fix.key]
            out.extend(self._close(run))
            run = None
        if run is None:
            run = _Run(fix.t, fix.lat, fix.lon, min_sog, fix)
            self.runs[fix.key] = run
        run.last = fix
        run.speeds.append(fix.speed_kn)
        if not run.emitted and fix.t - run.t0 >= self.cfg.min_duration_s:
            run.emitted = True
            out.append(self._emit(run))
        return out

    def flush(self) -> list[Event]:
        out: list[Event] = []
        for run in self.runs.values():
            out.extend(self._close(run))
        self.runs.clear()
        return out
