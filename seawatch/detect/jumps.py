"""Which fixes are position jumps: judged against the track's last good fix, so one outlier is one jump.

A fix is a jump when it lies at least `min_distance_m` from the track's *anchor* (its last fix that was
not a jump) with an implied speed above `min_implied_sog_kn`. So an isolated bad fix (out and back) is
one jump, and the fix after it, judged against the anchor, is a good fix again, with dt, distance and
implied speed measured from the anchor (not from the bad fix), so it stays in the track for every other
detector. A fix consistent with a jump fix just before it (not a jump from it) is good too: the track
really moved, and that move was one jump. Fixes of radar/satellite tracks (not AIS) are judged against
the sensor's measurement error: when both fixes carry their 1-sigma position error (`sigma_m`, for a
radar plot the larger of its range and cross-range error, which grows with range), the distance must
also reach `non_ais_sigma_factor` × the combined error of the two (3.5 sigma) and the speed implied by
the distance beyond that margin must still exceed `min_implied_sog_kn` (a go-fast's noisy plots are no
jump), so plot noise at long range is no jump while a bad plot near the radar is; a fix of unknown error needs
`non_ais_min_distance_m` (5 km: 3.5 sigma of two plots ~1 km off across range at 40 nm). Bulk and live
apply the same rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from seawatch.geo.distance import MS_PER_KN, haversine_1

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class JumpRule:
    min_distance_m: float
    min_implied_sog_kn: float
    non_ais_min_distance_m: float
    non_ais_sigma_factor: float = 3.5

    def is_jump(self, dist_m: float, implied_kn: float, is_ais: bool, error_m: float = math.nan) -> bool:
        """`error_m`: the combined 1-sigma error of the two positions (NaN: unknown)."""
        if is_ais:
            floor = self.min_distance_m
        elif error_m == error_m:
            margin = self.non_ais_sigma_factor * error_m
            if dist_m < max(self.min_distance_m, margin):
                return False
            implied_kn *= 1.0 - margin / dist_m  # the speed the move implies beyond the sensor's error
            floor = self.min_distance_m
        else:
            floor = max(self.min_distance_m, self.non_ais_min_distance_m)
        return dist_m >= floor and implied_kn > self.min_implied_sog_kn

    def naive(self, dist: FloatArray, implied: FloatArray, is_ais: BoolArray, error: FloatArray) -> BoolArray:
        """Jumps from the previous fix (vectorised): a superset of the final jumps' candidates."""
        unknown = max(self.min_distance_m, self.non_ais_min_distance_m)
        with np.errstate(invalid="ignore", divide="ignore"):
            margin = self.non_ais_sigma_factor * error
            known = ~is_ais & ~np.isnan(error)
            sensor = np.where(np.isnan(error), unknown, np.maximum(self.min_distance_m, margin))
            floor = np.where(is_ais, self.min_distance_m, sensor)
            beyond = np.where(known, implied * (1.0 - margin / dist), implied)
            return (dist >= floor) & (beyond > self.min_implied_sog_kn)


def combined_m(a: float, b: float) -> float:
    """The 1-sigma error of the distance between two positions of errors `a` and `b` (NaN: unknown)."""
    return math.sqrt(a * a + b * b)


def measurement_sigma_m(extra: dict[str, Any] | None) -> float:
    """A fix's 1-sigma position error from what its sensor said: the larger of a radar plot's range and
    cross-range errors (`range_sigma_m`, `cross_sigma_m`), else `sigma_m`; NaN when unknown."""
    if not extra:
        return math.nan
    r, c = extra.get("range_sigma_m"), extra.get("cross_sigma_m")
    if r is not None and c is not None:
        return float(max(r, c))
    s = extra.get("sigma_m")
    return math.nan if s is None else float(s)


def sigma_column(frame: pl.DataFrame) -> pl.Expr:
    """`measurement_sigma_m` of each row of a positions frame (NaN when unknown)."""
    cols = frame.columns
    out = pl.lit(None, dtype=pl.Float64)
    if "sigma_m" in cols:
        out = pl.col("sigma_m").cast(pl.Float64)
    if "range_sigma_m" in cols and "cross_sigma_m" in cols:
        r, c = pl.col("range_sigma_m").cast(pl.Float64), pl.col("cross_sigma_m").cast(pl.Float64)
        out = pl.when(r.is_not_null() & c.is_not_null()).then(pl.max_horizontal(r, c)).otherwise(out)
    return out.fill_null(math.nan).alias("sigma_m")


def judge_bulk(
    rule: JumpRule,
    t: FloatArray,
    lat: FloatArray,
    lon: FloatArray,
    dt: FloatArray,
    dist: FloatArray,
    implied: FloatArray,
    is_ais: BoolArray,
    sigma: FloatArray,
) -> BoolArray:
    """Final jump flags of fixes sorted by (track, time); dt/dist/implied of a fix that follows a jump and
    comes back to the anchor are rewritten in place to be measured from the anchor."""
    error = np.full(t.shape, np.nan)
    if t.size > 1:
        error[1:] = np.sqrt(sigma[1:] ** 2 + sigma[:-1] ** 2)  # a track's first fix: dist is NaN anyway
    jump = rule.naive(dist, implied, is_ais, error)
    anchor_of: dict[int, int] = {}
    for r in np.flatnonzero(jump).tolist():
        if not (r > 0 and jump[r - 1] and (r - 1) in anchor_of):
            anchor_of[r] = r - 1  # the previous fix was good: it is the anchor
            continue
        a = anchor_of[r - 1]
        d_a = haversine_1(float(lat[a]), float(lon[a]), float(lat[r]), float(lon[r]))
        dt_a = float(t[r] - t[a])
        imp_a = d_a / dt_a / MS_PER_KN if dt_a > 0 else math.inf
        if rule.is_jump(d_a, imp_a, bool(is_ais[r]), combined_m(float(sigma[a]), float(sigma[r]))):
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
    sigma_m: float = math.nan
    after_jump: bool = False


def judge_live(
    rule: JumpRule, anchor: LiveAnchor, t: float, lat: float, lon: float, dt: float, dist: float,
    implied: float, is_ais: bool, sigma_m: float, prev_sigma_m: float,
) -> tuple[bool, float, float, float]:  # fmt: skip
    """(jump, dt, dist, implied) of a fix given its track's anchor (updated in place); `sigma_m` and
    `prev_sigma_m`: the errors of this fix and of the track's previous one."""
    jump = rule.is_jump(dist, implied, is_ais, combined_m(sigma_m, prev_sigma_m))
    if jump and anchor.after_jump:
        d_a = haversine_1(anchor.lat, anchor.lon, lat, lon)
        dt_a = t - anchor.t
        imp_a = d_a / dt_a / MS_PER_KN if dt_a > 0 else math.inf
        if not rule.is_jump(d_a, imp_a, is_ais, combined_m(anchor.sigma_m, sigma_m)):
            jump, dt, dist, implied = False, dt_a, d_a, imp_a
    anchor.after_jump = jump
    if not jump:
        anchor.t, anchor.lat, anchor.lon, anchor.sigma_m = t, lat, lon, sigma_m
    return jump, dt, dist, implied
