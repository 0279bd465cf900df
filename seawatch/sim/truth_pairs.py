"""Ground truth of vessel pairs and of one vessel staying put: encounters, rendezvous (berthed
pairs excepted) and loitering (definitions: `truth.py`)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from seawatch.model.event import Event
from seawatch.sim.geodata import SimGeo, haversine_m
from seawatch.sim.grid import StateGrid
from seawatch.sim.truth_base import (
    TRUTH_PARAMS,
    detect_config,
    local_xy,
    nearest_port_m,
    runs_of,
    truth_event,
)


def pair_events(g: StateGrid, geo: SimGeo) -> list[Event]:
    pe, pr = TRUTH_PARAMS["encounter"], TRUTH_PARAMS["rendezvous"]
    close: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for j in range(len(g.times)):
        idx = np.flatnonzero(g.ais_on[:, j])
        if len(idx) < 2:
            continue
        lon, lat = g.rep_lon[idx, j], g.rep_lat[idx, j]
        tree = cKDTree(local_xy(lon, lat))
        pairs = tree.query_pairs(pe["max_distance_m"] * 1.05, output_type="ndarray")
        if len(pairs) == 0:
            continue
        d = haversine_m(lon[pairs[:, 0]], lat[pairs[:, 0]], lon[pairs[:, 1]], lat[pairs[:, 1]])
        for (a, b), dist in zip(pairs.tolist(), d.tolist(), strict=True):
            if dist <= pe["max_distance_m"]:
                ia, ib = int(idx[a]), int(idx[b])
                if g.vessels[ia].mmsi == g.vessels[ib].mmsi:
                    continue
                close[(min(ia, ib), max(ia, ib))].append((j, dist))
    out = []
    for (ia, ib), hits in sorted(close.items()):
        steps = np.array([h[0] for h in hits])
        dists = np.array([h[1] for h in hits])
        mask = np.zeros(len(g.times), dtype=bool)
        mask[steps] = True
        # two ships tied up at one berth (both still, next to the coastline) are no pair at that step
        berth = _berthed(g, geo, ia, ib, steps)
        mask[steps[berth]] = False
        dists = np.where(berth, np.inf, dists)
        dist_full = np.full(len(g.times), np.inf)
        dist_full[steps] = dists
        encounters: list[Event] = []
        rendezvous: list[Event] = []
        for a, b in runs_of(mask):
            if g.times[b] - g.times[a] < pe["min_duration_s"]:
                continue
            sog = np.concatenate([g.sog_kn[ia, a : b + 1], g.sog_kn[ib, a : b + 1]])
            if float(np.median(sog)) >= pe["max_median_sog_kn"]:
                continue
            extra = {"median_sog_kn": round(float(np.median(sog)), 2)}
            met = _meeting(g, geo, "encounter", (ia, ib), (a, b), dist_full, pe["min_port_distance_m"], extra)
            if met is not None:
                encounters.append(met)
        near = dist_full <= pr["max_distance_m"]
        # the detection config's speed rule (one declaration): mean of the two true speeds below it
        near &= (g.sog_kn[ia] + g.sog_kn[ib]) / 2.0 < pr["max_sog_kn"]
        for a, b in runs_of(near):
            if g.times[b] - g.times[a] < pr["min_duration_s"]:
                continue
            met = _meeting(g, geo, "rendezvous", (ia, ib), (a, b), dist_full, pr["min_port_distance_m"], {})
            if met is not None:
                rendezvous.append(met)
        # one meeting, one event: a rendezvous within an encounter of the pair is that encounter
        out += encounters + [r for r in rendezvous if not any(_overlap(r, e) for e in encounters)]
    return out


def _meeting(
    g: StateGrid,
    geo: SimGeo,
    kind: str,
    pair: tuple[int, int],
    run: tuple[int, int],
    dist_full: np.ndarray,
    min_port_distance_m: float,
    extra: dict[str, Any],
) -> Event | None:
    """The event of a pair's meeting over steps `run` (inclusive), None when it is near a port."""
    (ia, ib), (a, b) = pair, run
    lon = float(np.mean(g.rep_lon[[ia, ib], a : b + 1]))
    lat = float(np.mean(g.rep_lat[[ia, ib], a : b + 1]))
    if nearest_port_m(geo, lon, lat) < min_port_distance_m:
        return None
    va, vb = g.vessels[ia], g.vessels[ib]
    details = {
        "duration_s": round(float(g.times[b] - g.times[a])),
        "median_distance_m": round(float(np.median(dist_full[a : b + 1]))),
        **extra,
        "sim_vessels": [va.vid, vb.vid],
    }
    return truth_event(kind, tuple(sorted((va.mmsi, vb.mmsi))), g.times[a], g.times[b], lon, lat, details)


def _overlap(a: Event, b: Event) -> bool:
    return a.start <= b.end and b.start <= a.end


def _berthed(g: StateGrid, geo: SimGeo, ia: int, ib: int, steps: np.ndarray) -> np.ndarray:
    cfg = detect_config().rendezvous  # the detection config's berth rule (one declaration for both)
    still = (g.sog_kn[ia, steps] <= cfg.berth_max_sog_kn) & (g.sog_kn[ib, steps] <= cfg.berth_max_sog_kn)
    out = np.zeros(len(steps), dtype=bool)
    if still.any():
        lon = (g.rep_lon[ia, steps[still]] + g.rep_lon[ib, steps[still]]) / 2.0
        lat = (g.rep_lat[ia, steps[still]] + g.rep_lat[ib, steps[still]]) / 2.0
        out[np.flatnonzero(still)] = geo.distance_to_shore_m(lon, lat) < cfg.berth_shore_distance_m
    return out


def loitering_events(g: StateGrid, geo: SimGeo) -> list[Event]:
    p = TRUTH_PARAMS["loitering"]
    out = []
    for i, v in enumerate(g.vessels):
        slow = g.ais_on[i] & (g.sog_kn[i] < p["max_sog_kn"])
        for a, b in runs_of(slow):
            if g.times[b] - g.times[a] < p["min_duration_s"]:
                continue
            lon, lat = float(np.mean(g.rep_lon[i, a : b + 1])), float(np.mean(g.rep_lat[i, a : b + 1]))
            shore = float(geo.distance_to_shore_m(np.array([lon]), np.array([lat]))[0])
            if shore < p["min_shore_distance_m"]:
                continue
            out.append(
                truth_event(
                    "loitering",
                    (v.mmsi,),
                    g.times[a],
                    g.times[b],
                    lon,
                    lat,
                    {
                        "duration_s": round(float(g.times[b] - g.times[a])),
                        "mean_sog_kn": round(float(np.mean(g.sog_kn[i, a : b + 1])), 2),
                        "distance_to_shore_m": round(shore),
                        "sim_vessels": [v.vid],
                    },
                )
            )
    return out
