"""Go-fast rule on radar-like speeds: median over a trailing window, dips tolerated, one event per run,
live = bulk (property), and the sensor's reported speed used when there is one."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawatch.detect.context import DetectContext
from tests.detect.realdata import detect_both

START = 1_700_000_000.0


def _track(
    speeds: list[float], dts: list[float], track_id: str = "T000001", lat0: float = 16.0
) -> pl.DataFrame:
    t = START + np.concatenate([[0.0], np.cumsum(dts)])[: len(speeds)]
    # positions follow the true run (~30 kn east), the speeds are the (noisy) reported ones
    lon = -70.0 + (t - START) * 15.4 / 107_000
    return pl.DataFrame(
        {
            "t": t,
            "mmsi": pl.Series([None] * len(t), dtype=pl.Int64),
            "lat": np.full(len(t), lat0),
            "lon": lon,
            "sog_kn": speeds,
            "sensor": ["radar"] * len(t),
            "track_id": [track_id] * len(t),
        }
    )


def test_one_go_fast_with_dips_is_one_event(ctx: DetectContext) -> None:
    rng = np.random.default_rng(3)
    n = 90  # 45 min of 30 s ARPA reports at 28 kn; one report in five reads 20-24 kn (long-range noise)
    speeds = 28.0 + rng.normal(0, 1.0, n)
    speeds[::5] = rng.uniform(20, 24, len(speeds[::5]))
    events = detect_both(_track(speeds.tolist(), [30.0] * n), ctx, types=("speed_anomaly",))
    assert len(events) == 1
    ev = events[0]
    assert ev.details["duration_s"] >= 43 * 60 and ev.details["median_sog_kn"] >= 25
    assert ev.details["qualified_at_s"] - ev.start.timestamp() == 600.0
    assert ev.severity == "alert"


def test_slow_boat_with_fast_blips_is_no_go_fast(ctx: DetectContext) -> None:
    speeds = [8.0, 8.5, 40.0, 8.2, 7.9, 8.1, 45.0, 8.0] * 10  # isolated bad speed reports
    assert detect_both(_track(speeds, [30.0] * 80), ctx, types=("speed_anomaly",)) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    speeds=st.lists(
        st.sampled_from([5.0, 18.0, 24.9, 25.0, 26.5, 31.0, 44.0, float("nan")]), min_size=3, max_size=120
    ),
    dts=st.lists(
        st.sampled_from([2.5, 30.0, 60.0, 120.0, 119.0, 121.0, 301.0, 900.0]), min_size=120, max_size=120
    ),
    tracks=st.integers(1, 3),
)
def test_live_equals_bulk_on_noisy_speeds(
    ctx: DetectContext, speeds: list[float], dts: list[float], tracks: int
) -> None:
    parts = [_track(speeds, dts, f"T{k:06d}", 16.0 + k) for k in range(tracks)]
    detect_both(pl.concat(parts), ctx, types=("speed_anomaly",))
