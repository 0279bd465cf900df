"""Fixtures: the four shipped scenarios simulated once per session (a few seconds each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawatch.sim.engine import SimulationResult, run_simulation
from seawatch.sim.scenario import load_scenario, scenario_names
from seawatch.sim.writers import write_outputs
from tests.shared import require_shared

SHIPPED = ("busy-port", "caribbean-gofast", "dark-fleet", "sts-transfer")


@pytest.fixture(scope="session")
def sim_data() -> None:
    require_shared("natural-earth-marine", "ne_10m_land_caribbean_gulf.geojson.gz")
    require_shared("ports", "nga_wpi_UpdatedPub150.csv.gz")


@pytest.fixture(scope="session")
def shipped_runs(
    sim_data: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[SimulationResult, Path]]:
    assert set(SHIPPED) <= set(scenario_names())
    out = {}
    for name in SHIPPED:
        folder = tmp_path_factory.mktemp(name)
        result = run_simulation(load_scenario(name))
        write_outputs(result, folder)
        out[name] = (result, folder)
    return out
