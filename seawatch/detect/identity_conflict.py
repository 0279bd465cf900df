"""`identity_conflict`: one MMSI reported at two places at once, or an invalid MMSI.

- position conflict: at least `min_jumps` (3) position jumps (see position_jump) by one track, each
  within `window_s` (1 h) of the previous one. Start = the time before the first jump, end = the last
  jump; live emits it at the `min_jumps`-th jump and updates it with each further one.
- invalid MMSI (`check_mmsi`): the track's MMSI has no valid form (see seawatch.detect.mmsi); one event
  per track from its first to its last fix (such tracks get no position-conflict event).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event
from seawatch.detect.mmsi import is_valid_mmsi, valid_mmsi
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.model.event import Event

NAME = "identity_conflict"


def _invalid_event(
    ctx: DetectContext,
    mmsi: int,
    track_id: str | None,
    t0: float,
    t1: float,
    lat: float,
    lon: float,
    fixes: int,
) -> Event:
    details = {"reason": "invalid_mmsi", "fixes": fixes, "duration_s": t1 - t0}
    return make_event(NAME, [mmsi], t0, t1, lat, lon, details, ctx.params(NAME), (track_id,))


def _conflict_event(
    ctx: DetectContext,
    mmsi: int,
    track_id: str | None,
    t0: float,
    t1: float,
    lat: float,
    lon: float,
    jumps: int,
    max_kn: float,
) -> Event:
    details = {
        "reason": "position_conflict",
        "jumps": jumps,
        "max_implied_sog_kn": max_kn,
        "duration_s": t1 - t0,
    }
    return make_event(NAME, [mmsi], t0, t1, lat, lon, details, ctx.params(NAME), (track_id,))


def detect_bulk(tf: TrackFrame, ctx: DetectContext) -> list[Event]:
    cfg = ctx.config.identity_conflict
    events: list[Event] = []
    invalid = np.zeros(tf.n_tracks, dtype=bool)
    if cfg.check_mmsi and tf.n_tracks:
        invalid = (tf.track_mmsi >= 0) & ~valid_mmsi(tf.track_mmsi)
        firsts = np.flatnonzero(tf.first)
        lasts = np.append(firsts[1:] - 1, len(tf) - 1)
        for k in np.flatnonzero(invalid).tolist():
            f, la = firsts[k], lasts[k]
            events.append(
                _invalid_event(
                    ctx,
                    int(tf.track_mmsi[k]),
                    tf.track_ids[k],
                    float(tf.t[f]),
                    float(tf.t[la]),
                    float(tf.lat[f]),
                    float(tf.lon[f]),
                    int(la - f + 1),
                )
            )
    rows = np.flatnonzero(tf.jump & ~invalid[tf.kid])
    if rows.size == 0:
        return events
    kid, t = tf.kid[rows], tf.t[rows]
    new = np.ones(rows.size, dtype=bool)
    new[1:] = (kid[1:] != kid[:-1]) | (t[1:] - t[:-1] > cfg.window_s)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], rows.size)
    for s, e in zip(starts, ends, strict=True):
        if e - s < cfg.min_jumps:
            continue
        r0, r1 = rows[s], rows[e - 1]
        k = int(tf.kid[r0])
        events.append(
            _conflict_event(
                ctx,
                int(tf.track_mmsi[k]),
                tf.track_ids[k],
                float(tf.t[r0] - tf.dt_s[r0]),
                float(tf.t[r1]),
                float(tf.lat[r0]),
                float(tf.lon[r0]),
                int(e - s),
                float(np.max(tf.implied_kn[rows[s:e]])),
            )
        )
    return events


@dataclass(slots=True)
class _Cluster:
    t0: float
    lat: float
    lon: float
    jumps: int
    last_t: float
    max_kn: float


class LiveIdentity:
    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.config.identity_conflict
        self.invalid: dict[str, list[float]] = {}  # key -> [t0, lat, lon, t_last, fixes, mmsi]
        self.checked: set[str] = set()
        self.clusters: dict[str, _Cluster] = {}
        self.track_ids: dict[str, str | None] = {}

    def observe(self, fix: LiveFix) -> list[Event]:
        key = fix.key
        if key in self.invalid:
            entry = self.invalid[key]
            entry[3] = fix.t
            entry[4] += 1
            return []
        if self.cfg.check_mmsi and key not in self.checked and fix.mmsi >= 0:
            self.checked.add(key)
            if not is_valid_mmsi(fix.mmsi):
                self.invalid[key] = [fix.t, fix.lat, fix.lon, fix.t, 1, fix.mmsi]
                self.track_ids[key] = fix.track_id
                return [_invalid_event(self.ctx, fix.mmsi, fix.track_id, fix.t, fix.t, fix.lat, fix.lon, 1)]
        if not fix.jump:
            return []
        c = self.clusters.get(key)
        if c is None or fix.t - c.last_t > self.cfg.window_s:
            c = _Cluster(fix.t - fix.dt_s, fix.lat, fix.lon, 0, fix.t, fix.implied_kn)
            self.clusters[key] = c
        c.jumps += 1
        c.last_t = fix.t
        c.max_kn = max(c.max_kn, fix.implied_kn)
        if c.jumps >= self.cfg.min_jumps:
            return [
                _conflict_event(
                    self.ctx, fix.mmsi, fix.track_id, c.t0, c.last_t, c.lat, c.lon, c.jumps, c.max_kn
                )
            ]
        return []

    def flush(self) -> list[Event]:
        return [
            _invalid_event(self.ctx, int(e[5]), self.track_ids[key], e[0], e[3], e[1], e[2], int(e[4]))
            for key, e in self.invalid.items()
        ]
