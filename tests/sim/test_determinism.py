"""Same seed → byte-identical files; another seed → different files."""

from __future__ import annotations

from pathlib import Path

from seawatch.sim.engine import run_simulation
from seawatch.sim.scenario import load_scenario
from seawatch.sim.writers import write_outputs

SMALL = """
name = "small"
start = 2026-06-30T00:00:00Z
duration_h = 3.0
seed = 5
area = [-70.5, 11.5, -67.5, 13.5]
[ais]
garbage_lines = 3
[[ais.receivers]]
id = "CW"
lat = 12.33
lon = -69.13
range_m = 90000
[[radars]]
id = "CW-R"
lat = 12.33
lon = -69.13
range_m = 50000
clutter_per_scan = 0.2
[[sar_passes]]
scene_id = "SCENE-1"
start_h = 1.5
area = [-69.6, 12.4, -68.6, 13.0]
[traffic]
vessels = 8
moored = 2
anchored = 1
ports = ["Willemstad", "Bullen Baai", "Kralendijk", "Sint Nicolaas Baai"]
[[behaviours]]
kind = "go_fast"
id = "gf"
start_h = 0.5
route.waypoints = [[-69.3, 12.9], [-68.9, 12.5]]
[[behaviours]]
kind = "loiter"
id = "lo"
at = [-68.9, 12.8]
start_h = 0.5
duration_h = 1.0
approach_nm = 10
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _simulate(tmp_path: Path, name: str, seed: int | None) -> dict[str, bytes]:
    src = tmp_path / "small.toml"
    src.write_text(SMALL, encoding="utf-8")
    out = tmp_path / name
    write_outputs(run_simulation(load_scenario(src), seed), out)
    return _files(out)


def test_same_seed_is_byte_identical(sim_data: None, tmp_path: Path) -> None:
    first = _simulate(tmp_path, "a", None)
    second = _simulate(tmp_path, "b", None)
    assert {"ais.nmea", "radar.nmea", "sar_detections.csv", "truth.jsonl", "states.parquet"} <= set(first)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name
    assert first["ais.nmea"] and first["radar.nmea"]


def test_other_seed_differs(sim_data: None, tmp_path: Path) -> None:
    first = _simulate(tmp_path, "a", 5)
    other = _simulate(tmp_path, "c", 6)
    assert first["ais.nmea"] != other["ais.nmea"]
    assert first["radar.nmea"] != other["radar.nmea"]
    assert first["states.parquet"] != other["states.parquet"]
