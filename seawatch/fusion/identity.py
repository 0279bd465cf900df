"""Fusion's `identity` association (`FusionConfig.association = "identity"`): one track per reported
identity, no kinematic association.

A report's track is its identity: `mmsi:<mmsi>` for identified objects, else `<sensor>:<target_ref or
source>` (or the track id a partner gave it). The state is the latest report; speed and course come from
consecutive fixes when the report has none; a report older than the track's last one leaves the state
as it is (kept in history). Pure: no I/O, time comes from the observations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from seawatch.fusion.steps import TrackStep
from seawatch.model import Observation, SensorKind

EARTH_RADIUS_M = 6_371_008.8
M_PER_NM = 1852.0


def identity_key(obs: Observation) -> str:
    """`mmsi:<mmsi>` for identified objects, else `<sensor>:<target_ref or source>`; a partner's own
    track id when it gave one."""
    track_id = obs.extra.get("track_id") if obs.extra else None
    if track_id:
        return str(track_id)
    if obs.mmsi is not None:
        return f"mmsi:{obs.mmsi}"
    return f"{obs.sensor.value}:{obs.target_ref or obs.source}"


@dataclass(frozen=True, slots=True)
class LastFix:
    """What an identity track remembers: its last report's time (epoch s), position and MMSI."""

    t: float
    lat: float
    lon: float
    mmsi: int | None


def _speed_course(a: LastFix, b: Observation) -> tuple[float | None, float | None]:
    dt_s = b.time.timestamp() - a.t
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


class IdentityTracks:
    """`assign(observations)` -> per observation its track id, and one `TrackStep` per report that moved
    its track (input order; a late report gives its track id and no step)."""

    def __init__(self) -> None:
        self.last: dict[str, LastFix] = {}

    def assign(self, observations: Sequence[Observation]) -> tuple[list[str | None], list[TrackStep]]:
        ids: list[str | None] = []
        steps: list[TrackStep] = []
        for obs in observations:
            key = identity_key(obs)
            ids.append(key)
            prev = self.last.get(key)
            t = obs.time.timestamp()
            if prev is not None and t < prev.t:
                continue  # late report: kept in history, the picture stays
            sog, cog = obs.sog_kn, obs.cog_deg
            if (sog is None or cog is None) and prev is not None:
                d_sog, d_cog = _speed_course(prev, obs)
                sog = d_sog if sog is None else sog
                cog = d_cog if cog is None else cog
            mmsi = obs.mmsi if obs.mmsi is not None else (prev.mmsi if prev is not None else None)
            self.last[key] = LastFix(t, obs.lat, obs.lon, mmsi)
            steps.append(
                TrackStep(
                    kind="updated" if prev is not None else "created",
                    track_id=key,
                    time=obs.time,
                    lat=obs.lat,
                    lon=obs.lon,
                    sog_kn=sog,
                    cog_deg=cog,
                    mmsi=mmsi,
                    sensors=(obs.station or obs.source,),
                    sources=(SensorKind(obs.sensor).value,),
                    heading_deg=obs.heading_deg,
                )
            )
        return ids, steps

    def resume(self, key: str, fix: LastFix) -> None:
        """After a restart: the stored track's last fix (late reports and speeds are judged against it)."""
        self.last[key] = fix

    def drop_older_than(self, epoch_s: float) -> None:
        for key in [k for k, fix in self.last.items() if fix.t < epoch_s]:
            del self.last[key]
