"""`seawatch detect` over the full real US coastal day: completes, invariants hold, live == bulk."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import polars as pl
import pytest

from seawatch.detect.context import DetectContext
from seawatch.detect.replay import replay_live
from seawatch.geo.distance import haversine_m
from seawatch.geo.ports import load_ports
from seawatch.geo.zones import default_zones
from seawatch.timeutil import parse_utc
from tests.detect.realdata import us_day

Events = list[dict[str, Any]]


def _of(events: Events, kind: str) -> Events:
    return [e for e in events if e["type"] == kind]


def _fixes(day: pl.DataFrame, mmsi: int) -> pl.DataFrame:
    return day.filter(pl.col("mmsi") == mmsi).sort("t").unique("t", keep="first", maintain_order=True)


def test_day_completes_with_plausible_counts(day_cli: tuple[Events, str]) -> None:
    events, summary = day_cli
    counts = Counter(e["type"] for e in events)
    for kind in (
        "ais_gap",
        "encounter",
        "rendezvous",
        "loitering",
        "speed_anomaly",
        "port_visit",
        "position_jump",
        "identity_conflict",
        "zone_entry",
        "zone_exit",
    ):
        assert counts[kind] > 0, kind
    assert counts["encounter"] < counts["rendezvous"] < counts["port_visit"]
    assert "235967 rows" in summary and "events" in summary
    assert all(e["start"] <= e["end"] for e in events)


def test_every_gap_really_has_no_fix_inside(day_cli: tuple[Events, str]) -> None:
    day = us_day()
    gaps = _of(day_cli[0], "ais_gap")
    assert gaps
    for gap in gaps:
        t0, t1 = parse_utc(gap["start"]).timestamp(), parse_utc(gap["end"]).timestamp()
        fx = _fixes(day, gap["mmsi"][0])
        inside = fx.filter((pl.col("t") > t0) & (pl.col("t") < t1))
        assert inside.height == 0, gap
        start = fx.filter(pl.col("t") == t0)
        assert start.height == 1 and abs(start["lat"][0] - gap["lat"]) < 1e-6
        assert t1 - t0 >= 6 * 3600 and gap["details"]["shore_distance_m"] >= 18_520


@pytest.mark.parametrize(("kind", "limit_m"), [("encounter", 500.0), ("rendezvous", 250.0)])
def test_every_pair_event_really_within_distance(
    day_cli: tuple[Events, str], kind: str, limit_m: float
) -> None:
    day = us_day()
    bin_s = 600.0
    for ev in _of(day_cli[0], kind):
        t0, t1 = parse_utc(ev["start"]).timestamp(), parse_utc(ev["end"]).timestamp()
        assert t1 - t0 >= (7200 if kind == "encounter" else 1800)
        last = []
        for m in ev["mmsi"]:
            fx = _fixes(day, m).filter((pl.col("t") >= t0) & (pl.col("t") < t1))
            fx = (
                fx.with_columns((pl.col("t") / bin_s).floor().alias("b"))
                .group_by("b")
                .agg(pl.col("lat").last(), pl.col("lon").last())
            )
            last.append(fx)
        both = last[0].join(last[1], on="b", suffix="_2")
        assert both.height >= ev["details"]["bins"] - 1
        dist = haversine_m(
            both["lat"].to_numpy(), both["lon"].to_numpy(), both["lat_2"].to_numpy(), both["lon_2"].to_numpy()
        )
        # every bin in which both vessels report is within the distance (jump fixes aside: allow none)
        assert float(np.max(dist)) <= limit_m + 1e-6, (ev, float(np.max(dist)))


def test_every_port_visit_within_3_km_of_a_port(day_cli: tuple[Events, str]) -> None:
    ports = load_ports()
    visits = _of(day_cli[0], "port_visit")
    lat = np.array([v["lat"] for v in visits])
    lon = np.array([v["lon"] for v in visits])
    dist, _ = ports.nearest(lat, lon)
    assert visits and float(dist.max()) <= 3000.0 + 1.0  # 1 m for the 6-decimal rounding of lat/lon


def test_live_equals_bulk_on_the_real_day(day_cli: tuple[Events, str]) -> None:
    ctx = DetectContext(zones=default_zones())
    live, counts = replay_live(us_day(), None, ctx)
    bulk = {e["id"]: e for e in day_cli[0]}
    live_by_id = {e.event_id: e.to_json() for e in live}
    assert set(live_by_id) == set(bulk)
    different = [k for k in bulk if bulk[k] != live_by_id[k]]
    assert not different, [(bulk[k], live_by_id[k]) for k in different[:3]]
    assert counts["used"] == 235_944 and counts["duplicate"] == 23
