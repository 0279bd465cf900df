"""A zone drawn while the live detector runs: only crossings after the edit are events."""

from __future__ import annotations

import numpy as np
import shapely

from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.model.zone import Zone
from tests.detect.realdata import track, us_day

GO_FAST = 338227734  # ~30 kn in the Chesapeake for 2 h, crossing its median latitude several times


def _north_half(mid_lat: float) -> Zone:
    return Zone("north", "North half", "custom", shapely.box(-80.0, mid_lat, -70.0, 45.0))


def _feed(detector: LiveDetector, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, rows: range) -> list:
    events = []
    for i in rows:
        events += detector.observe_values(float(t[i]), GO_FAST, float(lat[i]), float(lon[i]))
    return [e for e in events if e.type in ("zone_entry", "zone_exit")]


def test_zone_drawn_mid_stream_reports_later_crossings_only(ctx: DetectContext) -> None:
    tr = track(us_day(), GO_FAST)
    t, lat, lon = (tr[c].to_numpy() for c in ("t", "lat", "lon"))
    mid = float(np.median(lat))
    inside = lat >= mid
    # draw the zone while the vessel is already inside it, with crossings still to come
    edit = next(i for i in range(1, len(t) - 1) if inside[i - 1] and (inside[i:] != inside[i - 1]).any())
    detector = LiveDetector(ctx)
    assert _feed(detector, t, lat, lon, range(edit)) == []  # no zones yet

    detector.replace_zones([_north_half(mid)])
    events = _feed(detector, t, lat, lon, range(edit, len(t)))

    expect = [
        ("zone_entry" if inside[i] else "zone_exit", float(t[i]))
        for i in range(edit, len(t))
        if inside[i] != inside[i - 1]
    ]
    assert expect, "the real track must cross the zone after the edit"
    assert expect[0][0] == "zone_exit"  # it was inside when the zone was drawn: no spurious entry
    assert [(e.type, e.start.timestamp()) for e in events] == expect
    assert all(e.details["zone_name"] == "North half" for e in events)


def test_deleting_every_zone_stops_zone_events(ctx: DetectContext) -> None:
    tr = track(us_day(), GO_FAST)
    t, lat, lon = (tr[c].to_numpy() for c in ("t", "lat", "lon"))
    zoned = DetectContext(config=ctx.config, zones=(_north_half(float(np.median(lat))),))
    detector = LiveDetector(zoned)
    half = len(t) // 2
    before = _feed(detector, t, lat, lon, range(half))
    detector.replace_zones([])
    after = _feed(detector, t, lat, lon, range(half, len(t)))
    assert before and after == []
