"""First sensor contact of each truth event's vessels: the start of its alert-latency clock.

`first_contact_s` (epoch s) in a truth event's details is the first time any sensor (an AIS report
received by a station, a radar plot, a SAR detection) saw the event's vessel between the event's start
and end; for two-vessel events, the later of the two vessels' first contacts (both must be seen). Null
when a vessel was never seen in that span. `seawatch score` reports alert latency from it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from seawatch.model.event import Event


def _times_by_vessel(frames: list[pl.DataFrame]) -> dict[str, np.ndarray]:
    parts = [
        f.select(pl.col("vid"), pl.col("t").cast(pl.Float64))
        for f in frames
        if {"vid", "t"} <= set(f.columns)
    ]
    if not parts:
        return {}
    seen = pl.concat(parts).drop_nulls().sort("t")
    return {str(k[0]): g["t"].to_numpy() for k, g in seen.group_by(["vid"], maintain_order=True)}


def with_first_contacts(truth: list[Event], sensor_frames: list[pl.DataFrame]) -> list[Event]:
    times = _times_by_vessel(sensor_frames)
    out = []
    for event in truth:
        vids = event.details.get("sim_vessels") or []
        if not vids:
            out.append(event)
            continue
        t0, t1 = event.start.timestamp(), event.end.timestamp()
        firsts = []
        for vid in vids:
            seen = times.get(str(vid), np.empty(0))
            k = int(np.searchsorted(seen, t0, side="left"))
            firsts.append(float(seen[k]) if k < len(seen) and seen[k] <= t1 else None)
        first = None if None in firsts else max(f for f in firsts if f is not None)
        out.append(dataclasses.replace(event, details={**event.details, "first_contact_s": first}))
    return out
