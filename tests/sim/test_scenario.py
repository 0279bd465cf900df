"""Scenario files: shipped ones load; bad ones fail with the key and value named."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from seawatch.errors import ConfigError
from seawatch.sim.scenario import load_scenario, parse_scenario, scenario_names

BASE = """
name = "tiny"
start = 2026-06-30T00:00:00Z
duration_h = 2.0
area = [-70.5, 11.5, -68.0, 13.5]
[traffic]
vessels = 2
ports = ["Willemstad", "Kralendijk"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_scenarios_load(sim_data: None) -> None:
    names = scenario_names()
    assert {"caribbean-gofast", "sts-transfer", "dark-fleet", "busy-port"} <= set(names)
    for name in names:
        sc = load_scenario(name)
        assert sc.name == name
        assert 0 < sc.duration_h <= 24


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + "colour = 'red'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'traffic.colour'"):
        load_scenario(path, check_geo=False)


def test_unknown_nested_key_in_behaviour(tmp_path: Path) -> None:
    text = BASE.replace(
        "[traffic]",
        """[[behaviours]]
kind = "go_fast"
id = "g"
speedd_kn = 40
route.waypoints = [[-69.5, 12.6], [-69.4, 12.7]]
[traffic]""",
    )
    with pytest.raises(ConfigError, match=r"unknown key 'behaviours\[0\].speedd_kn'"):
        load_scenario(_write(tmp_path, text), check_geo=False)


def test_negative_speed_names_key_and_value(tmp_path: Path) -> None:
    text = BASE.replace(
        "[traffic]",
        """[[behaviours]]
kind = "transit"
id = "t"
speed_kn = -5
route.waypoints = [[-69.5, 12.6], [-69.4, 12.7]]
[traffic]""",
    )
    with pytest.raises(ConfigError, match=r"behaviours\[0\]\.speed_kn = -5"):
        load_scenario(_write(tmp_path, text), check_geo=False)


def test_route_over_land_is_rejected(sim_data: None, tmp_path: Path) -> None:
    # straight across Curaçao
    text = BASE.replace(
        "[traffic]",
        """[[behaviours]]
kind = "go_fast"
id = "g"
route.waypoints = [[-69.05, 12.45], [-68.85, 11.95]]
[traffic]""",
    )
    with pytest.raises(ConfigError, match=r"behaviours\[0\]\.route\.waypoints\[0\]→\[1\].*crosses land"):
        load_scenario(_write(tmp_path, text))


def test_waypoint_on_land_is_rejected(sim_data: None, tmp_path: Path) -> None:
    text = BASE.replace(
        "[traffic]",
        """[[behaviours]]
kind = "go_fast"
id = "g"
route.waypoints = [[-68.9, 12.15], [-68.85, 12.6]]
[traffic]""",
    )
    with pytest.raises(ConfigError, match=r"waypoints\[0\] = \[-68.9, 12.15\]: point is on land"):
        load_scenario(_write(tmp_path, text))


def test_nonexistent_port(sim_data: None, tmp_path: Path) -> None:
    text = BASE.replace('ports = ["Willemstad", "Kralendijk"]', 'ports = ["Willemstad", "Atlantis"]')
    with pytest.raises(ConfigError, match=r"traffic\.ports\[1\] = 'Atlantis': no such port"):
        load_scenario(_write(tmp_path, text))


def test_nonexistent_port_in_route(sim_data: None, tmp_path: Path) -> None:
    text = BASE.replace(
        "[traffic]",
        """[[behaviours]]
kind = "transit"
id = "t"
speed_kn = 10
route = { from_port = "Willemstad", to_port = "Nowhere Harbour" }
[traffic]""",
    )
    with pytest.raises(ConfigError, match=r"route\.to_port = 'Nowhere Harbour'"):
        load_scenario(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"duration_h": 0}, r"duration_h = 0"),
        ({"area": [-60, 10, -70, 12]}, r"area = "),
        ({"traffic": {"vessels": -1}}, r"traffic\.vessels = -1"),
        ({"traffic": {"mix": {"submarine": 1.0}}}, r"unknown ship category 'submarine'"),
        (
            {"radars": [{"id": "R", "lat": 12, "lon": -69, "detection_probability": 1.5}]},
            r"radars\[0\]\.detection_probability = 1\.5",
        ),
    ],
)
def test_impossible_values(patch: dict[str, Any], expected: str) -> None:
    data = tomllib.loads(BASE)
    data.update(patch)
    with pytest.raises(ConfigError, match=expected):
        parse_scenario(data, "test")


def test_unknown_scenario_name() -> None:
    with pytest.raises(ConfigError, match="unknown scenario 'nope'"):
        load_scenario("nope")


def test_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(_write(tmp_path, "name = [unclosed"))
