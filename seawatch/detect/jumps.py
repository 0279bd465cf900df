"""Which fixes are position jumps: judged against the track's last good fix, so one outlier is one jump.

A fix is a jump when it lies at least `min_distance_m` from the track's *anchor* (its last fix that was
not a jump) with an implied speed above `min_implied_sog_kn`. So an isolated bad fix (out and back) is
one jump, and the fix after it, judged against the anchor, is a good fix again, with dt, distance and
implied speed measured from the anchor (not from the bad fix), so it stays in the track for every other
detector. A fix consistent with a jump fix just before it (not a jump from it) is good too: the track
really moved, and that move was one jump. Fixes of radar/satellite tracks (not AIS) are measured with
the sensor's error: their distance must also reach `non_ais_min_distance_m` (5 km: 3.5 sigma of the
distance between two plots each ~1 km off across range at 40 nm), so plot noise is no jump. Bulk and
live apply the same rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seawatch.geo.distance import MS_PER_KN, haversine_1

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class JumpRule:
    min_distance_m: float
    min_implied_sog_kn: float
    non_ais_min_distance_m: float

    def is_jump(self, dist_m: float, implied_kn: float, is_ais: bool) -> bool:
        floor = self.min_distance_m if is_ais else max(self.min_distance_m, self.non_ais_min_distance_m)
        return dist_m >= floor and implied_kn > self.min_implied_sog_kn

    def naive(self, dist: FloatArray, implied: FloatArray, is_ais: BoolArray) -> BoolArray:
        """Jumps from the previous fix (vectorised): a superset of the final jumps' candidates."""
        floor = np.where(is_ais, self.min_distance_m, max(self.min_distance_m, self.non_ais_min_distance_m))
        with np.errstate(invalid="ignore"):
            return (dist >= floor) & (implied > self.min_implied_sog_kn)


def judge_bulk(
    rule: JumpRule,
    t: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    dt: FloatArray,
    dist: FloatArray,
    implied: FloatArray,
    is_ais: BoolArray,
) -> BoolArray:
    """Final jump flags of fixes sorted by (track, time); dt/dist/implied of a fix that follows a jump and
    comes back to the anchor are rewritten in place to be measured from the anchor."""
    jump = rule.naive(dist, implied, is_ais)
    anchor_of: dict[int, int] = {}
    for r in np.flatnonzero(jump).tolist():
        if not (r > 0 and jump[r - 1] and (r - 1) in anchor_of):
            anchor_of[r] = r - 1  # the previous fix was good: it is the anchor
            continue
        a = anchor_of[r - 1]
        d_a = haversine_1(float(lat[a]), float(lon[a]), float(lat[r]), float(lon[r]))
        dt_a = float(t[r] - t[a])
        imp_a = d_a / dt_a / MS_PER_KN if dt_a > 0 else math.inf
        if rule.is_jump(d_a, imp_a, bool(is_ais[r])):
            anchor_of[r] = a  # still away from the anchor: another jump (e.g. a second ship on one MMSI)
        else:
            jump[r] = False  # back at the anchor: the fix before was the one outlier
            dt[r], dist[r], implied[r] = dt_a, d_a, imp_a
    return jump


@dataclass(slots=True)
class LiveAnchor:
    """The live form's per-track state: the last good fix, and whether the last fix was a jump."""

    t: float
    lat: float
    lon: float
    after_jump: bool = False


def judge_live(
    rule: JumpRule, anchor: LiveAnchor, t: float, lat: float, lon: float, dt: float, dist: float,
    implied: float, is_ais: bool,
) -> tuple[bool, float, float, float]:  # fmt: skip
    """(jump, dt, dist, implied) of a fix given its track's anchor (updated in place)."""
    jump = rule.is_jump(dist, implied, is_ais)
    if jump and anchor.after_jump:
        d_a = haversine_1(anchor.lat, anchor.lon, lat, lon)
        dt_a = t - anchor.t
        imp_a = d_a / dt_a / MS_PER_KN if dt_a > 0 else math.inf
        if not rule.is_jump(d_a, imp_a, is_ais):
            jump, dt, dist, implied = False, dt_a, d_a, imp_a
    anchor.after_jump = jump
    if not jump:
        anchor.t, anchor.lat, anchor.lon = t, lat, lon
    return jump, dt, dist, implied
