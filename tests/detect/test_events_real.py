"""Each event type: positive and negative cases built from real tracks (both forms checked equal)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from seawatch.detect.context import DetectContext
from seawatch.detect.watchlist import Watchlist
from seawatch.geo.distance import haversine_m
from seawatch.geo.zones import default_zones, load_zones
from tests.detect.realdata import detect_both, mc_hour, track, us_day

LOITERER = 367564890  # drifting ~180 km off North Carolina for hours
DRIFTER = 367654150  # another slow vessel, 80 km offshore
GO_FAST = 338227734  # ~30 kn in the Chesapeake for 2 h
PR_FERRY = 367685260  # crosses from the US Virgin Islands into BVI waters
PORT_CALLER = 316038973  # enters Port Moody (BC)
PAIR_A, PAIR_B = 941203549, 941203579  # real encounter off Cape Hatteras


def _with(frame: pl.DataFrame, **columns: object) -> pl.DataFrame:
    return frame.with_columns([pl.lit(v).alias(k) for k, v in columns.items()])


def _shift(
    frame: pl.DataFrame, dlat: float = 0.0, dlon: float = 0.0, dt_s: float = 0.0, mmsi: int | None = None
):
    out = frame.with_columns(pl.col("lat") + dlat, pl.col("lon") + dlon, pl.col("t") + dt_s)
    return out if mmsi is None else out.with_columns(pl.lit(mmsi, dtype=pl.Int64).alias("mmsi"))


# --- ais_gap -------------------------------------------------------------------------------------------


def test_gap_cut_into_real_track_is_found(ctx: DetectContext) -> None:
    tr = track(us_day(), LOITERER)
    t0 = float(tr["t"][100])
    cut = tr.filter((pl.col("t") <= t0) | (pl.col("t") >= t0 + 7 * 3600))
    gaps = detect_both(cut, ctx, types=("ais_gap",))
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.start.timestamp() == t0 and gap.details["duration_s"] >= 7 * 3600
    assert not gap.details["open"] and gap.details["shore_distance_m"] >= 18_520
    assert gap.mmsi == (LOITERER,)


def test_shorter_gap_and_near_shore_gap_are_not_events(ctx: DetectContext) -> None:
    tr = track(us_day(), LOITERER)
    t0 = float(tr["t"][100])
    short = tr.filter((pl.col("t") <= t0) | (pl.col("t") >= t0 + 5 * 3600))
    assert detect_both(short, ctx, types=("ais_gap",)) == []
    near = track(us_day(), GO_FAST)  # in the Chesapeake: a 7 h cut starts near shore
    t1 = float(near["t"][40])
    cut = pl.concat([near.filter(pl.col("t") <= t1), _shift(near.filter(pl.col("t") > t1), dt_s=7 * 3600)])
    assert detect_both(cut, ctx, types=("ais_gap",)) == []


# --- encounter / rendezvous ----------------------------------------------------------------------------


def test_real_encounter_off_cape_hatteras(ctx: DetectContext) -> None:
    day = us_day()
    both = pl.concat([track(day, PAIR_A), track(day, PAIR_B)])
    enc = detect_both(both, ctx, types=("encounter",))
    assert len(enc) == 1 and set(enc[0].mmsi) == {PAIR_A, PAIR_B}
    assert enc[0].details["duration_s"] >= 7200 and enc[0].details["median_sog_kn"] < 2
    apart = pl.concat([track(day, PAIR_A), _shift(track(day, PAIR_B), dlat=0.05)])  # 5.5 km north
    assert detect_both(apart, ctx, types=("encounter", "rendezvous")) == []


@pytest.mark.parametrize(
    ("offset_m", "expect"),
    [(150.0, {"encounter", "rendezvous"}), (400.0, {"encounter"}), (800.0, set())],
)
def test_real_drifter_and_shifted_copy(ctx: DetectContext, offset_m: float, expect: set[str]) -> None:
    tr = track(us_day(), DRIFTER)
    copy = _shift(tr, dlat=offset_m / 111_195.0, dt_s=30.0, mmsi=367000001)
    found = {e.type for e in detect_both(pl.concat([tr, copy]), ctx, types=("encounter", "rendezvous"))}
    assert found == expect


# --- loitering -----------------------------------------------------------------------------------------


def test_loitering_far_offshore(ctx: DetectContext) -> None:
    ev = detect_both(track(us_day(), LOITERER), ctx, types=("loitering",))
    assert len(ev) == 1
    assert ev[0].details["duration_s"] >= 4 * 3600 and ev[0].details["median_sog_kn"] < 2
    assert ev[0].details["shore_distance_m"] >= 37_040


def test_no_loitering_for_moving_or_near_shore_vessels(ctx: DetectContext) -> None:
    assert detect_both(track(us_day(), GO_FAST), ctx, types=("loitering",)) == []
    # the same slow drift moved next to the coast of North Carolina (Cape Hatteras, ~5 km out)
    tr = track(us_day(), LOITERER)
    moved = _shift(tr, dlat=35.2 - float(tr["lat"][0]), dlon=-75.45 - float(tr["lon"][0]))
    assert detect_both(moved, ctx, types=("loitering",)) == []


# --- speed_anomaly -------------------------------------------------------------------------------------


def test_go_fast_from_implied_speed(ctx: DetectContext) -> None:
    ev = detect_both(track(us_day(), GO_FAST), ctx, types=("speed_anomaly",))
    assert ev and all(e.details["median_sog_kn"] >= 25 and e.details["duration_s"] >= 600 for e in ev)


def test_go_fast_from_reported_sog_and_exemption() -> None:
    mc = mc_hour()
    ferry = 367098340  # KEY WEST EXPRESS, ship type 60 (passenger), ~32 kn
    pos = mc.positions.filter(pl.col("mmsi") == ferry)
    statics = mc.statics.filter(pl.col("mmsi") == ferry)
    ctx = DetectContext()
    ev = detect_both(pos, ctx, statics, types=("speed_anomaly",))
    assert len(ev) == 1 and ev[0].details["ship_type"] == 60
    hsc = statics.with_columns(pl.lit(40, dtype=pl.Int64).alias("ship_type"))  # declared high-speed craft
    assert detect_both(pos, ctx, hsc, types=("speed_anomaly",)) == []
    slow = track(us_day(), LOITERER)
    assert detect_both(slow, ctx, types=("speed_anomaly",)) == []


# --- position_jump / identity_conflict -----------------------------------------------------------------


def test_position_jump_from_one_displaced_fix(ctx: DetectContext) -> None:
    tr = track(us_day(), LOITERER)
    assert detect_both(tr, ctx, types=("position_jump", "identity_conflict")) == []
    spoofed = tr.with_columns(
        pl.when(pl.int_range(pl.len()) == 200).then(pl.col("lat") + 1.0).otherwise(pl.col("lat"))
    )
    jumps = detect_both(spoofed, ctx, types=("position_jump",))
    assert len(jumps) == 1  # out and back is one outlier: one jump (the fix after it is good again)
    assert all(j.details["implied_sog_kn"] > 60 for j in jumps)
    assert detect_both(spoofed, ctx, types=("identity_conflict",)) == []  # one glitch is not a conflict


def test_two_ships_sharing_one_mmsi(ctx: DetectContext) -> None:
    day = us_day()
    shared = pl.concat([track(day, LOITERER), _shift(track(day, DRIFTER), mmsi=LOITERER)])
    conflicts = detect_both(shared, ctx, types=("identity_conflict",))
    assert conflicts and all(c.details["reason"] == "position_conflict" for c in conflicts)
    assert max(c.details["jumps"] for c in conflicts) >= 3


def test_invalid_mmsi_is_an_identity_conflict(ctx: DetectContext) -> None:
    tr = track(us_day(), LOITERER)
    bad = _shift(tr, mmsi=123456789)
    ev = detect_both(bad, ctx, types=("identity_conflict",))
    assert [e.details["reason"] for e in ev] == ["invalid_mmsi"]
    assert ev[0].details["fixes"] == tr.height


# --- zone_entry / zone_exit ----------------------------------------------------------------------------


def test_zone_crossings_in_the_virgin_islands() -> None:
    ctx = DetectContext(zones=default_zones())
    ev = detect_both(track(us_day(), PR_FERRY), ctx, types=("zone_entry", "zone_exit"))
    entered = {e.details["zone_name"] for e in ev if e.type == "zone_entry"}
    left = {e.details["zone_name"] for e in ev if e.type == "zone_exit"}
    assert "British Virgin Islands territorial waters" in entered
    assert "United States Virgin Islands territorial waters" in left
    assert detect_both(track(us_day(), LOITERER), ctx, types=("zone_entry", "zone_exit")) == []


def test_user_zone_entry_and_exit_times(tmp_path: Path) -> None:
    tr = track(us_day(), GO_FAST)
    lat = tr["lat"].to_numpy()
    mid = float(np.median(lat))
    box = [[-80.0, mid], [-70.0, mid], [-70.0, 45.0], [-80.0, 45.0], [-80.0, mid]]
    path = tmp_path / "z.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "North half", "kind": "custom"},
                        "geometry": {"type": "Polygon", "coordinates": [box]},
                    }
                ],
            }
        )
    )
    ctx = DetectContext(zones=load_zones(path))
    ev = detect_both(tr, ctx, types=("zone_entry", "zone_exit"))
    inside = lat >= mid
    t = tr["t"].to_numpy()
    expect = sorted(
        [("zone_entry", t[i]) for i in range(1, len(t)) if inside[i] and not inside[i - 1]]
        + [("zone_exit", t[i]) for i in range(1, len(t)) if inside[i - 1] and not inside[i]]
    )
    assert expect and sorted((e.type, e.start.timestamp()) for e in ev) == expect


# --- port_visit ----------------------------------------------------------------------------------------


def test_port_visit_real_and_none_offshore(ctx: DetectContext) -> None:
    ev = detect_both(track(us_day(), PORT_CALLER), ctx, types=("port_visit",))
    assert ev and ev[0].details["port_name"] == "Port Moody"
    d = haversine_m(ev[0].lat, ev[0].lon, ev[0].details["port_lat"], ev[0].details["port_lon"])
    assert float(d) <= 3000.0
    assert detect_both(track(us_day(), LOITERER), ctx, types=("port_visit",)) == []


# --- watchlist_hit -------------------------------------------------------------------------------------


def test_watchlist_by_name_callsign_and_mmsi(ctx: DetectContext) -> None:
    mc = mc_hour()
    eagle = 367379190  # EAGLE, call sign WTD4583, IMO 8207721
    pos = mc.positions.filter(pl.col("mmsi") == eagle)
    statics = mc.statics.filter(pl.col("mmsi") == eagle)
    wl = Watchlist.from_text(
        "kind,value,label\nname,Eagle,suspect\ncallsign,wtd4583,\nimo,IMO8207721,\n", "wl"
    )
    hits = detect_both(pos, dataclasses.replace(ctx, watchlist=wl), statics, types=("watchlist_hit",))
    assert len(hits) == 1
    assert {m["kind"] for m in hits[0].details["matches"]} == {"name", "callsign", "imo"}
    by_mmsi = Watchlist.from_text(f"kind,value\nmmsi,{LOITERER}\n", "wl")
    hit = detect_both(
        track(us_day(), LOITERER), dataclasses.replace(ctx, watchlist=by_mmsi), types=("watchlist_hit",)
    )
    assert len(hit) == 1 and hit[0].mmsi == (LOITERER,)
    other = Watchlist.from_text("kind,value\nname,NO SUCH SHIP\nmmsi,111111111\n", "wl")
    assert (
        detect_both(pos, dataclasses.replace(ctx, watchlist=other), statics, types=("watchlist_hit",)) == []
    )


def test_gap_after_an_earlier_near_shore_silence(ctx: DetectContext) -> None:
    """A near-shore silence (no event) must not stop the live form from opening a later offshore gap."""
    near = track(us_day(), GO_FAST).head(30)
    t_near_end = float(near["t"].max())
    off = track(us_day(), LOITERER)
    off = _shift(off, dt_s=t_near_end + 7 * 3600 - float(off["t"][0]), mmsi=GO_FAST).head(50)
    t_last = float(off["t"].max())
    other = track(us_day(), DRIFTER)  # another vessel keeps the stream going 8 h past the silence
    other = _shift(other, dt_s=t_near_end - float(other["t"][0]))
    other = other.filter(pl.col("t") <= t_last + 8 * 3600)
    assert float(other["t"].max()) >= t_last + 6 * 3600
    gaps = detect_both(pl.concat([near, off, other]), ctx, types=("ais_gap",))
    mine = [g for g in gaps if g.mmsi == (GO_FAST,)]
    assert [(g.start.timestamp(), g.details["open"]) for g in mine] == [(t_last, True)]


# --- fixes found by scoring the simulator's scenarios --------------------------------------------------


def test_shared_mmsi_is_one_conflict_and_its_jumps_fold_into_it(ctx: DetectContext) -> None:
    day = us_day()
    shared = pl.concat([track(day, LOITERER), _shift(track(day, DRIFTER), mmsi=LOITERER)])
    ev = detect_both(shared, ctx, types=("identity_conflict", "position_jump"))
    conflicts = [e for e in ev if e.type == "identity_conflict"]
    jumps = [e for e in ev if e.type == "position_jump"]
    assert len(conflicts) == 1 and conflicts[0].details["jumps"] >= 3
    assert len(jumps) < 3  # only jumps before the conflict's first one (more would have opened it)
    assert all(j.start < conflicts[0].start for j in jumps)
    # with identity_conflict disabled, every jump is a position_jump
    off = DetectContext(
        config=ctx.config.merged({"identity_conflict": {"enabled": False}}, "test"),
        ports=ctx.ports,
        land=ctx.land,
    )
    all_jumps = detect_both(shared, off, types=("position_jump",))
    assert len(all_jumps) == conflicts[0].details["jumps"] + len(jumps)


@pytest.mark.parametrize("copy_mmsi", [LOITERER, None])
def test_no_pair_event_with_itself_or_an_unidentified_track(
    ctx: DetectContext, copy_mmsi: int | None
) -> None:
    tr = track(us_day(), DRIFTER)
    copy = _shift(tr, dlat=150.0 / 111_195.0, dt_s=30.0, mmsi=DRIFTER)
    if copy_mmsi is None:  # an unidentified (e.g. radar-only) track 150 m away all day
        copy = copy.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("mmsi"), pl.lit("T000001").alias("track_id")
        )
    both = pl.concat(
        [tr.with_columns(pl.lit(None, dtype=pl.Utf8).alias("track_id")), copy], how="diagonal_relaxed"
    )
    assert detect_both(both, ctx, types=("encounter", "rendezvous")) == []


def test_vessels_moored_side_by_side_in_port_are_no_rendezvous(ctx: DetectContext) -> None:
    tr = track(us_day(), PORT_CALLER)
    both = pl.concat([tr, _shift(tr, dlat=100.0 / 111_195.0, dt_s=20.0, mmsi=367000002)])
    literal = DetectContext(
        config=ctx.config.merged(
            {"rendezvous": {"min_port_distance_m": 0.0, "berth_shore_distance_m": 0.0}}, "test"
        ),
        ports=ctx.ports,
        land=ctx.land,
    )
    in_port = [e for e in detect_both(both, literal, types=("rendezvous",))]
    assert in_port  # the literal definition: side by side in Port Moody for hours
    found = detect_both(both, ctx, types=("rendezvous",))
    assert len(found) < len(in_port) or sum(e.details["bins"] for e in found) < sum(
        e.details["bins"] for e in in_port
    )
    for e in found:
        d, _ = ctx.port_list.nearest([e.lat], [e.lon])
        assert float(d[0]) >= 3000.0
