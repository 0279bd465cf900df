"""One outlier, one event: an isolated bad fix (out and back) is one `position_jump`, the fixes around it
stay in the track for the other detectors; radar plot noise is no jump; a real move is one jump."""

from __future__ import annotations

import numpy as np
import polars as pl

from seawatch.detect.bulk import run_bulk
from seawatch.detect.context import DetectContext
from tests.detect.realdata import detect_both

START = 1_700_000_000.0


def _frame(lat: np.ndarray, lon: np.ndarray, sensor: str = "ais", dt_s: float = 60.0) -> pl.DataFrame:
    n = len(lat)
    radar = sensor != "ais"
    return pl.DataFrame(
        {
            "t": START + dt_s * np.arange(n),
            "mmsi": pl.Series([None if radar else 367000002] * n, dtype=pl.Int64),
            "lat": lat,
            "lon": lon,
            "sog_kn": pl.Series([None if radar else 10.0] * n, dtype=pl.Float64),
            "sensor": [sensor] * n,
            "track_id": pl.Series(["T000009" if radar else None] * n, dtype=pl.Utf8),
        }
    )


def _steady(n: int) -> tuple[np.ndarray, np.ndarray]:
    """10 kn due east at 25 N, one fix a minute."""
    return np.full(n, 25.0), -80.0 + np.arange(n) * 308.7 / 100_900


def test_out_and_back_is_one_jump_and_the_next_fix_stays(ctx: DetectContext) -> None:
    lat, lon = _steady(40)
    lat = lat.copy()
    lat[20] += 0.2  # one fix 22 km north, then back on the track
    events = detect_both(_frame(lat, lon), ctx)
    jumps = [e for e in events if e.type == "position_jump"]
    assert len(jumps) == 1 and jumps[0].lat == lat[20]
    assert jumps[0].start.timestamp() == START + 20 * 60
    tf = run_bulk(_frame(lat, lon), None, ctx).tracks
    assert tf.jump.tolist() == [i == 20 for i in range(40)]  # fix 21 is good again
    assert abs(tf.dist_m[21] - 2 * 308.7) < 5  # measured from fix 19, not from the outlier


def test_a_real_move_is_one_jump(ctx: DetectContext) -> None:
    lat, lon = _steady(40)
    lat = np.where(np.arange(40) >= 20, lat + 0.2, lat)  # e.g. a corrected GPS: moves once, stays
    jumps = [e for e in detect_both(_frame(lat, lon), ctx) if e.type == "position_jump"]
    assert len(jumps) == 1


def test_radar_plot_noise_at_long_range_is_no_jump(ctx: DetectContext) -> None:
    rng = np.random.default_rng(1)
    lat, lon = _steady(60)
    # 30 s ARPA reports, ~1 km cross-range error (0.8 deg at 40 nm): implied speeds far above 60 kn
    noisy_lat = lat + rng.normal(0, 1000 / 111_000, 60)
    events = detect_both(_frame(noisy_lat, lon, sensor="radar", dt_s=30.0), ctx)
    assert [e for e in events if e.type == "position_jump"] == []
    far = noisy_lat.copy()
    far[30] += 0.1  # 11 km off: a real outlier still is one
    jumps = [
        e for e in detect_both(_frame(far, lon, sensor="radar", dt_s=30.0), ctx) if e.type == "position_jump"
    ]
    assert len(jumps) == 1


def _with_error(frame: pl.DataFrame, range_sigma_m: float, cross_sigma_m: np.ndarray) -> pl.DataFrame:
    """Radar plots carrying their sensor's error, as `seawatch detect` reads a configured site's TTM."""
    return frame.with_columns(
        pl.lit(range_sigma_m).alias("range_sigma_m"), pl.Series("cross_sigma_m", cross_sigma_m)
    )


def test_radar_jump_is_judged_against_the_plot_error(ctx: DetectContext) -> None:
    rng = np.random.default_rng(2)
    lat, lon = _steady(60)
    # far out (40 nm): cross-range error 1 km per plot; noise of that size is no jump
    far_noise = lat + rng.normal(0, 1000 / 111_000, 60)
    far = _with_error(_frame(far_noise, lon, sensor="radar", dt_s=30.0), 30.0, np.full(60, 1000.0))
    assert [e for e in detect_both(far, ctx) if e.type == "position_jump"] == []
    # near the radar (3 nm): 30 m error per plot; a plot 2.5 km off is a bad plot, one jump (the fixed
    # 5 km floor for plots of unknown error would have let it through)
    near_lat = lat + rng.normal(0, 30 / 111_000, 60)
    near_lat[30] += 2500 / 111_000
    near = _with_error(_frame(near_lat, lon, sensor="radar", dt_s=30.0), 30.0, np.full(60, 30.0))
    jumps = [e for e in detect_both(near, ctx) if e.type == "position_jump"]
    assert len(jumps) == 1 and jumps[0].start.timestamp() == START + 30 * 30.0
    unknown = _frame(near_lat, lon, sensor="radar", dt_s=30.0)
    assert [e for e in detect_both(unknown, ctx) if e.type == "position_jump"] == []
    # the same plot 2.5 km off at long range is within the error: no jump
    far_bad = far_noise.copy()
    far_bad[30] += 2500 / 111_000
    far_plot = _with_error(_frame(far_bad, lon, sensor="radar", dt_s=30.0), 30.0, np.full(60, 1000.0))
    assert [e for e in detect_both(far_plot, ctx) if e.type == "position_jump"] == []
