"""`speed_anomaly` (go-fast profile): a vessel not declared high-speed craft, SAR, law enforcement or
military keeps a speed ≥ `min_sog_kn` (25 kn) for ≥ `min_duration_s` (10 min); radar-only tracks (no
MMSI, no ship type) are included.

A robust windowed rule, the same in bulk and live, that holds on real radar:
- Speed of a fix: the reported SOG (AIS SOG, the radar's own TTM target speed), else the speed implied
  by consecutive fixes; fixes of unknown speed and jump fixes are left out.
- Smoothed speed of a fix: the median speed of the track's fixes in the trailing `window_s` (the fix
  and those at most `window_s` before it), so one slow fix among fast ones (a noisy estimate, a lost
  plot) changes nothing.
- A fix is fast when its smoothed speed ≥ `min_sog_kn` (per zone). A run is the track's fast fixes,
  consecutive ones at most `max_interruption_s` apart: slower fixes between them are a tolerated dip,
  so one go-fast is one event, not fragments. Its duration is first to last fast fix.
- Event: start/position = the run's first fast fix; details: `median_sog_kn` (median of the smoothed
  speeds), `max_sog_kn` (highest reported/implied), `qualified_at_s` (the fast fix at which the run
  reached the duration: when a live node raises it). The ship type is the latest known: bulk uses every
  static report in the input, live those seen so far. Live emits at `qualified_at_s` and updates the event
  as the run grows; the last update (a later fast fix too far away, or the end of the stream) equals bulk.
"""

from __future__ import annotations

from collections import deque
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


@dataclass(slots=True)
class _Run:
    t0: float
    lat0: float
    lon0: float
    min_sog: float
    t1: float = 0.0
    lat1: float = 0.0
    lon1: float = 0.0
    smoothed: list[float] = field(default_factory=list)
    max_sog: float = 0.0
    qualified_at: float | None = None


def _event(ctx: DetectContext, mmsi: int, track_id: str | None, run: _Run, ship_type: int | None) -> Event:
    details = {
        "duration_s": run.t1 - run.t0,
        "max_sog_kn": run.max_sog,
        "median_sog_kn": median(run.smoothed),
        "fixes": len(run.smoothed),
        "qualified_at_s": run.qualified_at,
        "end_lat": run.lat1,
        "end_lon": run.lon1,
        "distance_m": float(haversine_m(run.lat0, run.lon0, run.lat1, run.lon1)),
        "ship_type": ship_type,
    }
    params = ctx.params(NAME, min_sog_kn=run.min_sog)
    return make_event(NAME, [mmsi], run.t0, run.t1, run.lat0, run.lon0, details, params, (track_id,))


def _add(run: _Run, t: float, lat: float, lon: float, smoothed: float, speed: float, min_s: float) -> bool:
    """Grow a run by one fast fix; True when this fix makes it qualify."""
    run.t1, run.lat1, run.lon1 = t, lat, lon
    run.smoothed.append(smoothed)
    run.max_sog = max(run.max_sog, speed)
    if run.qualified_at is None and t - run.t0 >= min_s:
        run.qualified_at = t
        return True
    return False


def _smoothed_bulk(tf: TrackFrame, idx: np.ndarray, window_s: float, floor_kn: float) -> np.ndarray:
    """Trailing-window median speed at each row of `idx` (rows of usable fixes, in track/time order).

    Only rows that can be fast are computed (at least half of their window ≥ the lowest threshold:
    otherwise the median is below it); the others are NaN (not fast). The medians are taken together
    for all rows whose windows have the same length (numpy's median is the live form's `median`)."""
    speed = tf.speed_kn[idx]
    t = tf.t[idx]
    kid = tf.kid[idx]
    out = np.full(idx.size, np.nan)
    fast_rows = np.flatnonzero(speed >= floor_kn)
    if fast_rows.size == 0:
        return out
    bounds = np.flatnonzero(np.diff(kid)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [idx.size]])
    cand_rows: list[np.ndarray] = []
    cand_first: list[np.ndarray] = []
    for k in np.unique(np.searchsorted(ends, fast_rows, side="right")).tolist():
        lo, hi = int(starts[k]), int(ends[k])
        tt, sp = t[lo:hi], speed[lo:hi]
        first = np.searchsorted(tt, tt - window_s, side="left")
        # a median at or above the floor needs at least half its window at or above it: only those rows
        fast_so_far = np.concatenate([[0], np.cumsum(sp >= floor_kn)])
        rows = np.arange(hi - lo)
        n_fast = fast_so_far[rows + 1] - fast_so_far[first]
        keep = np.flatnonzero(2 * n_fast >= rows - first + 1)
        cand_rows.append(lo + keep)
        cand_first.append(lo + first[keep])
    row = np.concatenate(cand_rows)
    first_row = np.concatenate(cand_first)
    length = row - first_row + 1
    for n in np.unique(length).tolist():
        at = np.flatnonzero(length == n)
        window = speed[first_row[at, None] + np.arange(n)]
        out[row[at]] = np.median(window, axis=1)
    return out


def detect_bulk(tf: TrackFrame, ctx: DetectContext, ship_types: dict[int, int]) -> list[Event]:
    cfg = ctx.config.speed_anomaly
    exempt = np.array([is_exempt(int(m), ship_types.get(int(m)), cfg) for m in tf.track_mmsi], dtype=bool)
    usable = ~tf.jump & np.isfinite(tf.speed_kn)
    idx = np.flatnonzero(usable & ~exempt[tf.kid] if exempt.size else usable)
    member = ctx.member_rows(tf.membership, idx, NAME)
    min_sog = ctx.param_rows(NAME, "min_sog_kn", member, idx.size)
    smoothed = _smoothed_bulk(tf, idx, cfg.window_s, ctx.param_min(NAME, "min_sog_kn"))
    with np.errstate(invalid="ignore"):
        fast = smoothed >= min_sog
    rows = idx[fast]
    starts, ends = run_bounds(tf.kid[rows], tf.t[rows], np.ones(rows.size, bool), cfg.max_interruption_s)
    fast_pos = np.flatnonzero(fast)
    events = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        r0, r1 = rows[s], rows[e]
        if tf.t[r1] - tf.t[r0] < cfg.min_duration_s:
            continue
        first = int(fast_pos[s])
        t0 = float(tf.t[r0])
        run = _Run(t0, float(tf.lat[r0]), float(tf.lon[r0]), float(min_sog[first]))
        # the live form's `_add` fix by fix, at once
        run_t = tf.t[rows[s : e + 1]]
        run.t1, run.lat1, run.lon1 = float(tf.t[r1]), float(tf.lat[r1]), float(tf.lon[r1])
        run.smoothed = smoothed[fast_pos[s : e + 1]].tolist()
        run.max_sog = max(0.0, float(tf.speed_kn[rows[s : e + 1]].max()))
        run.qualified_at = float(run_t[int(np.argmax(run_t - t0 >= cfg.min_duration_s))])
        k = int(tf.kid[r0])
        m = int(tf.track_mmsi[k])
        events.append(_event(ctx, m, tf.track_ids[k], run, ship_types.get(m)))
    return events


class LiveSpeed:
    def __init__(self, ctx: DetectContext, ship_types: dict[int, int]) -> None:
        self.ctx = ctx
        self.cfg = ctx.config.speed_anomaly
        self.ship_types = ship_types  # shared with LiveDetector, updated by observe_static
        self.windows: dict[str, deque[tuple[float, float]]] = {}  # key -> (t, speed) in the window
        self.runs: dict[str, tuple[_Run, LiveFix]] = {}
        self._exempt: dict[int, tuple[int | None, bool]] = {}

    def _close(self, run: _Run, fix: LiveFix) -> list[Event]:
        return [] if run.qualified_at is None else [self._emit(run, fix)]

    def _emit(self, run: _Run, fix: LiveFix) -> Event:
        return _event(self.ctx, fix.mmsi, fix.track_id, run, self.ship_types.get(fix.mmsi))

    def observe(self, fix: LiveFix) -> list[Event]:
        if fix.jump or fix.speed_kn != fix.speed_kn:  # jump, or unknown speed (NaN): not used
            return []
        ship_type = self.ship_types.get(fix.mmsi)
        cached = self._exempt.get(fix.mmsi)
        if cached is None or cached[0] != ship_type:
            cached = (ship_type, is_exempt(fix.mmsi, ship_type, self.cfg))
            self._exempt[fix.mmsi] = cached
        if cached[1]:
            return []
        window = self.windows.get(fix.key)
        if window is None:
            window = self.windows[fix.key] = deque()
        window.append((fix.t, fix.speed_kn))
        while window[0][0] < fix.t - self.cfg.window_s:
            window.popleft()
        out: list[Event] = []
        held = self.runs.get(fix.key)
        if held is not None and fix.t - held[0].t1 > self.cfg.max_interruption_s:
            del self.runs[fix.key]  # the run ended at its last fast fix: its final version
            out.extend(self._close(*held))
            held = None
        if not any(s >= self.ctx.param_min(NAME, "min_sog_kn") for _, s in window):
            return out  # a median is never above every value: not fast (bulk skips these rows too)
        smoothed = median([s for _, s in window])
        min_sog = self.ctx.param_at(NAME, "min_sog_kn", fix.zones)
        if not smoothed >= min_sog:
            return out
        run = _Run(fix.t, fix.lat, fix.lon, min_sog) if held is None else held[0]
        self.runs[fix.key] = (run, fix)
        if _add(run, fix.t, fix.lat, fix.lon, smoothed, fix.speed_kn, self.cfg.min_duration_s):
            out.append(self._emit(run, fix))  # raised as soon as it qualifies; final version at its end
        return out

    def flush(self) -> list[Event]:
        out: list[Event] = []
        for run, fix in self.runs.values():
            out.extend(self._close(run, fix))
        self.runs.clear()
        self.windows.clear()
        return out
