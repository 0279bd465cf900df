"""Background traffic of a scenario: transits on searoute lanes between real ports, fishing trips,
moored and anchored vessels (the injected behaviours are `traffic.py`'s)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from seawatch.errors import ConfigError
from seawatch.sim.fleet import CATEGORIES, Identity, IdentityFactory
from seawatch.sim.geodata import Port, SimGeo, destination, haversine_m
from seawatch.sim.paths import densify, first_land_point, port_path
from seawatch.sim.scenario import Scenario
from seawatch.sim.vessel import AT_ANCHOR, MOORED, SimVessel, TrajectoryBuilder

log = logging.getLogger(__name__)

PORT_MARGIN_M = 5_000.0  # searoute lanes may clip the coast this close to a port; beyond it they must not
H = 3600.0


@dataclass(frozen=True)
class _Sea:
    """What every background vessel is made in: the geography, the random stream, the scenario's span."""

    geo: SimGeo
    rng: np.random.Generator
    t0: float
    t1: float


@dataclass(frozen=True)
class _Hull:
    """Who a background vessel is: its id, category and identity."""

    vid: str
    cat: str
    ident: Identity


def background_vessels(
    sc: Scenario, geo: SimGeo, rng: np.random.Generator, factory: IdentityFactory
) -> list[SimVessel]:
    tr = sc.traffic
    total = tr.vessels + tr.moored + tr.anchored
    if total == 0:
        return []
    ports = [geo.find_port(r) for r in tr.ports] if tr.ports else geo.ports_in(sc.area)
    if len(ports) < 2:
        raise ConfigError(f"traffic.ports: the area {list(sc.area)} holds fewer than 2 ports; list some")
    cats = [c for c, w in tr.mix.items() if w > 0]
    weights = np.array([tr.mix[c] for c in cats], dtype=float)
    weights /= weights.sum()
    sea = _Sea(geo, rng, sc.start_epoch_s, sc.end_epoch_s)
    out: list[SimVessel] = []
    for i in range(tr.vessels):
        cat = cats[int(rng.choice(len(cats), p=weights))]
        klass = None if CATEGORIES[cat].class_a else ("B" if rng.random() < tr.class_b_fraction else "A")
        ident = factory.make(cat, ais_class=klass)
        hull = _Hull(f"bg-{i:05d}", cat, ident)
        out.append(_fishing_trip(hull, ports, sea) if cat == "fishing" else _transit(hull, ports, sea))
    for i in range(tr.moored):
        cat = ("cargo", "tanker", "tug", "pleasure", "fishing")[int(rng.integers(5))]
        ident = factory.make(cat)
        port = ports[int(rng.integers(len(ports)))]
        out.append(_moored(_Hull(f"bg-moored-{i:04d}", cat, ident), port, sea))
    for i in range(tr.anchored):
        cat = ("cargo", "tanker", "reefer")[int(rng.integers(3))]
        ident = factory.make(cat)
        port = ports[int(rng.integers(len(ports)))]
        out.append(_anchored(_Hull(f"bg-anchored-{i:04d}", cat, ident), port, sea))
    return out


def _moored(v: _Hull, port: Port, sea: _Sea) -> SimVessel:
    rng, t0, t1 = sea.rng, sea.t0, sea.t1
    lon, lat = destination(port.lon, port.lat, float(rng.uniform(0, 360)), float(rng.uniform(100, 600)))
    b = TrajectoryBuilder(t0 - H, lon, lat).hold(t1 - t0 + 2 * H, MOORED)
    return b.build(v.vid, v.cat, v.ident)


def _anchored(v: _Hull, port: Port, sea: _Sea) -> SimVessel:
    geo, rng, t0, t1 = sea.geo, sea.rng, sea.t0, sea.t1
    for _ in range(24):
        lon, lat = destination(
            port.lon, port.lat, float(rng.uniform(0, 360)), float(rng.uniform(2_000, 5_000))
        )
        if not geo.on_land(np.array([lon]), np.array([lat]))[0]:
            b = TrajectoryBuilder(t0 - H, lon, lat).hold(t1 - t0 + 2 * H, AT_ANCHOR)
            return b.build(v.vid, v.cat, v.ident)
    return _moored(v, port, sea)


def berth(b: TrajectoryBuilder, rng: np.random.Generator) -> None:
    """From the port's reference point to a berth 100-600 m away, at 3 kn (vessels never share a spot)."""
    lon, lat = destination(*b.here, float(rng.uniform(0, 360)), float(rng.uniform(100, 600)))
    b.sail(np.array([lon]), np.array([lat]), 3.0)


@lru_cache(maxsize=65536)
def _sea_path(geo: SimGeo, a: Port, b: Port) -> tuple[np.ndarray, np.ndarray] | None:
    if haversine_m(a.lon, a.lat, b.lon, b.lat) < 20_000:
        return None
    try:
        lon, lat = port_path(a, b)
    except Exception:  # searoute has no path (e.g. landlocked network node)
        return None
    fine_lon, fine_lat = densify(lon, lat, 300.0)
    if first_land_point(geo, fine_lon, fine_lat, port_margin_m=PORT_MARGIN_M, ports=(a, b)) is not None:
        return None
    return lon, lat


def _transit(v: _Hull, ports: list[Port], sea: _Sea) -> SimVessel:
    geo, rng, t0, t1 = sea.geo, sea.rng, sea.t0, sea.t1
    speed = float(rng.uniform(*CATEGORIES[v.cat].speed_kn))
    for _ in range(12):
        a, b = (ports[int(k)] for k in rng.choice(len(ports), size=2, replace=False))
        path = _sea_path(geo, a, b)
        if path is None:
            continue
        lon, lat = path
        if rng.random() < 0.3:  # alongside at the origin, leaves during the scenario
            b_lon, b_lat = destination(
                float(lon[0]), float(lat[0]), float(rng.uniform(0, 360)), float(rng.uniform(100, 600))
            )  # its berth
            builder = TrajectoryBuilder(t0 - H, b_lon, b_lat)
            builder.hold(H + float(rng.uniform(0, 0.5)) * (t1 - t0), MOORED)
            builder.sail(lon[1:], lat[1:], speed)
        else:  # already under way somewhere along the lane
            cum = np.concatenate([[0.0], np.cumsum(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]))])
            k = int(np.searchsorted(cum, float(rng.uniform(0.0, 0.9)) * cum[-1]))
            k = min(k, len(lon) - 2)
            builder = TrajectoryBuilder(t0 - 60.0, float(lon[k]), float(lat[k]))
            builder.sail(lon[k + 1 :], lat[k + 1 :], speed)
        berth(builder, rng)
        builder.hold(max(0.0, t1 + H - builder.now), MOORED)
        return builder.build(v.vid, v.cat, v.ident)
    return _moored(v, ports[int(rng.integers(len(ports)))], sea)


def _fishing_trip(v: _Hull, ports: list[Port], sea: _Sea) -> SimVessel:
    geo, rng, t0, t1 = sea.geo, sea.rng, sea.t0, sea.t1
    port = ports[int(rng.integers(len(ports)))]
    speed = float(rng.uniform(*CATEGORIES[v.cat].speed_kn))

    def is_clear(lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
        return clear_line(geo, lon0, lat0, lon1, lat1)

    for _ in range(16):
        brg = float(rng.uniform(0, 360))
        g_lon, g_lat = destination(port.lon, port.lat, brg, float(rng.uniform(15_000, 45_000)))
        lon, lat = densify(np.array([port.lon, g_lon]), np.array([port.lat, g_lat]), 300.0)
        if first_land_point(geo, lon, lat, port_margin_m=PORT_MARGIN_M, ports=(port,)) is not None:
            continue
        b_lon, b_lat = destination(
            port.lon, port.lat, float(rng.uniform(0, 360)), float(rng.uniform(100, 600))
        )
        builder = TrajectoryBuilder(t0 - H, b_lon, b_lat)
        builder.hold(H + float(rng.uniform(0, 0.3)) * (t1 - t0), MOORED)
        builder.sail(np.array([g_lon]), np.array([g_lat]), speed)
        n_before = len(builder.t)
        builder.fish(
            float(rng.uniform(4, 10)) * H, rng, speed_kn=float(rng.uniform(3.0, 4.5)), is_clear=is_clear
        )
        f_lon, f_lat = builder.here
        if is_clear(f_lon, f_lat, g_lon, g_lat):
            builder.sail(np.array([g_lon, port.lon]), np.array([g_lat, port.lat]), speed)
        else:  # retrace the fishing track to the ground, then home
            back_lon = np.array([*builder.lon[n_before - 1 : -1][::-1], port.lon])
            back_lat = np.array([*builder.lat[n_before - 1 : -1][::-1], port.lat])
            builder.sail(back_lon, back_lat, speed)
        berth(builder, rng)
        builder.hold(max(0.0, t1 + H - builder.now), MOORED)
        return builder.build(v.vid, v.cat, v.ident)
    return _moored(v, port, sea)


def clear_line(geo: SimGeo, lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
    lon, lat = densify(np.array([lon0, lon1]), np.array([lat0, lat1]), 300.0)
    return first_land_point(geo, lon, lat) is None
