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
- dark_target: radar contacts of a vessel whose AIS was not received in the 15 min up to the contact (no
  projected AIS position), grouped per vessel
  while contacts follow each other within 10 min (one event per group); each SAR detection of such a vessel.
  Clutter and SAR false alarms are not truth.
- zone_entry / zone_exit: a transmitting vessel's reported position crosses into / out of a scenario zone
  between consecutive grid steps (a vessel first seen inside enters nothing).
- port_visit: reported position within 3 km of a WPI port (exit beyond 4 km); a vessel inside at its first
  report starts its visit then; a visit still open ends at the vessel's last report. Only a stay with a
  stop is a visit: consecutive received reports at ≤ `stop_max_sog_kn` spanning ≥ `min_stop_s` (the
  detection thresholds: seawatch/model/thresholds.py, one declaration for both).
- watchlist_hit: a watchlisted vessel's reports: first to last received report.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from seawatch.model.event import Event
from seawatch.model.thresholds import DARK_DISTANCE_M, DetectionThresholds, PortVisitConfig
from seawatch.sim.geodata import SimGeo, haversine_m
from seawatch.sim.grid import StateGrid
from seawatch.sim.scenario import Scenario
from seawatch.sim.vessel import SimVessel
from seawatch.timeutil import utc_from_epoch

NM_M = 1852.0
HEARD_WINDOW_S = 300.0


def _truth_params() -> dict[str, dict[str, float]]:
    """The thresholds of each truth definition: the detection thresholds (model/thresholds.py, one
    declaration), plus the few that only truth has (how long an AIS vessel stays known, dark contact
    grouping)."""
    c = _detect_config()
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
            "ais_window_s": 900.0,
            "max_contact_gap_s": 600.0,
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
def _detect_config() -> DetectionThresholds:
    return DetectionThresholds()


TRUTH_PARAMS: dict[str, dict[str, float]] = _truth_params()


def _event(
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


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
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
    events += _pairs(grid, geo)
    events += _loitering(grid, geo)
    events += _dark(grid, received, radar, sar)
    events += _zones(sc, grid)
    events += _ports(sc, grid, geo, received)
    events += _watchlist(grid, received)
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
            for a, b in _runs(mask):
                # a run sampled on the grid spans (b - a) steps; fast sailing covers the step after it too
                duration = (b - a + 1) * step if b + 1 < len(g.times) else (b - a) * step
                if duration < p["min_duration_s"]:
                    continue
                t_end = g.times[b]
                out.append(
                    _event(
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
                _event(
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
                _event(
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
            _event(
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


def _local_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.column_stack([lon * 111_320.0 * np.cos(np.radians(lat)), lat * 110_574.0])


def _port_tree(geo: SimGeo, g: StateGrid) -> tuple[cKDTree, list[Any]]:
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
    xy = _local_xy(np.array([p.lon for p in ports]), np.array([p.lat for p in ports]))
    return cKDTree(xy), ports


def _nearest_port_m(geo: SimGeo, lon: float, lat: float) -> float:
    return geo.nearest_port_m(lon, lat)[1]


def _pairs(g: StateGrid, geo: SimGeo) -> list[Event]:
    pe, pr = TRUTH_PARAMS["encounter"], TRUTH_PARAMS["rendezvous"]
    close: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for j in range(len(g.times)):
        idx = np.flatnonzero(g.ais_on[:, j])
        if len(idx) < 2:
            continue
        lon, lat = g.rep_lon[idx, j], g.rep_lat[idx, j]
        tree = cKDTree(_local_xy(lon, lat))
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
        va, vb = g.vessels[ia], g.vessels[ib]
        mmsi = tuple(sorted((va.mmsi, vb.mmsi)))
        encounters: list[Event] = []
        rendezvous: list[Event] = []
        for a, b in _runs(mask):
            if g.times[b] - g.times[a] < pe["min_duration_s"]:
                continue
            sog = np.concatenate([g.sog_kn[ia, a : b + 1], g.sog_kn[ib, a : b + 1]])
            if float(np.median(sog)) >= pe["max_median_sog_kn"]:
                continue
            lon = float(np.mean(g.rep_lon[[ia, ib], a : b + 1]))
            lat = float(np.mean(g.rep_lat[[ia, ib], a : b + 1]))
            if _nearest_port_m(geo, lon, lat) < pe["min_port_distance_m"]:
                continue
            encounters.append(
                _event(
                    "encounter",
                    mmsi,
                    g.times[a],
                    g.times[b],
                    lon,
                    lat,
                    {
                        "duration_s": round(float(g.times[b] - g.times[a])),
                        "median_distance_m": round(float(np.median(dist_full[a : b + 1]))),
                        "median_sog_kn": round(float(np.median(sog)), 2),
                        "sim_vessels": [va.vid, vb.vid],
                    },
                )
            )
        near = dist_full <= pr["max_distance_m"]
        # the detection config's speed rule (one declaration): mean of the two true speeds below it
        near &= (g.sog_kn[ia] + g.sog_kn[ib]) / 2.0 < pr["max_sog_kn"]
        for a, b in _runs(near):
            if g.times[b] - g.times[a] < pr["min_duration_s"]:
                continue
            lon = float(np.mean(g.rep_lon[[ia, ib], a : b + 1]))
            lat = float(np.mean(g.rep_lat[[ia, ib], a : b + 1]))
            if _nearest_port_m(geo, lon, lat) < pr["min_port_distance_m"]:
                continue
            rendezvous.append(
                _event(
                    "rendezvous",
                    mmsi,
                    g.times[a],
                    g.times[b],
                    lon,
                    lat,
                    {
                        "duration_s": round(float(g.times[b] - g.times[a])),
                        "median_distance_m": round(float(np.median(dist_full[a : b + 1]))),
                        "sim_vessels": [va.vid, vb.vid],
                    },
                )
            )
        # one meeting, one event: a rendezvous within an encounter of the pair is that encounter
        out += encounters + [r for r in rendezvous if not any(_overlap(r, e) for e in encounters)]
    return out


def _overlap(a: Event, b: Event) -> bool:
    return a.start <= b.end and b.start <= a.end


def _berthed(g: StateGrid, geo: SimGeo, ia: int, ib: int, steps: np.ndarray) -> np.ndarray:
    cfg = _detect_config().rendezvous  # the detection config's berth rule (one declaration for both)
    still = (g.sog_kn[ia, steps] <= cfg.berth_max_sog_kn) & (g.sog_kn[ib, steps] <= cfg.berth_max_sog_kn)
    out = np.zeros(len(steps), dtype=bool)
    if still.any():
        lon = (g.rep_lon[ia, steps[still]] + g.rep_lon[ib, steps[still]]) / 2.0
        lat = (g.rep_lat[ia, steps[still]] + g.rep_lat[ib, steps[still]]) / 2.0
        out[np.flatnonzero(still)] = geo.distance_to_shore_m(lon, lat) < cfg.berth_shore_distance_m
    return out


def _loitering(g: StateGrid, geo: SimGeo) -> list[Event]:
    p = TRUTH_PARAMS["loitering"]
    out = []
    for i, v in enumerate(g.vessels):
        slow = g.ais_on[i] & (g.sog_kn[i] < p["max_sog_kn"])
        for a, b in _runs(slow):
            if g.times[b] - g.times[a] < p["min_duration_s"]:
                continue
            lon, lat = float(np.mean(g.rep_lon[i, a : b + 1])), float(np.mean(g.rep_lat[i, a : b + 1]))
            shore = float(geo.distance_to_shore_m(np.array([lon]), np.array([lat]))[0])
            if shore < p["min_shore_distance_m"]:
                continue
            out.append(
                _event(
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


def _ais_known(received: pl.DataFrame, window_s: float) -> dict[str, np.ndarray]:
    if received.is_empty():
        return {}
    return {str(k[0]): np.sort(f["t"].to_numpy()) for k, f in received.group_by(["vid"], maintain_order=True)}


def _heard_near(known: dict[str, np.ndarray], vid: str, t: float, window_s: float, start_s: float) -> bool:
    """Heard in the window before t; in the scenario's first window, also just after it (the vessels were
    already transmitting before the scenario began: a running system would know them)."""
    times = known.get(vid)
    if times is None or len(times) == 0:
        return False
    k = int(np.searchsorted(times, t, side="right"))  # last report at or before the contact
    if k > 0 and t - float(times[k - 1]) <= window_s:
        return True
    return t < start_s + window_s and k < len(times) and float(times[k]) <= start_s + window_s


def _other_ais_near(g: StateGrid, vid: str, t: float, lon: float, lat: float, max_m: float) -> bool:
    j = int(
        np.clip(
            np.round((t - g.times[0]) / (g.times[1] - g.times[0] if len(g.times) > 1 else 60.0)),
            0,
            len(g.times) - 1,
        )
    )
    on = g.ais_on[:, j]
    if not on.any():
        return False
    d = haversine_m(lon, lat, g.rep_lon[on, j], g.rep_lat[on, j])
    vids = [v.vid for v, o in zip(g.vessels, on, strict=True) if o]
    return any(dd <= max_m and other != vid for dd, other in zip(d.tolist(), vids, strict=True))


def _dark(g: StateGrid, received: pl.DataFrame, radar: pl.DataFrame, sar: pl.DataFrame) -> list[Event]:
    p = TRUTH_PARAMS["dark_target"]
    start_s = float(g.times[0])
    known = _ais_known(received, p["ais_window_s"])
    out = []
    if not radar.is_empty():
        contacts = radar.filter(pl.col("vid").is_not_null()).sort(["vid", "t"])
        for (vid,), f in contacts.group_by(["vid"], maintain_order=True):
            t = f["t"].to_numpy()
            dark = np.array(
                [not _heard_near(known, str(vid), float(x), p["ais_window_s"], start_s) for x in t]
            )
            if not dark.any():
                continue
            lon, lat, sites = f["lon"].to_numpy(), f["lat"].to_numpy(), f["site"].to_list()
            idx = np.flatnonzero(dark)
            groups: list[list[int]] = [[int(idx[0])]]
            for k in idx[1:].tolist():
                if t[k] - t[groups[-1][-1]] <= p["max_contact_gap_s"] and dark[groups[-1][-1]]:
                    groups[-1].append(k)
                else:
                    groups.append([k])
            for grp in groups:
                a = grp[0]
                if _other_ais_near(
                    g, str(vid), float(t[a]), float(lon[a]), float(lat[a]), p["max_ais_distance_m"]
                ):
                    continue
                out.append(
                    _event(
                        "dark_target",
                        (),
                        t[a],
                        t[grp[-1]],
                        lon[a],
                        lat[a],
                        {
                            "sensor": "radar",
                            "contacts": len(grp),
                            "end_lat": round(float(lat[grp[-1]]), 6),
                            "end_lon": round(float(lon[grp[-1]]), 6),
                            "sites": sorted({sites[k] for k in grp}),
                            "sim_vessels": [str(vid)],
                        },
                    )
                )
    if not sar.is_empty():
        for row in sar.filter(pl.col("vid").is_not_null()).iter_rows(named=True):
            if _heard_near(known, row["vid"], row["t"], p["ais_window_s"], start_s):
                continue
            if _other_ais_near(g, row["vid"], row["t"], row["lon"], row["lat"], p["max_ais_distance_m"]):
                continue
            out.append(
                _event(
                    "dark_target",
                    (),
                    row["t"],
                    row["t"],
                    row["lon"],
                    row["lat"],
                    {
                        "sensor": "satellite",
                        "detection_id": row["detection_id"],
                        "scene_id": row["scene_id"],
                        "sim_vessels": [row["vid"]],
                    },
                )
            )
    return out


def _zones(sc: Scenario, g: StateGrid) -> list[Event]:
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
                    _event(
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


def _ports(sc: Scenario, g: StateGrid, geo: SimGeo, received: pl.DataFrame) -> list[Event]:
    p = TRUTH_PARAMS["port_visit"]
    tree, ports = _port_tree(geo, g)
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
        _, near = tree.query(_local_xy(lon, lat))
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
    return _detect_config().port_visit


def _stopped(heard: tuple[np.ndarray, np.ndarray] | None, t0: float, t1: float) -> bool:
    """A stop during a stay [t0, t1]: consecutive received reports at ≤ stop_max_sog_kn spanning ≥
    min_stop_s (what a perfect system can know of a stop: the reports it received)."""
    if heard is None:
        return False
    cfg = _port_visit_config()
    t, sog = heard
    inside = (t >= t0) & (t <= t1)
    slow = inside & (sog <= cfg.stop_max_sog_kn)
    for a, b in _runs(slow):  # split where reports are further apart than max_stop_gap_s
        cuts = np.flatnonzero(np.diff(t[a : b + 1]) > cfg.max_stop_gap_s)
        bounds = [a, *(a + cuts + 1).tolist(), b + 1]
        if any(t[hi - 1] - t[lo] >= cfg.min_stop_s for lo, hi in itertools.pairwise(bounds)):
            return True
    return False


def _visit(g: StateGrid, i: int, idx: np.ndarray, a: int, b: int, port: Any, exited: bool) -> Event:
    v = g.vessels[i]
    ja, jb = int(idx[a]), int(idx[b])
    return _event(
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


def _watchlist(g: StateGrid, received: pl.DataFrame) -> list[Event]:
    out = []
    for v in g.vessels:
        if not v.watchlisted:
            continue
        f = received.filter(pl.col("vid") == v.vid).sort("t")
        if f.is_empty():
            continue
        first, last = f.row(0, named=True), f.row(f.height - 1, named=True)
        out.append(
            _event(
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


def truth_summary(events: list[Event]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for e in events:
        counts[e.type] += 1
    return dict(sorted(counts.items()))
