"""`seawatch fuse` end to end on small radar + satellite + AIS CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seawatch.cli import main
from seawatch.fusion.frame import LocalFrame

SENSORS = """
[[radar]]
id = "KIN-1"
talker = "RA"
lat = 17.9
lon = -76.8
range_m = 40000
bearing_sigma_deg = 0.5
range_sigma_m = 30
"""


def _cs(body: str) -> str:
    c = 0
    for ch in body.encode():
        c ^= ch
    return f"{c:02X}"


def _tagged(body: str, station: str, epoch: int) -> str:
    tags = f"s:{station},c:{epoch}"
    return f"\\{tags}*{_cs(tags)}\\${body}*{_cs(body)}"


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    t0 = 1_750_000_000
    lines = []
    for k in range(10):
        rng_nm = 5.0 + k * 3 * 30 / 3600  # 30 kn outbound on 045
        lines.append(_tagged(f"RATTM,01,{rng_nm:.4f},045.0,T,30.0,045.0,T,,,N,,T,,,A", "KIN-1", t0 + 3 * k))
    lines.append(_tagged("RATTM,02,1.0,010.0,T,1.0,10.0,T,,,N,,T,,,A", "XX-9", t0))
    lines.append(_tagged("RATTM,03,1.0,400.0,T,1.0,10.0,T,,,N,,T,,,A", "KIN-1", t0))
    radar = tmp_path / "radar.nmea"
    radar.write_text("\n".join(lines) + "\n")
    sensors = tmp_path / "sites.toml"
    sensors.write_text(SENSORS)
    frame = LocalFrame(17.9, -76.8)
    lat, lon = frame.to_latlon(-20_000.0, 5_000.0)
    sat = tmp_path / "sar.csv"
    sat.write_text(
        "detection_id,scene_id,time,lat,lon,length_m,heading_deg,confidence\n"
        f"d1,sc1,2025-06-15T15:06:40Z,{float(lat):.6f},{float(lon):.6f},22.0,90,0.8\n"
        "d2,sc1,,17.0,-76.0,,,\n"
    )
    return {"radar": radar, "sensors": sensors, "sat": sat}


def test_fuse_writes_states_events_and_rejects(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events, rejects = tmp_path / "ev.jsonl", tmp_path / "rej.jsonl"
    code = main(
        ["fuse", str(inputs["radar"]), str(inputs["sat"]), "--sensors", str(inputs["sensors"]),
         "--events", str(events), "--rejects", str(rejects)]
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    states = [json.loads(x) for x in captured.out.splitlines()]
    assert len(states) == 11
    radar_states = [s for s in states if s["sensor"] == "radar"]
    assert len({s["track_id"] for s in radar_states}) == 1
    last = radar_states[-1]
    assert last["sensors"] == "radar:KIN-1" and last["dark"] is True and last["mmsi"] is None
    assert last["sog_kn"] == pytest.approx(30.0, abs=2.0) and last["cog_deg"] == pytest.approx(45.0, abs=3.0)
    assert last["time"].endswith("Z") and last["target_ref"] == "KIN-1:1"
    evs = [json.loads(x) for x in events.read_text().splitlines()]
    assert sorted(e["details"]["sensor"] for e in evs) == ["radar", "satellite"]
    assert all(e["type"] == "dark_target" and e["mmsi"] == [] and e["track_ids"] for e in evs)
    sat_ev = next(e for e in evs if e["details"]["sensor"] == "satellite")
    assert sat_ev["details"]["length_m"] == 22.0 and sat_ev["details"]["target_refs"] == ["d1"]
    rej = [json.loads(x) for x in rejects.read_text().splitlines()]
    reasons = " | ".join(r["reason"] for r in rej)
    assert len(rej) == 3
    assert "unknown radar site: station 'XX-9'" in reasons
    assert "bearing 400.0 outside 0-360" in reasons and "detection without a time" in reasons
    assert "3 rejected" in captured.err and "2 dark targets" in captured.err


def test_fuse_csv_and_sensors_beside_input(
    inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs["sensors"].rename(inputs["radar"].parent / "sensors.toml")
    assert main(["fuse", str(inputs["radar"]), "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split(",")[:4] == ["track_id", "time", "lat", "lon"]
    assert len(out) == 11


def test_fuse_bad_sensor_file_is_one_line_error(
    inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fuse", str(inputs["radar"]), "--sensors", "/nonexistent/sensors.toml"]) == 1
    err = capsys.readouterr().err
    assert "sensor file not found" in err and len(err.strip().splitlines()) == 1


def test_fuse_config_table_sets_parameters(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "fusion.toml"
    cfg.write_text("[fusion]\ndark_distance_m = 900.0\ninit_m = 2\ninit_n = 3\n")
    events = tmp_path / "ev.jsonl"
    args = ["fuse", str(inputs["radar"]), "--sensors", str(inputs["sensors"]), "--config", str(cfg)]
    assert main([*args, "--events", str(events)]) == 0
    evs = [json.loads(x) for x in events.read_text().splitlines()]
    assert evs and all(e["params"]["dark_distance_m"] == 900.0 for e in evs)
    cfg.write_text("[fusion]\ndark_distance = 900.0\n")
    capsys.readouterr()
    assert main(args) == 1
    assert "unknown fusion setting 'dark_distance'" in capsys.readouterr().err


def test_detect_accepts_radar_and_satellite_and_reports_dark_targets(
    inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.shared import require_shared

    require_shared("ports")
    args = ["detect", str(inputs["radar"]), str(inputs["sat"]), "--sensors", str(inputs["sensors"])]
    assert main([*args, "--no-default-zones"]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    dark = [e for e in events if e["type"] == "dark_target"]
    assert sorted(e["details"]["sensor"] for e in dark) == ["radar", "satellite"]
    assert all(e["mmsi"] == [] and e["track_ids"][0].startswith("T") for e in dark)
