"""Run a scenario: vessels → sensors → ground truth, all from one seed (independent streams per part)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from seawatch.model.event import Event
from seawatch.sim.ais import AisResult, LineBatch, simulate_ais
from seawatch.sim.contacts import with_first_contacts
from seawatch.sim.geodata import SimGeo, sim_geo
from seawatch.sim.grid import StateGrid, state_grid
from seawatch.sim.radar import simulate_radars
from seawatch.sim.sar import simulate_sar
from seawatch.sim.scenario import Scenario
from seawatch.sim.traffic import build_vessels, rng_for
from seawatch.sim.truth import compute_truth
from seawatch.sim.vessel import SimVessel

log = logging.getLogger(__name__)


@dataclass
class SimulationResult:
    scenario: Scenario
    seed: int
    vessels: list[SimVessel]
    ais: AisResult
    radar: LineBatch
    radar_contacts: pl.DataFrame
    sar: pl.DataFrame
    grid: StateGrid
    truth: list[Event]

    def ais_lines(self) -> tuple[np.ndarray, list[str]]:
        return self.ais.batch.merged()

    def radar_lines(self) -> tuple[np.ndarray, list[str]]:
        return self.radar.merged()


def run_simulation(
    scenario: Scenario, seed: int | None = None, geo: SimGeo | None = None, with_truth: bool = True
) -> SimulationResult:
    geo = geo or sim_geo()
    seed = scenario.seed if seed is None else seed
    vessels = build_vessels(scenario, geo, seed)
    log.info("scenario %s: %d vessels", scenario.name, len(vessels))
    ais = simulate_ais(scenario, vessels, geo, rng_for(seed, 4))
    radar, contacts = simulate_radars(scenario, vessels, geo, rng_for(seed, 5))
    sar = simulate_sar(scenario, vessels, geo, rng_for(seed, 6))
    grid = state_grid(vessels, scenario.start_epoch_s, scenario.end_epoch_s)
    truth = compute_truth(scenario, grid, ais.received, contacts, sar, geo) if with_truth else []
    truth = with_first_contacts(truth, [ais.received, contacts, sar])
    return SimulationResult(
        scenario=scenario,
        seed=seed,
        vessels=vessels,
        ais=ais,
        radar=radar,
        radar_contacts=contacts,
        sar=sar,
        grid=grid,
        truth=truth,
    )
