"""`position_jump`: consecutive positions of one track implying more than `min_implied_sog_kn` (60 kn)
over at least `min_distance_m` (spoofing, bad GPS, or two ships sharing an MMSI).

Event: start = end = the jump fix's time, position = where it jumped to (the bad fix); details give where
from, the time since (`dt_s`), the distance and the implied speed. The jump fix is flagged in the track.
Jumps are judged against the track's last good fix (detect/jumps.py): an out-and-back outlier is one jump.
While identity_conflict is enabled, jumps are decided there (a run of jumps is one identity_conflict,
not many position_jumps; a lone jump is reported once it cannot become part of one): see
seawatch.detect.identity_conflict. This module alone is the form used when identity_conflict is off.
"""

from __future__ import annotations

import numpy as np

from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.model.event import Event

NAME = "position_jump"


def jump_event(
    ctx: DetectContext,
    mmsi: int,
    track_id: str | None,
    t: float,
    lat: float,
    lon: float,
    dt: float,
    dist: float,
    implied: float,
    from_lat: float,
    from_lon: float,
) -> Event:
    details = {
        "from_lat": from_lat,
        "from_lon": from_lon,
        "distance_m": dist,
        "dt_s": dt,
        "implied_sog_kn": implied,
    }
    return make_event(NAME, [mmsi], t, t, lat, lon, details, ctx.params(NAME), (track_id,))


def detect_bulk(tf: TrackFrame, ctx: DetectContext) -> list[Event]:
    rows = np.flatnonzero(tf.jump)
    return [
        jump_event(
            ctx,
            int(tf.track_mmsi[tf.kid[r]]),
            tf.track_ids[tf.kid[r]],
            float(tf.t[r]),
            float(tf.lat[r]),
            float(tf.lon[r]),
            float(tf.dt_s[r]),
            float(tf.dist_m[r]),
            float(tf.implied_kn[r]),
            float(tf.lat[r - 1]),
            float(tf.lon[r - 1]),
        )
        for r in rows
    ]


class LiveJump:
    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.prev: dict[str, tuple[float, float]] = {}

    def observe(self, fix: LiveFix) -> list[Event]:
        prev = self.prev.get(fix.key)
        self.prev[fix.key] = (fix.lat, fix.lon)
        if not fix.jump or prev is None:
            return []
        return [
            jump_event(
                self.ctx,
                fix.mmsi,
                fix.track_id,
                fix.t,
                fix.lat,
                fix.lon,
                fix.dt_s,
                fix.dist_m,
                fix.implied_kn,
                prev[0],
                prev[1],
            )
        ]
