"""Ground truth tied to places and lists: zone entries and exits, port visits with a stop,
watchlist hits (definitions: `truth.py`)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import polars as pl
import shapely
from shapely.geometry import Polygon

from seawatch.model.event import Event
from seawatch.model.thresholds import PortVisitConfig
from seawatch.sim.geodata import SimGeo, haversine_m
from seawatch.sim.grid import StateGrid
from seawatch.sim.scenario import Scenario
from seawatch.sim.truth_base import (
    TRUTH_PARAMS,
    detect_config,
    local_xy,
    port_tree,
    runs_of,
    truth_event,
)


def zone_events(sc: Scenario, g: StateGrid) -> list[Event]:
    out = []
    for zone in sc.zones:
        poly = Polygon(zone.polygon)
        shapely.prepare(poly)
        for i, v in enumerate(g.vessels):
            on = g.ais_on[i]
            if not on.any():
                continue
            idx = np.flatnonzero(on)
            inside = shapely.contains_xy(poly, g.rep_lon[i, idx], g.rep_lat[i, idx])
            for k in np.flatnonzero(inside[1:] != inside[:-1]).tolist():
                j = int(idx[k + 1])
                kind = "zone_entry" if inside[k + 1] else "zone_exit"
                out.append(
                    truth_event(
                        kind,
                        (v.mmsi,),
                        g.times[j],
                        g.times[j],
                        g.rep_lon[i, j],
                        g.rep_lat[i, j],
                        {
                            "zone_id": zone.id,
                            "zone": zone.name or zone.id,
                            "zone_kind": zone.kind,
                            "sim_vessels": [v.vid],
                        },
                    )
                )
    return out


def port_events(sc: Scenario, g: StateGrid, geo: SimGeo, received: pl.DataFrame) -> list[Event]:
    p = TRUTH_PARAMS["port_visit"]
    tree, ports = port_tree(geo, g)
    if not ports:
        return []
    out = []
    heard = {vid: (f["t"].to_numpy(), f["sog_kn"].to_numpy()) for (vid,), f in
             received.sort("t").group_by(["vid"], maintain_order=True)}  # fmt: skip
    for i, _v in enumerate(g.vessels):
        idx = np.flatnonzero(g.ais_on[i])
        if len(idx) == 0:
            continue
        lon, lat = g.rep_lon[i, idx], g.rep_lat[i, idx]
        _, near = tree.query(local_xy(lon, lat))
        p_lon = np.array([ports[k].lon for k in near])
        p_lat = np.array([ports[k].lat for k in near])
        dist = haversine_m(lon, lat, p_lon, p_lat)  # same metric as every other distance here
        inside = False
        start_k = 0
        port_k = 0
        for k in range(len(idx)):
            if not inside and dist[k] <= p["entry_m"]:
                inside, start_k, port_k = True, k, int(near[k])
            elif inside and dist[k] > p["exit_m"]:
                if _stopped(heard.get(_v.vid), g.times[idx[start_k]], g.times[idx[k]]):
                    out.append(_visit(g, i, idx, start_k, k, ports[port_k], exited=True))
                inside = False
        if inside and _stopped(heard.get(_v.vid), g.times[idx[start_k]], g.times[idx[-1]]):
            out.append(_visit(g, i, idx, start_k, len(idx) - 1, ports[port_k], exited=False))
    return out


def _port_visit_config() -> PortVisitConfig:
    return detect_config().port_visit


def _stopped(heard: tuple[np.ndarray, np.ndarray] | None, t0: float, t1: float) -> bool:
    """A stop during a stay [t0, t1]: consecutive received reports at ≤ stop_max_sog_kn spanning ≥
    min_stop_s (what a perfect system can know of a stop: the reports it received)."""
    if heard is None:
        return False
    cfg = _port_visit_config()
    t, sog = heard
    inside = (t >= t0) & (t <= t1)
    slow = inside & (sog <= cfg.stop_max_sog_kn)
    for a, b in runs_of(slow):  # split where reports are further apart than max_stop_gap_s
        cuts = np.flatnonzero(np.diff(t[a : b + 1]) > cfg.max_stop_gap_s)
        bounds = [a, *(a + cuts + 1).tolist(), b + 1]
        if any(t[hi - 1] - t[lo] >= cfg.min_stop_s for lo, hi in itertools.pairwise(bounds)):
            return True
    return False


def _visit(g: StateGrid, i: int, idx: np.ndarray, a: int, b: int, port: Any, exited: bool) -> Event:
    v = g.vessels[i]
    ja, jb = int(idx[a]), int(idx[b])
    return truth_event(
        "port_visit",
        (v.mmsi,),
        g.times[ja],
        g.times[jb],
        g.rep_lon[i, ja],
        g.rep_lat[i, ja],
        {
            "port": port.name,
            "port_locode": port.locode,
            "exited": exited,
            "duration_s": round(float(g.times[jb] - g.times[ja])),
            "sim_vessels": [v.vid],
        },
    )


def watchlist_events(g: StateGrid, received: pl.DataFrame) -> list[Event]:
    out = []
    for v in g.vessels:
        if not v.watchlisted:
            continue
        f = received.filter(pl.col("vid") == v.vid).sort("t")
        if f.is_empty():
            continue
        first, last = f.row(0, named=True), f.row(f.height - 1, named=True)
        out.append(
            truth_event(
                "watchlist_hit",
                (v.mmsi,),
                first["t"],
                last["t"],
                first["lon"],
                first["lat"],
                {
                    "name": v.identity.name,
                    "imo": v.identity.imo,
                    "callsign": v.identity.callsign,
                    "sim_vessels": [v.vid],
                },
            )
        )
    return out
