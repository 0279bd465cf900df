"""`zone_entry` / `zone_exit`: a track crosses into / out of a zone polygon.

Judged between consecutive non-jump fixes of a track: inside now and not before is an entry, the
reverse an exit (boundary counts as inside). The first fix of a track enters nothing (its past is
unknown). Event time = the fix after the crossing; position = that fix; details name the zone and give
the previous fix's time. One event per zone, so entering nested zones at once gives several events.
"""

from __future__ import annotations

import numpy as np

from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.model.event import Event


def _event(
    ctx: DetectContext,
    kind: str,
    zone: int,
    mmsi: int,
    track_id: str | None,
    t: float,
    lat: float,
    lon: float,
    prev_t: float,
) -> Event:
    z = ctx.zones[zone]
    details = {"zone_id": z.zone_id, "zone_name": z.name, "zone_kind": z.kind, "previous_fix_time_s": prev_t}
    return make_event(kind, [mmsi], t, t, lat, lon, details, {}, (track_id,))


def detect_bulk(tf: TrackFrame, ctx: DetectContext) -> list[Event]:
    if tf.membership is None or not ctx.zones:
        return []
    idx = np.flatnonzero(~tf.jump)
    if idx.size < 2:
        return []
    kid = tf.kid[idx]
    # only transitions where this fix or the previous one is inside some zone can cross a boundary;
    # only fixes inside the zones' box can be: most rows of the (fixes × zones) matrix are never read
    boxed = np.flatnonzero(ctx.zone_index.in_zones_box(tf.lon, tf.lat))
    inside = np.zeros(len(tf), dtype=bool)
    inside[boxed] = tf.membership[boxed].any(axis=1)
    inside_any = inside[idx]
    pos = np.flatnonzero((inside_any[1:] | inside_any[:-1]) & (kid[1:] == kid[:-1]))
    now, before = tf.membership[idx[pos + 1]], tf.membership[idx[pos]]
    events = []
    for kind, mask in (("zone_entry", now & ~before), ("zone_exit", ~now & before)):
        rows, zones = np.nonzero(mask)
        for i, z in zip(pos[rows].tolist(), zones.tolist(), strict=True):
            r = int(idx[i + 1])
            k = int(tf.kid[r])
            events.append(
                _event(
                    ctx,
                    kind,
                    z,
                    int(tf.track_mmsi[k]),
                    tf.track_ids[k],
                    float(tf.t[r]),
                    float(tf.lat[r]),
                    float(tf.lon[r]),
                    float(tf.t[idx[i]]),
                )
            )
    return events


class LiveZones:
    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        # per track: zones of its last non-jump fix, that fix's time and position (lon, lat)
        self.last: dict[str, tuple[frozenset[int], float, float, float]] = {}

    def observe(self, fix: LiveFix) -> list[Event]:
        if fix.jump:
            return []
        prev = self.last.get(fix.key)
        self.last[fix.key] = (fix.zones, fix.t, fix.lon, fix.lat)
        if prev is None or prev[0] == fix.zones:
            return []
        zones, prev_t = prev[0], prev[1]
        out = [
            _event(self.ctx, "zone_entry", z, fix.mmsi, fix.track_id, fix.t, fix.lat, fix.lon, prev_t)
            for z in sorted(fix.zones - zones)
        ]
        out += [
            _event(self.ctx, "zone_exit", z, fix.mmsi, fix.track_id, fix.t, fix.lat, fix.lon, prev_t)
            for z in sorted(zones - fix.zones)
        ]
        return out

    def rezone(self, ctx: DetectContext) -> None:
        """Switch to `ctx`'s zones: each track's membership is recomputed at its last position.

        A vessel already inside a zone drawn around it is therefore not reported as entering it, and
        a deleted zone is left without an exit: only crossings after the edit are events.
        """
        index = ctx.zone_index if ctx.zones else None
        self.ctx = ctx
        self.last = {
            key: (index.zones_at(lon, lat) if index is not None else frozenset(), t, lon, lat)
            for key, (_, t, lon, lat) in self.last.items()
        }
