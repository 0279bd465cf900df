"""Ground truth of dark targets: radar and SAR contacts of vessels whose AIS was not heard
(definitions: `truth.py`)."""

from __future__ import annotations

import numpy as np
import polars as pl

from seawatch.model.event import Event
from seawatch.sim.geodata import haversine_m
from seawatch.sim.grid import StateGrid
from seawatch.sim.truth_base import (
    TRUTH_PARAMS,
    truth_event,
)


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


def dark_events(g: StateGrid, received: pl.DataFrame, radar: pl.DataFrame, sar: pl.DataFrame) -> list[Event]:
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
                if len(grp) < p["min_radar_contacts"]:
                    continue  # one or two stray plots: no product can tell them from clutter
                a = grp[0]
                if _other_ais_near(
                    g, str(vid), float(t[a]), float(lon[a]), float(lat[a]), p["max_ais_distance_m"]
                ):
                    continue
                out.append(
                    truth_event(
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
                truth_event(
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
