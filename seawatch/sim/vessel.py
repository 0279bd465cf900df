"""A simulated vessel: identity, a piecewise-linear true trajectory (waypoints with times) and its AIS
behaviour (off windows, spoofed windows, shared MMSI). Positions at any time come from `states_at`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from seawatch.sim.fleet import CATEGORIES, Identity
from seawatch.sim.geodata import bearing_deg, destination, haversine_m
from seawatch.sim.paths import densify

KN_MS = 1852.0 / 3600.0

# AIS navigational status codes
UNDER_WAY, AT_ANCHOR, MOORED, FISHING = 0, 1, 5, 7


@dataclass
class SimVessel:
    vid: str  # simulator id: "bg-0012" or "<behaviour id>-<n>"
    category: str
    identity: Identity
    t: np.ndarray  # epoch s, non-decreasing waypoint times
    lon: np.ndarray
    lat: np.ndarray
    status: np.ndarray  # nav status of segment i (between waypoint i and i+1), len = len(t) - 1
    ais: bool = True
    ais_off: list[tuple[float, float]] = field(default_factory=list)  # epoch s windows with AIS silent
    spoof: list[tuple[float, float, float, float]] = field(default_factory=list)  # (t0, t1, lon, lat)
    watchlisted: bool = False
    role: str = "background"

    @property
    def mmsi(self) -> int:
        return self.identity.mmsi

    @property
    def speed_exempt(self) -> bool:
        return CATEGORIES[self.category].speed_exempt

    def states_at(self, times: np.ndarray) -> VesselStates:
        return states_at(self, times)

    def ais_on_at(self, times: np.ndarray) -> np.ndarray:
        on = np.full(times.shape, self.ais, dtype=bool)
        for t0, t1 in self.ais_off:
            on &= ~((times >= t0) & (times < t1))
        return on

    def reported_position(
        self, times: np.ndarray, lon: np.ndarray, lat: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions the transponder broadcasts (the true one, or the spoofed one) and a spoofed mask."""
        rep_lon, rep_lat = lon.copy(), lat.copy()
        spoofed = np.zeros(times.shape, dtype=bool)
        for t0, t1, s_lon, s_lat in self.spoof:
            mask = (times >= t0) & (times < t1)
            rep_lon[mask], rep_lat[mask] = s_lon, s_lat
            spoofed |= mask
        return rep_lon, rep_lat, spoofed


@dataclass
class VesselStates:
    present: np.ndarray  # bool: the vessel exists at that time (inside its trajectory span)
    lon: np.ndarray
    lat: np.ndarray
    sog_kn: np.ndarray
    cog_deg: np.ndarray
    status: np.ndarray


def states_at(v: SimVessel, times: np.ndarray) -> VesselStates:
    times = np.asarray(times, dtype=float)
    present = (times >= v.t[0]) & (times <= v.t[-1])
    lon = np.interp(times, v.t, v.lon)
    lat = np.interp(times, v.t, v.lat)
    if len(v.t) < 2:
        zeros = np.zeros(times.shape)
        return VesselStates(present, lon, lat, zeros, zeros, np.full(times.shape, MOORED))
    seg_len = haversine_m(v.lon[:-1], v.lat[:-1], v.lon[1:], v.lat[1:])
    seg_dt = np.diff(v.t)
    with np.errstate(divide="ignore", invalid="ignore"):
        seg_sog = np.where(seg_dt > 0, seg_len / np.where(seg_dt > 0, seg_dt, 1.0) / KN_MS, 0.0)
    seg_cog = bearing_deg(v.lon[:-1], v.lat[:-1], v.lon[1:], v.lat[1:])
    idx = np.clip(np.searchsorted(v.t, times, side="right") - 1, 0, len(seg_dt) - 1)
    return VesselStates(present, lon, lat, seg_sog[idx], seg_cog[idx], v.status[idx])


class TrajectoryBuilder:
    """Appends legs to a trajectory: sail along a path at speed, hold still, drift, fish."""

    def __init__(self, t0: float, lon: float, lat: float) -> None:
        self.t = [t0]
        self.lon = [lon]
        self.lat = [lat]
        self.status: list[int] = []

    @property
    def now(self) -> float:
        return self.t[-1]

    @property
    def here(self) -> tuple[float, float]:
        return self.lon[-1], self.lat[-1]

    def sail(
        self, path_lon: np.ndarray, path_lat: np.ndarray, speed_kn: float, status: int = UNDER_WAY
    ) -> TrajectoryBuilder:
        """Sail from the current point through the path (its first point may equal the current point)."""
        lon = np.concatenate([[self.lon[-1]], np.asarray(path_lon, dtype=float)])
        lat = np.concatenate([[self.lat[-1]], np.asarray(path_lat, dtype=float)])
        lon, lat = densify(lon, lat)
        seg = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        keep = seg > 0.5
        seg, lon_n, lat_n = seg[keep], lon[1:][keep], lat[1:][keep]
        times = self.t[-1] + np.cumsum(seg) / (speed_kn * KN_MS)
        self.t.extend(times.tolist())
        self.lon.extend(lon_n.tolist())
        self.lat.extend(lat_n.tolist())
        self.status.extend([status] * len(times))
        return self

    def hold(self, duration_s: float, status: int = MOORED) -> TrajectoryBuilder:
        if duration_s > 0:
            self.t.append(self.t[-1] + duration_s)
            self.lon.append(self.lon[-1])
            self.lat.append(self.lat[-1])
            self.status.append(status)
        return self

    def drift(
        self,
        duration_s: float,
        rng: np.random.Generator,
        speed_kn: tuple[float, float] = (0.3, 1.2),
        radius_m: float = 1_500.0,
        step_s: float = 600.0,
        status: int = UNDER_WAY,
    ) -> TrajectoryBuilder:
        """Slow random walk around the current point (loitering, drifting alongside)."""
        c_lon, c_lat = self.here
        end = self.t[-1] + duration_s
        while self.t[-1] < end - 1e-6:
            dt = min(step_s, end - self.t[-1])
            lon, lat = self.here
            off = float(haversine_m(lon, lat, c_lon, c_lat))
            home = float(bearing_deg(lon, lat, c_lon, c_lat)) if off > 1 else 0.0
            brg = home + rng.normal(0, 60) if off > radius_m / 2 else rng.uniform(0, 360)
            dist = rng.uniform(*speed_kn) * KN_MS * dt
            n_lon, n_lat = destination(lon, lat, brg % 360.0, dist)
            self.t.append(self.t[-1] + dt)
            self.lon.append(n_lon)
            self.lat.append(n_lat)
            self.status.append(status)
        return self

    def fish(
        self,
        duration_s: float,
        rng: np.random.Generator,
        speed_kn: float = 3.5,
        leg_m: float = 6_000.0,
        is_clear: Callable[[float, float, float, float], bool] | None = None,
    ) -> TrajectoryBuilder:
        """Trawling zig-zag: parallel legs of leg_m at trawl speed, alternating direction; a leg that would
        cross land (per `is_clear(lon0, lat0, lon1, lat1)`) is turned back, and fishing stops if both are."""
        end = self.t[-1] + duration_s
        heading = float(rng.uniform(0, 360))
        sign = 1.0

        def clear(lon0: float, lat0: float, lon1: float, lat1: float) -> bool:
            return is_clear is None or is_clear(lon0, lat0, lon1, lat1)

        while self.t[-1] < end - 1e-6:
            lon, lat = self.here
            dist = min(leg_m, (end - self.t[-1]) * speed_kn * KN_MS)
            if dist < 1:
                break
            n_lon, n_lat = destination(lon, lat, heading, dist)
            if not clear(lon, lat, n_lon, n_lat):
                heading = (heading + 180.0) % 360.0
                n_lon, n_lat = destination(lon, lat, heading, dist)
                if not clear(lon, lat, n_lon, n_lat):
                    break
            self.sail(np.array([n_lon]), np.array([n_lat]), speed_kn, status=FISHING)
            s_lon, s_lat = destination(n_lon, n_lat, (heading + 90.0 * sign) % 360.0, 800.0)
            if self.t[-1] < end and clear(n_lon, n_lat, s_lon, s_lat):
                self.sail(np.array([s_lon]), np.array([s_lat]), speed_kn, status=FISHING)
            heading = (heading + 180.0) % 360.0
            sign = -sign
        return self

    def build(
        self,
        vid: str,
        category: str,
        identity: Identity,
        *,
        ais: bool = True,
        ais_off: list[tuple[float, float]] | None = None,
        spoof: list[tuple[float, float, float, float]] | None = None,
        watchlisted: bool = False,
        role: str = "background",
    ) -> SimVessel:
        t = np.asarray(self.t, dtype=float)
        lon = np.asarray(self.lon, dtype=float)
        lat = np.asarray(self.lat, dtype=float)
        status = np.asarray(self.status if self.status else [MOORED], dtype=np.int16)
        if len(t) == 1:  # a single point: hold it
            t = np.array([t[0], t[0] + 1.0])
            lon = np.repeat(lon, 2)
            lat = np.repeat(lat, 2)
        return SimVessel(
            vid=vid,
            category=category,
            identity=identity,
            t=t,
            lon=lon,
            lat=lat,
            status=status,
            ais=ais,
            ais_off=list(ais_off or []),
            spoof=list(spoof or []),
            watchlisted=watchlisted,
            role=role,
        )
