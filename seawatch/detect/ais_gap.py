"""`ais_gap`: no AIS position from a vessel for ≥ `min_gap_s` (6 h), starting ≥ `min_shore_distance_m`
(10 nm) from shore. Reported with start/end position and time.

Only AIS fixes count (a fused track fed by radar during the silence still has an AIS gap); jump fixes
count (something was transmitted). Thresholds come from the zones containing the gap's start fix.
A gap still open at the end of the data (bulk) / stream (live) is reported with `open: true` and
`end` = the latest time seen; live emits it as soon as the silence reaches `min_gap_s` and updates it
when the vessel reappears (same event id).
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.geo.distance import MS_PER_KN, haversine_m
from seawatch.model.event import Event

NAME = "ais_gap"


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
    shore_m: float,
    is_open: bool,
    gap_s: float,
    shore_min_m: float,
) -> Event:
    duration = t1 - t0
    details: dict[str, Any] = {"duration_s": duration, "shore_distance_m": shore_m, "open": is_open}
    if not is_open:
        dist = float(haversine_m(lat0, lon0, lat1, lon1))
        details.update(
            end_lat=lat1,
            end_lon=lon1,
            distance_m=dist,
            implied_sog_kn=dist / duration / MS_PER_KN if duration > 0 else None,
        )
    params = ctx.params(NAME, min_gap_s=gap_s, min_shore_distance_m=shore_min_m)
    return make_event(NAME, [mmsi], t0, t1, lat0, lon0, details, params, (track_id,))


def detect_bulk(tf: TrackFrame, ctx: DetectContext) -> list[Event]:
    if len(tf) == 0:
        return []
    idx = np.flatnonzero(tf.is_ais) if not tf.is_ais.all() else np.arange(len(tf))
    kid, t = (tf.kid[idx], tf.t[idx]) if idx.size != len(tf) else (tf.kid, tf.t)
    member = ctx.member_rows(tf.membership, idx, NAME)
    gap_s = ctx.param_rows(NAME, "min_gap_s", member, idx.size)
    shore_min = ctx.param_rows(NAME, "min_shore_distance_m", member, idx.size)
    data_end = float(tf.t.max())
    same = np.zeros(idx.size, dtype=bool)
    same[1:] = kid[1:] == kid[:-1]
    # closed gaps: position i-1 -> i of the same track
    start = np.flatnonzero(same[1:] & (t[1:] - t[:-1] >= gap_s[:-1]))
    # open gaps: the last AIS fix of a track, long before the end of the data
    last = np.ones(idx.size, dtype=bool)
    last[:-1] = ~same[1:]
    open_start = np.flatnonzero(last & (data_end - t >= gap_s))
    cand = np.concatenate((start, open_start))
    is_open = np.concatenate((np.zeros(start.size, bool), np.ones(open_start.size, bool)))
    rows = idx[cand]
    shore = ctx.land_mask.distance_to_shore_m(tf.lon[rows], tf.lat[rows])
    keep = shore >= shore_min[cand]
    events = []
    for c, r, op, d in zip(cand[keep], rows[keep], is_open[keep], shore[keep], strict=True):
        k = int(tf.kid[r])
        if op:
            t1, lat1, lon1 = data_end, math.nan, math.nan
        else:
            r1 = idx[c + 1]
            t1, lat1, lon1 = float(tf.t[r1]), float(tf.lat[r1]), float(tf.lon[r1])
        events.append(
            _event(
                ctx,
                int(tf.track_mmsi[k]),
                tf.track_ids[k],
                float(tf.t[r]),
                float(tf.lat[r]),
                float(tf.lon[r]),
                t1,
                lat1,
                lon1,
                float(d),
                bool(op),
                float(gap_s[c]),
                float(shore_min[c]),
            )
        )
    return events


class LiveGap:
    """Per track: the last AIS fix; a heap of silence deadlines to emit open gaps as soon as they qualify."""

    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.last: dict[str, tuple[LiveFix, float, float]] = {}  # key -> (fix, min_gap_s, shore_min_m)
        self.heap: list[tuple[float, float, str]] = []  # (deadline, last_t, key)
        self.armed: set[str] = set()  # tracks with an entry in the heap
        self.open: dict[str, tuple[LiveFix, float, float, float]] = {}  # key -> (fix, shore, gap, shore_min)

    def _shore(self, fix: LiveFix) -> float:
        return float(self.ctx.land_mask.distance_to_shore_m([fix.lon], [fix.lat])[0])

    def observe(self, fix: LiveFix) -> list[Event]:
        if not fix.is_ais:
            return []
        out: list[Event] = []
        prev = self.last.get(fix.key)
        opened = None
        if prev is not None:
            pfix, gap_s, shore_min = prev
            opened = self.open.pop(fix.key, None)
            if fix.t - pfix.t >= gap_s:
                shore = opened[1] if opened is not None else self._shore(pfix)
                if shore >= shore_min:
                    out.append(
                        _event(
                            self.ctx,
                            fix.mmsi,
                            fix.track_id,
                            pfix.t,
                            pfix.lat,
                            pfix.lon,
                            fix.t,
                            fix.lat,
                            fix.lon,
                            shore,
                            False,
                            gap_s,
                            shore_min,
                        )
                    )
        gap_s = self.ctx.param_at(NAME, "min_gap_s", fix.zones)
        shore_min = self.ctx.param_at(NAME, "min_shore_distance_m", fix.zones)
        self.last[fix.key] = (fix, gap_s, shore_min)
        if fix.key not in self.armed:  # one heap entry per track, re-armed lazily when popped
            self.armed.add(fix.key)
            heapq.heappush(self.heap, (fix.t + gap_s, fix.t, fix.key))
        return out

    def _open_event(self, fix: LiveFix, shore: float, gap_s: float, shore_min: float, now_s: float) -> Event:
        """A gap still open at `now_s`: from the track's last fix, no end position yet."""
        nan = math.nan
        return _event(
            self.ctx,
            fix.mmsi,
            fix.track_id,
            fix.t,
            fix.lat,
            fix.lon,
            now_s,
            nan,
            nan,
            shore,
            True,
            gap_s,
            shore_min,
        )

    def advance(self, now_s: float) -> list[Event]:
        """Stream time moved to `now_s`: open the gaps whose silence reached the threshold."""
        out: list[Event] = []
        heap = self.heap
        while heap and heap[0][0] <= now_s:
            _, last_t, key = heapq.heappop(heap)
            fix, gap_s, shore_min = self.last[key]
            if fix.t != last_t:  # the track reported since: re-arm at its new deadline
                heapq.heappush(heap, (fix.t + gap_s, fix.t, key))
                continue
            self.armed.discard(key)  # silent long enough: the next fix re-arms it
            shore = self._shore(fix)
            if shore >= shore_min:
                self.open[key] = (fix, shore, gap_s, shore_min)
                out.append(self._open_event(fix, shore, gap_s, shore_min, now_s))
        return out

    def flush(self, now_s: float) -> list[Event]:
        out = self.advance(now_s)
        emitted = {e.event_id for e in out}
        for fix, shore, gap_s, shore_min in self.open.values():
            event = self._open_event(fix, shore, gap_s, shore_min, now_s)
            if event.event_id not in emitted:
                out.append(event)
        return out
