"""Assets: validation of impossible values, readiness in force at a time, the readiness board, fleet files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from seawatch.errors import ConfigError
from seawatch.ops.assets import AssetConfig, Readiness, readiness_board
from seawatch.ops.fleetfile import load_assets
from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.planning import plan_fleet
from seawatch.ops.pursuit import TargetState

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
TOMORROW = (NOW + timedelta(days=1)).date()


def boat(asset_id: str, **kw: object) -> AssetConfig:
    base = {
        "id": asset_id,
        "name": f"Patrol {asset_id}",
        "kind": "boat",
        "home_base": "Christiansted",
        "base_lat": 17.82,
        "base_lon": -64.75,
        "max_speed_kn": 40.0,
        "cruise_speed_kn": 25.0,
        "endurance_h": 8.0,
        "fuel_range_nm": 200.0,
        "crew": 4,
    }
    return AssetConfig.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_speed_kn": 120.0}, "impossible for a boat"),
        ({"max_speed_kn": 0.0}, "greater than 0"),
        ({"cruise_speed_kn": 50.0}, "cruise_speed_kn"),
        ({"endurance_h": -1.0}, "greater than 0"),
        ({"fuel_range_nm": 5000.0}, "fuel_range_nm"),
        ({"readiness": {"state": "maintenance"}}, "until"),
        ({"readiness": {"state": "standby"}}, "notice_h"),
        ({"id": "bad id!"}, "pattern"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_impossible_assets_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        boat("b1", **change)


def test_maintenance_until_tomorrow_never_proposed_today_but_ready_on_tomorrows_board() -> None:
    down = boat("down", readiness={"state": "maintenance", "until": TOMORROW.isoformat(), "reason": "engine"})
    up = boat("up")
    standby = boat("stby", readiness={"state": "standby", "notice_h": 2})
    assert down.readiness.until == datetime.combine(TOMORROW, datetime.min.time(), tzinfo=UTC)
    planner = InterceptPlanner()
    target = TargetState(lat=17.95, lon=-64.6, cog_deg=90.0, sog_kn=10.0, time=NOW)
    for hours in (0, 6, 17):  # all through today
        when = NOW + timedelta(hours=hours)
        plans = {p.asset: p for p in plan_fleet(planner, target, [down, up, standby], when)}
        assert not plans["down"].reachable and "maintenance" in plans["down"].reason
        assert plans["up"].reachable
    # tomorrow it is back and proposed
    plans = {p.asset: p for p in plan_fleet(planner, target, [down, up], NOW + timedelta(days=1))}
    assert plans["down"].reachable
    board = readiness_board([down, up, standby], NOW)
    assert board["now"] == {"boat": 2}
    assert board["days"][0] == {"date": TOMORROW.isoformat(), "available": {"boat": 3}}
    assert len(board["days"]) == 7


def test_standby_notice_delays_the_eta() -> None:
    planner = InterceptPlanner()
    target = TargetState(lat=17.95, lon=-64.6, cog_deg=90.0, sog_kn=10.0, time=NOW)
    ready, standby = boat("r"), boat("s", readiness={"state": "standby", "notice_h": 1.0})
    plans = {p.asset: p for p in plan_fleet(planner, target, [ready, standby], NOW)}
    assert plans["s"].eta_s is not None and plans["r"].eta_s is not None
    assert plans["s"].eta_s > plans["r"].eta_s + 3600.0


def test_readiness_on_task_is_not_available() -> None:
    r = Readiness(state="on_task", task="T000001")
    assert not r.available_at(NOW)


def test_fleet_file_errors_name_the_asset_and_field(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(
        '[[assets]]\nid = "pb1"\nname = "x"\nbase_lat = 17.8\nbase_lon = -64.7\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="asset pb1: max_speed_kn"):
        load_assets(path)
    path.write_text("[[assets]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_assets(path)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seawatch", "intercept", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_prints_one_object_per_asset_best_first(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.json"
    assets = [
        boat("near", base_lat=17.9, base_lon=-64.65).model_dump(mode="json"),
        boat("far", base_lat=17.3, base_lon=-64.9, max_speed_kn=30.0).model_dump(mode="json"),
        boat("down", readiness={"state": "maintenance", "until": "2030-01-01", "reason": "hull"}).model_dump(
            mode="json"
        ),
    ]
    fleet.write_text(json.dumps({"assets": assets}), encoding="utf-8")
    run = _cli("--assets", str(fleet), "--target", "17.95,-64.6,90,10", "--time", "2026-12-07T06:00:00Z")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["asset"] for r in rows] == ["near", "far", "down"]
    for key in ("asset", "reachable", "eta_s", "lat", "lon", "route_nm", "fuel_ok", "route"):
        assert key in rows[0]
    assert rows[0]["reachable"] and rows[0]["eta_s"] < rows[1]["eta_s"]
    assert not rows[2]["reachable"] and "hull" in rows[2]["reason"]
    assert rows[0]["search_radius_nm"] == 0.0 and rows[0]["eta_worst_s"] == rows[0]["eta_s"]


def test_cli_target_sigma_gives_a_search_radius_and_a_conservative_eta() -> None:
    args = ("--asset", "a,17.9,-64.65,35", "--target", "17.95,-64.6,90,10", "--time", "2026-12-07T06:00:00Z")
    sure = json.loads(_cli(*args).stdout)
    vague = json.loads(_cli(*args, "--target-sigma", "500,1.5").stdout)
    assert vague["eta_s"] == sure["eta_s"]  # the same predicted meeting ...
    assert vague["eta_worst_s"] > vague["eta_s"]  # ... but sure of it only later
    t_h = vague["eta_s"] / 3600.0
    one_sigma = ((500 / 1852.0) ** 2 + (1.5 * 3600 / 1852.0 * t_h) ** 2) ** 0.5
    assert vague["uncertainty_nm"] == pytest.approx(one_sigma, abs=1e-3)
    assert vague["search_radius_nm"] == pytest.approx(2.4477 * one_sigma, abs=2e-3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--asset", "a,17.8,-64.7,30", "--target", "17.73,-64.75,0,5"), "on land"),
        (("--asset", "a,17.8,-64.7,900", "--target", "17.95,-64.6,0,5"), "impossible"),
        (("--asset", "a,17.8", "--target", "17.95,-64.6,0,5"), "expected 3"),
        (("--asset", "a,17.8,-64.7,30", "--target", "17.95,-64.6,0,5", "--time", "yesterday"), "ISO"),
        (("--assets", "/nonexistent/fleet.toml", "--target", "17.95,-64.6,0,5"), "cannot read"),
        (
            ("--asset", "a,17.8,-64.7,30", "--target", "17.95,-64.6,0,5", "--target-sigma=-5,1"),
            "0 <= POS_M",
        ),
        (("--asset", "a,17.8,-64.7,30", "--target", "17.95,-64.6,0,5", "--target-sigma", "50"), "expected 2"),
    ],
)
def test_cli_bad_input_is_one_line(args: tuple[str, ...], message: str) -> None:
    run = _cli(*args)
    assert run.returncode == 1
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], run.stderr
