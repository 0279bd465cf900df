"""Build every vessel of a scenario: the injected behaviours (here) and the background traffic
(`background.py`: transits on searoute lanes between real ports, fishing trips, moored and anchored
vessels)."""

from __future__ import annotations

import logging

import numpy as np

from seawatch.errors import ConfigError
from seawatch.sim.background import PORT_MARGIN_M, H, background_vessels, berth, clear_line
from seawatch.sim.fleet import Identity, IdentityFactory
from seawatch.sim.geodata import SimGeo, destination, haversine_m
from seawatch.sim.paths import densify, first_land_point, port_path, searoute_coords
from seawatch.sim.scenario import GoFast, Loiter, Meet, Route, Scenario, SharedMmsi, Transit, VesselSpec
from seawatch.sim.vessel import KN_MS, MOORED, SimVessel, TrajectoryBuilder

log = logging.getLogger(__name__)


def rng_for(seed: int, component: int) -> np.random.Generator:
    """Independent, reproducible random stream per component (traffic, behaviours, AIS, radar, SAR...)."""
    return np.random.default_rng([seed, component])


def build_vessels(scenario: Scenario, geo: SimGeo, seed: int) -> list[SimVessel]:
    factory = IdentityFactory(rng_for(seed, 1))
    for beh in scenario.behaviours:  # explicit MMSIs are reserved before any is generated
        if isinstance(beh, SharedMmsi):
            factory.reserve(beh.mmsi)
        for spec in _specs(beh):
            if spec.mmsi is not None:
                factory.reserve(spec.mmsi)
    injected = _injected(scenario, geo, rng_for(seed, 2), factory)
    background = background_vessels(scenario, geo, rng_for(seed, 3), factory)
    return injected + background


def _specs(beh: object) -> list[VesselSpec]:
    if isinstance(beh, Transit | GoFast | Loiter):
        return [beh.vessel]
    if isinstance(beh, Meet):
        return list(beh.vessels)
    return []


# ---------------------------------------------------------------- injected behaviours


def _injected(
    sc: Scenario, geo: SimGeo, rng: np.random.Generator, factory: IdentityFactory
) -> list[SimVessel]:
    t0 = sc.start_epoch_s
    out: list[SimVessel] = []
    for beh in sc.behaviours:
        role = f"{beh.kind}:{beh.id}"
        if isinstance(beh, Transit | GoFast):
            out.append(
                _route_vessel(
                    f"{beh.id}-0",
                    beh.vessel,
                    beh.route,
                    beh.speed_kn,
                    t0 + beh.start_h * H,
                    sc,
                    geo,
                    factory,
                    role,
                    ais_off=getattr(beh, "ais_off", []),
                    spoof=getattr(beh, "spoof", []),
                )
            )
        elif isinstance(beh, SharedMmsi):
            base = factory.make(beh.category, mmsi=beh.mmsi)
            for k, route in enumerate(beh.routes):
                spec = VesselSpec(
                    category=beh.category,
                    name=base.name,
                    mmsi=beh.mmsi,
                    imo=base.imo,
                    callsign=base.callsign,
                    length_m=base.length_m,
                    ais_class="A",
                )
                out.append(
                    _route_vessel(
                        f"{beh.id}-{k}",
                        spec,
                        route,
                        beh.speed_kn,
                        t0 + beh.start_h * H,
                        sc,
                        geo,
                        factory,
                        role,
                        reuse_mmsi=True,
                    )
                )
        elif isinstance(beh, Loiter):
            ident = _ident(factory, beh.vessel)
            b = _approach(
                geo,
                rng,
                beh.at,
                beh.approach_bearing_deg,
                beh.approach_nm,
                beh.approach_speed_kn,
                t0 + beh.start_h * H,
            )
            b.drift(beh.duration_h * H, rng)
            _leave(b, geo, beh.at, beh.approach_bearing_deg, beh.approach_nm, beh.approach_speed_kn)
            _go_home(b, geo, sc.end_epoch_s, beh.approach_speed_kn)
            out.append(
                b.build(
                    f"{beh.id}-0",
                    beh.vessel.category,
                    ident,
                    ais=beh.vessel.ais,
                    watchlisted=beh.vessel.watchlisted,
                    role=role,
                )
            )
        elif isinstance(beh, Meet):
            out.extend(_meet(beh, sc, geo, rng, factory, role))
    return out


def _ident(factory: IdentityFactory, spec: VesselSpec, reuse_mmsi: bool = False) -> Identity:
    if reuse_mmsi:
        factory.used_mmsi.discard(spec.mmsi or 0)
    return factory.make(
        spec.category,
        ais_class=spec.ais_class,
        length_m=spec.length_m,
        name=spec.name,
        mmsi=spec.mmsi,
        imo=spec.imo,
        callsign=spec.callsign,
    )


def _route_vessel(
    vid: str,
    spec: VesselSpec,
    route: Route,
    speed_kn: float,
    start_s: float,
    sc: Scenario,
    geo: SimGeo,
    factory: IdentityFactory,
    role: str,
    *,
    ais_off: object = (),
    spoof: object = (),
    reuse_mmsi: bool = False,
) -> SimVessel:
    ident = _ident(factory, spec, reuse_mmsi)
    t0, t1 = sc.start_epoch_s, sc.end_epoch_s
    if route.waypoints:
        pts = np.array(route.waypoints, dtype=float)
        lon, lat = densify(pts[:, 0], pts[:, 1])
        b = TrajectoryBuilder(start_s, float(lon[0]), float(lat[0]))
        b.sail(lon[1:], lat[1:], speed_kn)
    else:
        a = geo.find_port(route.from_port or "")
        z = geo.find_port(route.to_port or "")
        lon, lat = port_path(a, z)
        b = TrajectoryBuilder(min(t0 - H, start_s), float(lon[0]), float(lat[0]))
        b.hold(start_s - b.now, MOORED)
        b.sail(lon[1:], lat[1:], speed_kn)
        b.hold(max(0.0, t1 + H - b.now), MOORED)
    offs = [(t0 + w.off_h * H, t0 + (w.on_h if w.on_h is not None else 1e6) * H) for w in ais_off]  # type: ignore[attr-defined]
    spoofs = [(t0 + s.start_h * H, t0 + s.end_h * H, s.lon, s.lat) for s in spoof]  # type: ignore[attr-defined]
    return b.build(
        vid,
        spec.category,
        ident,
        ais=spec.ais,
        ais_off=offs,
        spoof=spoofs,
        watchlisted=spec.watchlisted,
        role=role,
    )


def _approach_bearing(
    geo: SimGeo, rng: np.random.Generator, at: tuple[float, float], preferred: float, dist_m: float
) -> float:
    candidates = [preferred] + [
        (preferred + d) % 360 for d in (30, -30, 60, -60, 90, -90, 120, -120, 150, -150, 180)
    ]
    candidates += list(rng.uniform(0, 360, 24))
    for brg in candidates:
        s_lon, s_lat = destination(at[0], at[1], float(brg), dist_m)
        if clear_line(geo, s_lon, s_lat, at[0], at[1]):
            return float(brg)
    raise ConfigError(f"no clear sea approach of {dist_m / 1852:.0f} nm to {list(at)}: reduce approach_nm")


def _approach(
    geo: SimGeo,
    rng: np.random.Generator,
    at: tuple[float, float],
    bearing: float,
    approach_nm: float,
    speed_kn: float,
    arrive_s: float,
    offset_m: float = 0.0,
) -> TrajectoryBuilder:
    dist = approach_nm * 1852.0
    brg = _approach_bearing(geo, rng, at, bearing, dist)
    s_lon, s_lat = destination(at[0], at[1], brg, dist)
    e_lon, e_lat = destination(at[0], at[1], brg, offset_m) if offset_m else at
    b = TrajectoryBuilder(arrive_s - dist / (speed_kn * KN_MS), s_lon, s_lat)
    b.sail(np.array([e_lon]), np.array([e_lat]), speed_kn)
    return b


def _leave(
    b: TrajectoryBuilder,
    geo: SimGeo,
    at: tuple[float, float],
    bearing: float,
    approach_nm: float,
    speed_kn: float,
) -> None:
    dist = approach_nm * 1852.0
    out = (bearing + 180.0) % 360.0
    for brg in (out, bearing, (out + 60) % 360, (out - 60) % 360, (out + 120) % 360, (out - 120) % 360):
        lon, lat = b.here
        e_lon, e_lat = destination(lon, lat, brg, dist)
        if clear_line(geo, lon, lat, e_lon, e_lat):
            b.sail(np.array([e_lon]), np.array([e_lat]), speed_kn)
            return
    back_lon, back_lat = destination(at[0], at[1], bearing, dist)  # back the way it came
    b.sail(np.array([back_lon]), np.array([back_lat]), speed_kn)


def _go_home(b: TrajectoryBuilder, geo: SimGeo, end_s: float, speed_kn: float) -> None:
    """After a behaviour, sail to the nearest port reachable by a sea lane and moor until the end."""
    lon, lat = b.here
    dist = haversine_m(lon, lat, geo.port_lon, geo.port_lat)
    for k in np.argsort(dist)[:6].tolist():
        port = geo.ports[k]
        try:
            coords = searoute_coords((lon, lat), (port.lon, port.lat))
        except Exception:
            continue
        arr = np.array([*coords, (port.lon, port.lat)])
        p_lon, p_lat = densify(np.concatenate([[lon], arr[:, 0]]), np.concatenate([[lat], arr[:, 1]]), 300.0)
        if first_land_point(geo, p_lon, p_lat, port_margin_m=PORT_MARGIN_M, ports=(port,)) is not None:
            continue
        b.sail(p_lon[1:], p_lat[1:], speed_kn)
        berth(b, np.random.default_rng(int(b.now)))
        b.hold(max(0.0, end_s + H - b.now), MOORED)
        return


def _meet(
    beh: Meet, sc: Scenario, geo: SimGeo, rng: np.random.Generator, factory: IdentityFactory, role: str
) -> list[SimVessel]:
    t0 = sc.start_epoch_s
    arrive = t0 + beh.start_h * H
    base_brg = float(rng.uniform(0, 360)) if beh.approach_bearing_deg is None else beh.approach_bearing_deg
    # The pair drifts together: one shared random walk, the second vessel 80 m abeam of the first.
    lead = _approach(geo, rng, beh.at, base_brg, beh.approach_nm, beh.approach_speed_kn, arrive)
    lead.drift(beh.duration_h * H, rng, speed_kn=(0.2, 0.8), radius_m=800.0)
    n_drift = int(np.ceil(beh.duration_h * H / 600.0))
    drift_lon = np.array(lead.lon[-n_drift:])
    drift_lat = np.array(lead.lat[-n_drift:])
    drift_t = np.array(lead.t[-n_drift:])
    _leave(lead, geo, beh.at, base_brg, beh.approach_nm, beh.approach_speed_kn)
    _go_home(lead, geo, sc.end_epoch_s, beh.approach_speed_kn)
    vessels: list[SimVessel] = []
    ident0 = _ident(factory, beh.vessels[0])
    vessels.append(
        lead.build(
            f"{beh.id}-0",
            beh.vessels[0].category,
            ident0,
            ais=beh.vessels[0].ais,
            watchlisted=beh.vessels[0].watchlisted,
            role=role,
        )
    )
    side_brg = (base_brg + 120.0) % 360.0
    mate_at = destination(beh.at[0], beh.at[1], (base_brg + 90) % 360, 80.0)
    mate = _approach(geo, rng, mate_at, side_brg, beh.approach_nm, beh.approach_speed_kn, arrive)
    for t, lon, lat in zip(drift_t, drift_lon, drift_lat, strict=True):
        m_lon, m_lat = destination(float(lon), float(lat), (base_brg + 90) % 360, 80.0)
        mate.t.append(float(t))
        mate.lon.append(m_lon)
        mate.lat.append(m_lat)
        mate.status.append(0)
    _leave(mate, geo, mate_at, side_brg, beh.approach_nm, beh.approach_speed_kn)
    _go_home(mate, geo, sc.end_epoch_s, beh.approach_speed_kn)
    ident1 = _ident(factory, beh.vessels[1])
    vessels.append(
        mate.build(
            f"{beh.id}-1",
            beh.vessels[1].category,
            ident1,
            ais=beh.vessels[1].ais,
            watchlisted=beh.vessels[1].watchlisted,
            role=role,
        )
    )
    if beh.dark is not None:
        off = (
            t0 + (beh.dark_from_h if beh.dark_from_h is not None else beh.start_h + beh.duration_h - 0.25) * H
        )
        on = t0 + (beh.dark_to_h if beh.dark_to_h is not None else (off - t0) / H + 7.0) * H
        vessels[beh.dark].ais_off.append((off, on))
    return vessels
