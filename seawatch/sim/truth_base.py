"""What every ground-truth rule shares: the truth parameters (`TRUTH_PARAMS`, the detection
thresholds' values), the event builder (`truth_event`), runs of a mask, MMSIs two vessels share."""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from seawatch.model.event import Event
from seawatch.model.thresholds import (
    AIS_SILENT_S,
    DARK_DISTANCE_M,
    DARK_MIN_RADAR_CONTACTS,
    DetectionThresholds,
)
from seawatch.sim.geodata import SimGeo
from seawatch.sim.grid import StateGrid
from seawatch.sim.vessel import SimVessel
from seawatch.timeutil import utc_from_epoch

NM_M = 1852.0
HEARD_WINDOW_S = 300.0


def _truth_params() -> dict[str, dict[str, float]]:
    """The thresholds of each truth definition: the detection thresholds (model/thresholds.py, one
    declaration), plus the few that only truth has (how long an AIS vessel stays known, dark contact
    grouping)."""
    c = detect_config()
    return {
        "ais_gap": {"min_gap_s": c.ais_gap.min_gap_s, "min_shore_distance_m": c.ais_gap.min_shore_distance_m},
        "encounter": {
            "max_distance_m": c.encounter.max_distance_m,
            "min_duration_s": c.encounter.min_duration_s,
            "max_median_sog_kn": c.encounter.max_sog_kn,
            "min_port_distance_m": c.encounter.min_port_distance_m,
        },
        "rendezvous": {
            "max_distance_m": c.rendezvous.max_distance_m,
            "min_duration_s": c.rendezvous.min_duration_s,
            "max_sog_kn": c.rendezvous.max_sog_kn,
            "min_port_distance_m": c.rendezvous.min_port_distance_m,
        },
        "loitering": {
            "max_sog_kn": c.loitering.max_sog_kn,
            "min_duration_s": c.loitering.min_duration_s,
            "min_shore_distance_m": c.loitering.min_shore_distance_m,
        },
        "speed_anomaly": {
            "min_sog_kn": c.speed_anomaly.min_sog_kn,
            "min_duration_s": c.speed_anomaly.min_duration_s,
        },
        "position_jump": {"max_implied_sog_kn": c.position_jump.min_implied_sog_kn},
        "identity_conflict": {"max_implied_sog_kn": c.position_jump.min_implied_sog_kn},
        "dark_target": {
            "max_ais_distance_m": DARK_DISTANCE_M,
            "ais_window_s": AIS_SILENT_S,  # fusion's ais_projection_max_s: silent longer => dark
            "max_contact_gap_s": 600.0,
            # radar plots of one dark stretch the product needs before it can tell a vessel from clutter
            # (fusion's `dark_min_contacts`): a stretch of fewer is no dark target it could ever raise
            "min_radar_contacts": float(DARK_MIN_RADAR_CONTACTS),
        },
        "zone_entry": {},
        "zone_exit": {},
        "port_visit": {
            "entry_m": c.port_visit.entry_distance_m,
            "exit_m": c.port_visit.exit_distance_m,
            "stop_max_sog_kn": c.port_visit.stop_max_sog_kn,
            "min_stop_s": c.port_visit.min_stop_s,
            "max_stop_gap_s": c.port_visit.max_stop_gap_s,
        },
        "watchlist_hit": {},
    }


@functools.cache
def detect_config() -> DetectionThresholds:
    return DetectionThresholds()


TRUTH_PARAMS: dict[str, dict[str, float]] = _truth_params()


def truth_event(
    kind: str, mmsi: tuple[int, ...], t0: float, t1: float, lon: float, lat: float, details: dict[str, Any]
) -> Event:
    # Events without an MMSI (dark contacts) name the simulated vessel as their track, so ids stay unique.
    tracks = tuple(f"sim:{vid}" for vid in details.get("sim_vessels", [])) if not mmsi else ()
    return Event(
        type=kind,
        mmsi=mmsi,
        start=utc_from_epoch(float(t0)),
        end=utc_from_epoch(float(t1)),
        lat=float(lat),
        lon=float(lon),
        details=details,
        params=dict(TRUTH_PARAMS[kind]),
        track_ids=tracks,
    )


def runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of every run of True."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]])
    diff = np.diff(padded.astype(np.int8))
    starts = np.flatnonzero(diff == 1)
    ends = np.flatnonzero(diff == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def shared_mmsis(vessels: list[SimVessel]) -> set[int]:
    counts: dict[int, int] = defaultdict(int)
    for v in vessels:
        if v.ais:
            counts[v.mmsi] += 1
    return {m for m, c in counts.items() if c > 1}


def local_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.column_stack([lon * 111_320.0 * np.cos(np.radians(lat)), lat * 110_574.0])


def port_tree(geo: SimGeo, g: StateGrid) -> tuple[cKDTree, list[Any]]:
    on_lon, on_lat = g.rep_lon[g.ais_on], g.rep_lat[g.ais_on]
    if len(on_lon) == 0:
        return cKDTree(np.zeros((1, 2)) + 1e12), []
    box = (
        float(on_lon.min()) - 0.5,
        float(on_lat.min()) - 0.5,
        float(on_lon.max()) + 0.5,
        float(on_lat.max()) + 0.5,
    )
    ports = geo.ports_in(box)
    if not ports:
        return cKDTree(np.zeros((1, 2)) + 1e12), []
    xy = local_xy(np.array([p.lon for p in ports]), np.array([p.lat for p in ports]))
    return cKDTree(xy), ports


def nearest_port_m(geo: SimGeo, lon: float, lat: float) -> float:
    return geo.nearest_port_m(lon, lat)[1]
