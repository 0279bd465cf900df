"""Ground truth: the events a perfect system would report for a simulated scenario, computed from the
scenario's construction and the true states (never by seawatch.detect's code).

What "perfect" sees: AIS as reported (spoofed positions included) on a 60 s grid of true states wherever a
station heard the vessel within ±5 min ("heard"); AIS gaps from the reports actually received; radar and
SAR contacts as simulated. So coverage holes hide events exactly as they would from a real system.
Definitions (PRODUCT.md defaults; TRUTH_PARAMS below):
- ais_gap: two consecutive received reports of one MMSI ≥ 6 h apart, the last one before the gap ≥ 10 nm
  from shore. Start/end = the two reports; position = the one before the gap. A vessel silent from its
  last report to the scenario's end for ≥ 6 h has an open gap (`open: true`, end = scenario end).
- encounter: two AIS vessels (reported positions) ≤ 500 m apart on consecutive grid steps for ≥ 2 h, median
  of both true speeds over the run < 2 kn, run's mean position ≥ 10 km from every WPI port.
- rendezvous: ≤ 250 m for ≥ 30 min, mean of the two true speeds < max_sog_kn (3 kn) on each step, run's
  mean position ≥ 3 km from every WPI port (the near-shore profile:
  vessels moored side by side in a port are a port stay, not a rendezvous). Steps where both vessels are
  still (≤ berth_max_sog_kn) within berth_shore_distance_m of the coastline are two ships at a berth: no
  pair step (encounters too). A rendezvous overlapping an encounter of the pair is that encounter.
- loitering: one AIS vessel with true speed < 2 kn on consecutive grid steps for ≥ 4 h, mean position ≥ 20 nm
  from shore.
- speed_anomaly: true speed ≥ 25 kn for ≥ 10 min by a vessel not declared high-speed / law enforcement;
  while its AIS is on (mmsi given) or, without AIS, while inside some radar's range (mmsi empty).
- position_jump: consecutive received reports of one MMSI implying > 60 kn (spoofing), MMSIs used by
  two vessels excepted (they are identity_conflict).
- identity_conflict: an MMSI transmitted by two vessels at once; start/end = overlap of their receptions.
- dark_target: radar contacts of a vessel whose AIS was not received in the 30 min up to the contact (no
  projected AIS position: fusion's `ais_projection_max_s`, `AIS_SILENT_S`), grouped per vessel
  while contacts follow each other within 10 min (one event per group of at least 3 radar plots, the
  product's `dark_min_contacts`: one or two stray plots cannot be told from clutter); each SAR detection
  of such a vessel. Clutter and SAR false alarms are not truth.
- zone_entry / zone_exit: a transmitting vessel's reported position crosses into / out of a scenario zone
  between consecutive grid steps (a vessel first seen inside enters nothing).
- port_visit: reported position within 3 km of a WPI port (exit beyond 4 km); a vessel inside at its first
  report starts its visit then; a visit still open ends at the vessel's last report. Only a stay with a
  stop is a visit: consecutive received reports at ≤ `stop_max_sog_kn` spanning ≥ `min_stop_s` (the
  detection thresholds: seawatch/model/thresholds.py, one declaration for both).
- watchlist_hit: a watchlisted vessel's reports: first to last received report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np
import polars as pl

from seawatch.model.event import Event
from seawatch.sim.geodata import SimGeo, haversine_m
from seawatch.sim.grid import StateGrid
from seawatch.sim.scenario import Scenario
from seawatch.sim.truth_base import (
    HEARD_WINDOW_S,
    NM_M,
    TRUTH_PARAMS,
    runs_of,
    shared_mmsis,
    truth_event,
)
from seawatch.sim.truth_dark import dark_events
from seawatch.sim.truth_pairs import loitering_events, pair_events
from seawatch.sim.truth_places import port_events, watchlist_events, zone_events


def compute_truth(
    sc: Scenario, grid: StateGrid, received: pl.DataFrame, radar: pl.DataFrame, sar: pl.DataFrame, geo: SimGeo
) -> list[Event]:
    shared = shared_mmsis(grid.vessels)
    grid = replace(grid, ais_on=heard_mask(grid, received))
    events: list[Event] = []
    events += _speed(sc, grid)
    events += _gaps(received, shared, geo, sc.end_epoch_s)
    events += _jumps(received, shared)
    events += _identity(received, shared)
    events += pair_events(grid, geo)
    events += loitering_events(grid, geo)
    events += dark_events(grid, received, radar, sar)
    events += zone_events(sc, grid)
    events += port_events(sc, grid, geo, received)
    events += watchlist_events(grid, received)
    events.sort(key=lambda e: (e.start, e.type, e.mmsi, e.lat, e.lon))
    return events


def heard_mask(g: StateGrid, received: pl.DataFrame, window_s: float = HEARD_WINDOW_S) -> np.ndarray:
    """(V, T): the vessel transmits and some station heard one of its reports within ±window_s."""
    heard = np.zeros(g.ais_on.shape, dtype=bool)
    if received.is_empty():
        return heard
    by_vid = {
        str(k[0]): np.sort(f["t"].to_numpy()) for k, f in received.group_by(["vid"], maintain_order=True)
    }
    for i, v in enumerate(g.vessels):
        times = by_vid.get(v.vid)
        if times is None or len(times) == 0:
            continue
        k = (
            np.clip(np.searchsorted(times, g.times), 1, len(times) - 1)
            if len(times) > 1
            else np.zeros(len(g.times), dtype=int)
        )
        nearest = np.minimum(np.abs(times[k] - g.times), np.abs(times[np.maximum(k - 1, 0)] - g.times))
        heard[i] = g.ais_on[i] & (nearest <= window_s)
    return heard


def _speed(sc: Scenario, g: StateGrid) -> list[Event]:
    out = []
    p = TRUTH_PARAMS["speed_anomaly"]
    radar_cover = np.zeros(g.present.shape, dtype=bool)
    for site in sc.radars:
        radar_cover |= haversine_m(site.lon, site.lat, g.lon, g.lat) <= site.range_m
    step = float(g.times[1] - g.times[0]) if len(g.times) > 1 else 60.0
    for i, v in enumerate(g.vessels):
        if v.speed_exempt:
            continue
        fast = g.present[i] & (g.sog_kn[i] >= p["min_sog_kn"])
        for mask, mmsi, sensor in (
            (fast & g.ais_on[i], (v.mmsi,), "ais"),
            (fast & ~g.ais_on[i] & radar_cover[i], (), "radar"),
        ):
            for a, b in runs_of(mask):
                # a run sampled on the grid spans (b - a) steps; fast sailing covers the step after it too
                duration = (b - a + 1) * step if b + 1 < len(g.times) else (b - a) * step
                if duration < p["min_duration_s"]:
                    continue
                t_end = g.times[b]
                out.append(
                    truth_event(
                        "speed_anomaly",
                        mmsi,
                        g.times[a],
                        t_end,
                        g.rep_lon[i, a] if mmsi else g.lon[i, a],
                        g.rep_lat[i, a] if mmsi else g.lat[i, a],
                        {
                            "max_sog_kn": round(float(g.sog_kn[i, a : b + 1].max()), 1),
                            "mean_sog_kn": round(float(g.sog_kn[i, a : b + 1].mean()), 1),
                            "duration_s": round(float(t_end - g.times[a])),
                            "sensor": sensor,
                            "end_lat": round(float(g.rep_lat[i, b] if mmsi else g.lat[i, b]), 6),
                            "end_lon": round(float(g.rep_lon[i, b] if mmsi else g.lon[i, b]), 6),
                            "sim_vessels": [v.vid],
                        },
                    )
                )
    return out


def _per_mmsi(received: pl.DataFrame) -> dict[int, pl.DataFrame]:
    if received.is_empty():
        return {}
    return {int(k[0]): f.sort("t") for k, f in received.group_by(["mmsi"], maintain_order=True)}


def _gaps(received: pl.DataFrame, shared: set[int], geo: SimGeo, end_s: float) -> list[Event]:
    p = TRUTH_PARAMS["ais_gap"]
    out = []
    for mmsi, f in sorted(_per_mmsi(received).items()):
        if mmsi in shared:
            continue
        # an open gap (silent until the end of the scenario) ends at the scenario's end
        t = np.append(f["t"].to_numpy(), end_s)
        f = pl.concat([f, f.tail(1)])
        gaps = np.flatnonzero(np.diff(t) >= p["min_gap_s"])
        if len(gaps) == 0:
            continue
        lon, lat = f["lon"].to_numpy(), f["lat"].to_numpy()
        shore = geo.distance_to_shore_m(lon[gaps], lat[gaps])
        vid = f["vid"][0]
        for k, d in zip(gaps.tolist(), shore.tolist(), strict=True):
            if d < p["min_shore_distance_m"]:
                continue
            out.append(
                truth_event(
                    "ais_gap",
                    (mmsi,),
                    t[k],
                    t[k + 1],
                    lon[k],
                    lat[k],
                    {
                        "duration_s": round(float(t[k + 1] - t[k])),
                        "open": k + 1 == len(t) - 1,
                        **(
                            {}
                            if k + 1 == len(t) - 1
                            else {
                                "end_lat": round(float(lat[k + 1]), 6),
                                "end_lon": round(float(lon[k + 1]), 6),
                            }
                        ),
                        "distance_to_shore_m": round(d),
                        "sim_vessels": [vid],
                    },
                )
            )
    return out


def _jumps(received: pl.DataFrame, shared: set[int]) -> list[Event]:
    p = TRUTH_PARAMS["position_jump"]
    out = []
    for mmsi, f in sorted(_per_mmsi(received).items()):
        if mmsi in shared or f.height < 2:
            continue
        t, lon, lat = f["t"].to_numpy(), f["lon"].to_numpy(), f["lat"].to_numpy()
        dist = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        dt = np.maximum(np.diff(t), 1.0)
        implied = dist / dt / (NM_M / 3600.0)
        for k in np.flatnonzero(implied > p["max_implied_sog_kn"]).tolist():
            out.append(
                truth_event(
                    "position_jump",
                    (mmsi,),
                    t[k],
                    t[k + 1],
                    lon[k + 1],
                    lat[k + 1],
                    {
                        "distance_m": round(float(dist[k])),
                        "implied_sog_kn": round(float(implied[k]), 1),
                        "from_lat": round(float(lat[k]), 6),
                        "from_lon": round(float(lon[k]), 6),
                        "sim_vessels": [f["vid"][0]],
                    },
                )
            )
    return out


def _identity(received: pl.DataFrame, shared: set[int]) -> list[Event]:
    out = []
    for mmsi in sorted(shared):
        f = received.filter(pl.col("mmsi") == mmsi)
        spans = (
            f.group_by("vid").agg(pl.col("t").min().alias("t0"), pl.col("t").max().alias("t1")).sort("vid")
        )
        if spans.height < 2:
            continue
        t0, t1 = float(spans["t0"].max()), float(spans["t1"].min())  # type: ignore[arg-type]
        if t1 <= t0:
            continue
        first = f.filter(pl.col("t") >= t0).sort("t").row(0, named=True)
        out.append(
            truth_event(
                "identity_conflict",
                (mmsi,),
                t0,
                t1,
                first["lon"],
                first["lat"],
                {"reason": "mmsi transmitted by two vessels at once", "sim_vessels": spans["vid"].to_list()},
            )
        )
    return out


def truth_summary(events: list[Event]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for e in events:
        counts[e.type] += 1
    return dict(sorted(counts.items()))
