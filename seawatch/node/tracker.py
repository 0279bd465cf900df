"""`LatestStateTracker`: the node's fallback track stage (one track per MMSI / sensor target).

Used until fusion's live tracker is wired in: it keeps the latest state per key, derives speed and
course from consecutive fixes when the report has none, and carries identity from AIS statics.
Pure: no I/O, time comes from the observations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from seawatch.model import AisStatic, Event, Observation
from seawatch.store.base import TrackState

EARTH_RADIUS_M = 6_371_008.8
M_PER_NM = 1852.0


def track_key(obs: Observation) -> str:
    """`mmsi:<mmsi>` for identified objects, else `<sensor>:<target_ref or source>`."""
    track_id = obs.extra.get("track_id") if obs.extra else None
    if track_id:
        return str(track_id)
    if obs.mmsi is not None:
        return f"mmsi:{obs.mmsi}"
    return f"{obs.sensor.value}:{obs.target_ref or obs.source}"


def _speed_course(a: TrackState, b: Observation) -> tuple[float | None, float | None]:
    dt_s = (b.time - a.time).total_seconds()
    if dt_s <= 0:
        return None, None
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    dist_m = 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    course = (math.degrees(math.atan2(y, x)) + 360.0) % 360.0
    return dist_m / M_PER_NM / (dt_s / 3600.0), course


def _add(values: tuple[str, ...], value: str | None) -> tuple[str, ...]:
    if not value or value in values:
        return values
    return (*values, value)


class LatestStateTracker:
    """Per-key latest state; `update` returns each observation's key and its new state."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.states: dict[str, TrackState] = {}
        self.identity: dict[int, tuple[str | None, int | None]] = {}

    def update(self, observations: Sequence[Observation]) -> list[tuple[str, TrackState | None]]:
        out: list[tuple[str, TrackState | None]] = []
        for obs in observations:
            key = track_key(obs)
            prev = self.states.get(key)
            if prev is not None and obs.time < prev.time:
                out.append((key, prev))  # late report: keep it in history, the picture stays
                continue
            sog, cog = obs.sog_kn, obs.cog_deg
            if (sog is None or cog is None) and prev is not None:
                d_sog, d_cog = _speed_course(prev, obs)
                sog = d_sog if sog is None else sog
                cog = d_cog if cog is None else cog
            origin = str(obs.extra.get("node", self.node_id)) if obs.extra else self.node_id
            name, ship_type = (
                self.identity.get(obs.mmsi, (None, None)) if obs.mmsi is not None else (None, None)
            )
            base = prev or TrackState(track_id=key, time=obs.time, lat=obs.lat, lon=obs.lon, mmsi=obs.mmsi)
            state = replace(
                base,
                time=obs.time,
                lat=obs.lat,
                lon=obs.lon,
                mmsi=obs.mmsi if obs.mmsi is not None else base.mmsi,
                sog_kn=sog,
                cog_deg=cog,
                heading_deg=obs.heading_deg,
                name=name or base.name,
                ship_type=ship_type if ship_type is not None else base.ship_type,
                sources=_add(base.sources, obs.sensor.value),
                sensors=_add(base.sensors, obs.station or obs.source),
                nodes=_add(base.nodes, origin),
                dark=obs.mmsi is None and base.mmsi is None,
            )
            self.states[key] = state
            out.append((key, state))
        return out

    def take_events(self) -> list[Event]:
        return []  # one track per MMSI / target raises no event of its own

    def resume(self, states: list[TrackState]) -> None:
        """Continue from the states kept in the store (after a restart)."""
        self.states.update({s.track_id: s for s in states})

    def observe_static(self, static: AisStatic) -> TrackState | None:
        name = static.shipname.strip() if static.shipname else None
        old_name, old_type = self.identity.get(static.mmsi, (None, None))
        self.identity[static.mmsi] = (
            name or old_name,
            static.ship_type if static.ship_type is not None else old_type,
        )
        key = f"mmsi:{static.mmsi}"
        prev = self.states.get(key)
        if prev is None:
            return None
        new_name, new_type = self.identity[static.mmsi]
        if (new_name, new_type) == (prev.name, prev.ship_type):
            return None
        self.states[key] = replace(prev, name=new_name, ship_type=new_type)
        return self.states[key]

    def drop_older_than(self, epoch_s: float) -> int:
        """Forget tracks last seen before `epoch_s` (data time); return how many."""
        stale = [k for k, s in self.states.items() if s.time.timestamp() < epoch_s]
        for key in stale:
            del self.states[key]
        return len(stale)
