"""Build every vessel of a scenario: background traffic (transits on searoute lanes between real ports,
fishing trips, moored and anchored vessels) and the injected behaviours."""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np

from seawatch.errors import ConfigError
from seawatch.sim.fleet import CATEGORIES, Identity, IdentityFactory
from seawatch.sim.geodata import Port, SimGeo, destination, haversine_m
from seawatch.sim.paths import densify, first_land_point, port_path, searoute_coords
from seawatch.sim.scenario import GoFast, Loiter, Meet, Route, Scenario, SharedMmsi, Transit, VesselSpec
from seawatch.sim.vessel import AT_ANCHOR, KN_MS, MOORED, SimVessel, TrajectoryBuilder

log = logging.getLogger(__name__)

PORT_MARGIN_M = 5_000.0  # searoute lanes may clip the coast this close to a port; beyond it they must not
H = 3600.0


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
    background = _background(scenario, geo, rng_for(seed, 3), factory)
    return injected + background


def _specs(beh: object) -> list[VesselSpec]:
    if isinstance(beh, Transit | GoFast | Loiter):
        return [beh.vessel]
    if isinstance(beh, Meet):
        return list(beh.vessels)
    return []


# ---------------------------------------------------------------- background


def _background(
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
    t0, t1 = sc.start_epoch_s, sc.end_epoch_s
    out: list[SimVessel] = []
    for i in range(tr.vessels):
        cat = cats[int(rng.choice(len(cats), p=weights))]
        klass = None if CATEGORIES[cat].class_a else ("B" if rng.random() < tr.class_b_fraction else "A")
        ident = factory.make(cat, ais_class=klass)
        vid = f"bg-{i:05d}"
        vessel = (
            _fishing_trip(vid, cat, ident, ports, geo, rng, t0, t1)
            if cat == "fishing"
            else _transit(vid, cat, ident, ports, geo, rng, t0, t1)
        )
        out.append(vessel)
    for i in range(tr.moored):
        cat = ("cargo", "tanker", "tug", "pleasure", "fishing")[int(rng.integers(5))]
        ident = factory.make(cat)
        port = ports[int(rng.integers(len(ports)))]
        out.append(_moored(f"bg-moored-{i:04d}", cat, ident, port, rng, t0, t1))
    for i in range(tr.anchored):
        cat = ("cargo", "tanker", "reefer")[int(rng.integers(3))]
        ident = factory.make(cat)
        port = ports[int(rng.integers(len(ports)))]
        out.append(_anchored(f"bg-anchored-{i:04d}", cat, ident, port, geo, rng, t0, t1))
    return out


def _moored(
    vid: str, cat: str, ident: Identity, port: Port, rng: np.random.Generator, t0: float, t1: float
) -> SimVessel:
    lon, lat = destination(port.lon, port.lat, float(rng.uniform(0, 360)), float(rng.uniform(100, 600)))
    b = TrajectoryBuilder(t0 - H, lon, lat).hold(t1 - t0 + 2 * H, MOORED)
    return b.build(vid, cat, ident)


def _anchored(
    vid: str,
    cat: str,
    ident: Identity,
    port: Port,
    geo: SimGeo,
    rng: np.random.Generator,
    t0: float,
    t1: float,
) -> SimVessel:
    for _ in range(24):
        lon, lat = destination(
            port.lon, port.lat, float(rng.uniform(0, 360)), float(rng.uniform(2_000, 5_000))
        )
        if not geo.on_land(np.array([lon]), np.array([lat]))[0]:
            b = TrajectoryBuilder(t0 - H, lon, lat).hold(t1 - t0 + 2 * H, AT_ANCHOR)
            return b.build(vid, cat, ident)
    return _moored(vid, cat, ident, port, rng, t0, t1)


def _berth(b: TrajectoryBuilder, rng: np.random.Generator) -> None:
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


def _transit(
    vid: str,
    cat: str,
    ident: Identity,
    ports: list[Port],
    geo: SimGeo,
    rng: np.random.Generator,
    t0: float,
    t1: float,
) -> SimVessel:
    speed = float(rng.uniform(*CATEGORIES[cat].speed_kn))
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
        _berth(builder, rng)
        builder.hold(max(0.0, t1 + H - builder.now), MOORED)
        return builder.build(vid, cat, ident)
    return _moored(vid, cat, ident, ports[int(rng.integers(len(ports)))], rng, t0, t1)


def _fishing_trip(
    vid: str,
    cat: str,
    ident: Identity,
    ports: list[Port],
    geo: SimGeo,
    rng: np.random.Generator,
    t0: float,
    t1: float,
) -> SimVessel:
    port = ports[int(rng.integers(len(ports)))]
    speed = float(rng.uniform(*CATEGORIES[cat].speed_kn))

    def is_clear(lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
        return _clear_line(geo, lon0, lat0, lon1, lat1)

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
        _berth(builder, rng)
        builder.hold(max(0.0, t1 + H - builder.now), MOORED)
        return builder.build(vid, cat, ident)
    return _moored(vid, cat, ident, port, rng, t0, t1)


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


def _clear_line(geo: SimGeo, lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
    lon, lat = densify(np.array([lon0, lon1]), np.array([lat0, lat1]), 300.0)
    return first_land_point(geo, lon, lat) is None


def _approach_bearing(
    geo: SimGeo, rng: np.random.Generator, at: tuple[float, float], preferred: float, dist_m: float
) -> float:
    candidates = [preferred] + [
        (preferred + d) % 360 for d in (30, -30, 60, -60, 90, -90, 120, -120, 150, -150, 180)
    ]
    candidates += list(rng.uniform(0, 360, 24))
    for brg in candidates:
        s_lon, s_lat = destination(at[0], at[1], float(brg), dist_m)
        if _clear_line(geo, s_lon, s_lat, at[0], at[1]):
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
        if _clear_line(geo, lon, lat, e_lon, e_lat):
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
        _berth(b, np.random.default_rng(int(b.now)))
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
