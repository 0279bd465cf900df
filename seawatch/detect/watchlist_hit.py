"""`watchlist_hit`: a watched MMSI, IMO, name or call sign is seen.

One event per track: it starts at the first fix at which the match is known (an MMSI match: the
track's first fix; a static match: the first fix at or after the static report naming it), ends at the
track's last fix, and lists every entry matched. Live emits at the first such fix and updates the event
(end, matches) when flushed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.detect.watchlist import Watchlist, parse_imo
from seawatch.model.event import Event
from seawatch.model.observation import AisStatic

NAME = "watchlist_hit"
Match = tuple[str, str, str]


def _event(
    ctx: DetectContext,
    mmsi: int,
    track_id: str | None,
    t0: float,
    lat: float,
    lon: float,
    t1: float,
    matches: set[Match],
) -> Event:
    details: dict[str, Any] = {
        "matches": [{"kind": k, "value": v, "label": lab} for k, v, lab in sorted(matches)]
    }
    return make_event(NAME, [mmsi], t0, t1, lat, lon, details, {}, (track_id,))


def static_matches(wl: Watchlist, statics: pl.DataFrame | None) -> dict[int, tuple[float, set[Match]]]:
    """MMSI -> (time of the first matching static report, -inf if unknown; every entry matched)."""
    out: dict[int, tuple[float, set[Match]]] = {}
    if statics is None or statics.height == 0 or not (wl.imo or wl.name or wl.callsign):
        return out
    cols = statics.columns
    for row in statics.iter_rows(named=True):
        mmsi = row.get("mmsi")
        if mmsi is None:
            continue
        found = wl.static_matches(
            row.get("shipname") if "shipname" in cols else None,
            row.get("callsign") if "callsign" in cols else None,
            parse_imo(row.get("imo")) if "imo" in cols else None,
        )
        if not found:
            continue
        t = row.get("t")
        t = -math.inf if t is None else float(t)
        prev = out.get(int(mmsi))
        out[int(mmsi)] = (t if prev is None else min(prev[0], t), set(found) | (prev[1] if prev else set()))
    return out


def detect_bulk(tf: TrackFrame, ctx: DetectContext, statics: pl.DataFrame | None) -> list[Event]:
    wl = ctx.watchlist
    if not wl or len(tf) == 0:
        return []
    by_static = static_matches(wl, statics)
    firsts = np.flatnonzero(tf.first)
    lasts = np.append(firsts[1:] - 1, len(tf) - 1)
    events = []
    for k, m in enumerate(tf.track_mmsi.tolist()):
        matches: set[Match] = set()
        start_t = math.inf
        if m in wl.mmsi:
            matches.add(("mmsi", str(m), wl.mmsi[m]))
            start_t = -math.inf
        if m in by_static:
            t_s, found = by_static[m]
            matches |= found
            start_t = min(start_t, t_s)
        if not matches:
            continue
        f, la = int(firsts[k]), int(lasts[k])
        r = f + int(np.searchsorted(tf.t[f : la + 1], start_t, side="left"))
        if r > la:
            continue
        events.append(
            _event(
                ctx,
                m,
                tf.track_ids[k],
                float(tf.t[r]),
                float(tf.lat[r]),
                float(tf.lon[r]),
                float(tf.t[la]),
                matches,
            )
        )
    return events


@dataclass(slots=True)
class _Hit:
    fix: LiveFix
    last_t: float
    matches: set[Match] = field(default_factory=set)


class LiveWatchlist:
    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.wl = ctx.watchlist
        self.static: dict[int, set[Match]] = {}
        self.hits: dict[str, _Hit] = {}

    def observe_static(self, static: AisStatic) -> None:
        found = self.wl.static_matches(static.shipname, static.callsign, static.imo)
        if found:
            self.static.setdefault(static.mmsi, set()).update(found)

    def observe(self, fix: LiveFix) -> list[Event]:
        hit = self.hits.get(fix.key)
        if hit is not None:
            hit.last_t = fix.t
            hit.matches |= self.static.get(fix.mmsi, set())
            return []
        matches: set[Match] = set(self.static.get(fix.mmsi, set()))
        if fix.mmsi in self.wl.mmsi:
            matches.add(("mmsi", str(fix.mmsi), self.wl.mmsi[fix.mmsi]))
        if not matches:
            return []
        self.hits[fix.key] = _Hit(fix, fix.t, matches)
        return [_event(self.ctx, fix.mmsi, fix.track_id, fix.t, fix.lat, fix.lon, fix.t, matches)]

    def flush(self) -> list[Event]:
        out = []
        for hit in self.hits.values():
            hit.matches |= self.static.get(hit.fix.mmsi, set())
            f = hit.fix
            out.append(_event(self.ctx, f.mmsi, f.track_id, f.t, f.lat, f.lon, hit.last_t, hit.matches))
        return out
