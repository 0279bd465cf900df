"""Bad input is handled by definition: flagged and counted, never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from seawatch.detect.bulk import run_bulk
from seawatch.detect.config import DetectConfig
from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.detect.replay import replay_live
from seawatch.errors import ConfigError
from seawatch.model.observation import Observation, SensorKind
from tests.detect.realdata import detect_both, track, us_day

VESSEL = 367564890


def _ids(events: list) -> set[str]:  # type: ignore[type-arg]
    return {e.event_id for e in events}


def test_shuffled_and_duplicated_rows_give_the_same_events(ctx: DetectContext) -> None:
    tr = track(us_day(), VESSEL)
    messy = pl.concat([tr, tr.head(50)]).sample(fraction=1.0, shuffle=True, seed=7)
    clean = run_bulk(tr, None, ctx)
    res = run_bulk(messy, None, ctx)
    assert _ids(res.events) == _ids(clean.events) and res.events
    assert res.counts["duplicate"] == 50 and res.counts["used"] == tr.height


def test_live_counts_out_of_order_and_duplicates(ctx: DetectContext) -> None:
    tr = track(us_day(), VESSEL).head(5)
    det = LiveDetector(ctx)
    rows = list(tr.select("t", "mmsi", "lat", "lon").iter_rows())
    for t, m, la, lo in [rows[0], rows[2], rows[1], rows[2], rows[3]]:
        det.observe_values(t, m, la, lo)
    assert det.counts == {"used": 3, "out_of_order": 1, "duplicate": 1}
    obs = Observation(
        time=datetime.fromtimestamp(rows[4][0], tz=UTC),
        lat=rows[4][2],
        lon=rows[4][3],
        sensor=SensorKind.AIS,
        source="test",
        mmsi=rows[4][1],
    )
    assert det.observe(obs) == [] and det.counts["used"] == 4


def test_flags_for_invalid_positions_times_and_identity(ctx: DetectContext) -> None:
    tr = track(us_day(), VESSEL).head(40)
    now = float(tr["t"].max()) + 60.0
    bad = pl.DataFrame(
        {
            "t": [None, 946684799.0, now + 3600.0, 1593500000.0, 1593500001.0, 1593500002.0, 1593500003.0],
            "mmsi": [VESSEL, VESSEL, VESSEL, VESSEL, VESSEL, None, VESSEL],
            "lat": [30.0, 30.0, 30.0, 0.0, 95.0, 30.0, float("nan")],
            "lon": [-70.0, -70.0, -70.0, 0.0, -70.0, -70.0, -70.0],
        },
        schema={"t": pl.Float64, "mmsi": pl.Int64, "lat": pl.Float64, "lon": pl.Float64},
    )
    frame = pl.concat([tr.select("t", "mmsi", "lat", "lon"), bad])
    context = DetectContext(config=ctx.config, ports=ctx.ports, land=ctx.land, now_s=now)
    res = run_bulk(frame, None, context)
    assert res.counts["used"] == 40
    for name in ("no_time", "before_2000", "future", "null_island", "no_identity"):
        assert res.counts[name] == 1, name
    assert res.counts["invalid_position"] == 2  # latitude 95 and NaN
    assert res.tracks.flagged.height == 7  # kept, with their flags
    live, live_counts = replay_live(frame, None, context)
    assert _ids(live) == _ids(res.events) and live_counts["used"] == 40


def test_single_fix_vessels_and_positions_on_land(ctx: DetectContext) -> None:
    day = us_day()
    singles = day.group_by("mmsi").head(1).head(200)
    res = detect_both(singles, ctx)
    # one fix is enough for a port visit, an invalid MMSI, or a gap still open at the end of the data
    assert res and all(e.type in ("port_visit", "identity_conflict", "ais_gap") for e in res)
    assert all(e.details["open"] for e in res if e.type == "ais_gap")
    tr = track(day, VESSEL).head(120)
    inland = tr.with_columns(  # whole track moved onto land in Kansas: used, never a gap/loitering start
        pl.col("lat") - float(tr["lat"][0]) + 38.5, pl.col("lon") - float(tr["lon"][0]) - 98.0
    )
    cut = inland.filter(
        (pl.col("t") < float(inland["t"][60])) | (pl.col("t") > float(inland["t"][60]) + 7 * 3600)
    )
    events = detect_both(cut, ctx)
    assert not [e for e in events if e.type in ("ais_gap", "loitering")]
    assert ctx.land_mask.is_on_land([inland["lon"][0]], [inland["lat"][0]])[0]


def test_config_errors_name_file_and_problem(tmp_path: Path) -> None:
    cases = {
        "[ais_gap]\nmin_gap_s = 'six hours'\n": (
            r"bad.toml: \[ais_gap\] min_gap_s = 'six hours': expected a number"
        ),
        "[ais_gap]\nmin_gap_s = '16'\n": r"min_gap_s = '16': expected a number \(s\)",
        "[ais_gap]\nmin_gap_s = nan\n": r"min_gap_s = nan: expected a number \(s\), not NaN",
        "[severity]\nport_visit = 'loud'\n": (
            r"\[severity\] port_visit = 'loud': expected one of alert, notice"
        ),
        "[ais_gap]\nmin_gap_hours = 6\n": r"unknown threshold 'min_gap_hours'",
        "[gaps]\nmin_gap_s = 6\n": r"unknown section \[gaps\]",
        "[ais_gap\nmin_gap_s = 6\n": r"bad.toml: invalid TOML: .*line 1",
        "[encounter]\nmax_distance_m = -5\n": r"max_distance_m = -5: expected a non-negative number \(m\)",
        "[tracks]\nearliest_time = 'yesterday'\n": r"earliest_time = 'yesterday': not an ISO 8601 time",
    }
    for text, pattern in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(text)
        with pytest.raises(ConfigError, match=pattern):
            DetectConfig.from_file(path)
    good = tmp_path / "good.toml"
    good.write_text("[ais_gap]\nmin_gap_s = 3600\n[speed_anomaly]\nexempt_ship_types = [35]\n")
    cfg = DetectConfig.from_file(good)
    assert cfg.ais_gap.min_gap_s == 3600.0 and cfg.speed_anomaly.exempt_ship_types == (35,)
    assert cfg.encounter == DetectConfig.defaults().encounter


def test_zone_overrides_are_validated_and_applied(tmp_path: Path, ctx: DetectContext) -> None:
    from seawatch.geo.zones import load_zones

    tr = track(us_day(), VESSEL)
    lat0, lon0 = float(tr["lat"][100]), float(tr["lon"][100])
    box = [
        [lon0 - 1, lat0 - 1],
        [lon0 + 1, lat0 - 1],
        [lon0 + 1, lat0 + 1],
        [lon0 - 1, lat0 + 1],
        [lon0 - 1, lat0 - 1],
    ]

    def zones(overrides: dict) -> list:  # type: ignore[type-arg]
        path = tmp_path / "zones.geojson"
        path.write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"name": "Watch box", "kind": "protected", "overrides": overrides},
                            "geometry": {"type": "Polygon", "coordinates": [box]},
                        }
                    ],
                }
            )
        )
        return load_zones(path)

    with pytest.raises(
        ConfigError, match=r"feature 0 \(Watch box\): overrides for .port_visit.: no per-zone thresholds"
    ):
        DetectContext(zones=zones({"port_visit": {"entry_distance_m": 1}}))
    with pytest.raises(ConfigError, match=r"ais_gap\.min_gap_s = '1h': expected a number"):
        DetectContext(zones=zones({"ais_gap": {"min_gap_s": "1h"}}))
    t0 = float(tr["t"][100])
    cut = tr.filter((pl.col("t") <= t0) | (pl.col("t") >= t0 + 2 * 3600))  # a 2 h gap inside the box
    plain = DetectContext(config=ctx.config, ports=ctx.ports, land=ctx.land, zones=zones({}))
    assert detect_both(cut, plain, types=("ais_gap",)) == []
    strict = DetectContext(
        config=ctx.config, ports=ctx.ports, land=ctx.land, zones=zones({"ais_gap": {"min_gap_s": 3600}})
    )
    gaps = detect_both(cut, strict, types=("ais_gap",))
    assert len(gaps) == 1 and gaps[0].params["min_gap_s"] == 3600.0
