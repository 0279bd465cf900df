"""Geographic checks of a scenario: ports exist, explicit routes and meeting points are at sea."""

from __future__ import annotations

import numpy as np

from seawatch.errors import ConfigError
from seawatch.sim.geodata import SimGeo, sim_geo
from seawatch.sim.paths import densify, first_land_point
from seawatch.sim.scenario import GoFast, Loiter, Meet, Route, Scenario, SharedMmsi, Transit


def check_scenario_geo(scenario: Scenario, origin: str, geo: SimGeo | None = None) -> None:
    geo = geo or sim_geo()
    for i, ref in enumerate(scenario.traffic.ports):
        _port(geo, ref, f"{origin}: traffic.ports[{i}]")
    for i, beh in enumerate(scenario.behaviours):
        where = f"{origin}: behaviours[{i}]"
        if isinstance(beh, Transit | GoFast):
            check_route(geo, beh.route, f"{where}.route")
        elif isinstance(beh, SharedMmsi):
            for j, route in enumerate(beh.routes):
                check_route(geo, route, f"{where}.routes[{j}]")
        elif isinstance(beh, Meet | Loiter):
            lon, lat = beh.at
            if geo.on_land(np.array([lon]), np.array([lat]))[0]:
                raise ConfigError(f"{where}.at = [{lon}, {lat}]: point is on land")


def _port(geo: SimGeo, ref: str, where: str) -> None:
    try:
        geo.find_port(ref)
    except KeyError:
        raise ConfigError(f"{where} = {ref!r}: no such port in the World Port Index") from None


def check_route(geo: SimGeo, route: Route, where: str) -> None:
    if route.from_port or route.to_port:
        _port(geo, route.from_port or "", f"{where}.from_port")
        _port(geo, route.to_port or "", f"{where}.to_port")
        return
    pts = np.array(route.waypoints, dtype=float)
    for k, (lon, lat) in enumerate(pts):
        if geo.on_land(np.array([lon]), np.array([lat]))[0]:
            raise ConfigError(f"{where}.waypoints[{k}] = [{lon}, {lat}]: point is on land")
    for k in range(len(pts) - 1):
        lon, lat = densify(pts[k : k + 2, 0], pts[k : k + 2, 1], 250.0)
        hit = first_land_point(geo, lon, lat)
        if hit is not None:
            raise ConfigError(
                f"{where}.waypoints[{k}]→[{k + 1}] = {pts[k].tolist()}→{pts[k + 1].tolist()}: "
                f"route crosses land near [{lon[hit]:.4f}, {lat[hit]:.4f}]"
            )
