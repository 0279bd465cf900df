"""Property: on any time-ordered mix of real tracks (cut, shifted, merged), live and bulk agree."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawatch.detect.context import DetectContext
from seawatch.geo.zones import default_zones
from tests.detect.realdata import detect_both, us_day

VESSELS = (367564890, 367654150, 338227734, 941203549, 941203579, 316038973, 367685260, 367501050)


@st.composite
def scenarios(draw: st.DrawFn) -> pl.DataFrame:
    day = us_day()
    parts = []
    for n in range(draw(st.integers(1, 4))):
        mmsi = draw(st.sampled_from(VESSELS))
        tr = day.filter(pl.col("mmsi") == mmsi).sort("t")
        start = draw(st.integers(0, max(tr.height - 20, 0)))
        tr = tr.slice(start, draw(st.integers(5, 400)))
        cut_at = draw(st.floats(0.0, 1.0))
        cut_s = draw(st.sampled_from([0.0, 3 * 3600.0, 7 * 3600.0]))
        t_cut = float(tr["t"].min()) + cut_at * float(tr["t"].max() - tr["t"].min())
        tr = tr.with_columns(pl.when(pl.col("t") > t_cut).then(pl.col("t") + cut_s).otherwise(pl.col("t")))
        tr = tr.with_columns(
            pl.col("lat") + draw(st.sampled_from([0.0, 0.001, 0.003, 0.5])),
            pl.col("t") + draw(st.sampled_from([0.0, 30.0, 3600.0])),
            pl.lit(draw(st.sampled_from([mmsi, 367000000 + n, 123456789])), dtype=pl.Int64).alias("mmsi"),
        )
        parts.append(tr)
    return pl.concat(parts)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=scenarios())
def test_live_equals_bulk_on_mixed_real_tracks(ctx: DetectContext, frame: pl.DataFrame) -> None:
    zoned = DetectContext(config=ctx.config, ports=ctx.ports, land=ctx.land, zones=default_zones())
    detect_both(frame, zoned)  # asserts equality of every event (ids and fields)
