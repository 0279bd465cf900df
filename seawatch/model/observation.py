"""Frozen value types for what sensors report.

Times are tz-aware UTC. Units are in the names where they are not obvious. Field names of the AIS
types follow pyais so that `seawatch decode` output and these types speak the same language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SensorKind(StrEnum):
    AIS = "ais"
    RADAR = "radar"
    SATELLITE = "satellite"
    SIGHTING = "sighting"
    PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line or record a source could not use, kept with the reason so nothing bad vanishes silently."""

    raw: str
    reason: str
    source: str
    line_no: int | None = None


@dataclass(frozen=True, slots=True)
class AisPosition:
    """An AIS position report (types 1, 2, 3, 18, 19, 27 and the position part of 4/9/21)."""

    mmsi: int
    msg_type: int
    lat: float
    lon: float
    speed: float | None = None  # knots over ground
    course: float | None = None  # degrees true over ground
    heading: int | None = None  # degrees true, None when 511 (not available)
    status: int | None = None  # navigation status code
    received_at: datetime | None = None
    station: str | None = None  # receiving station (tag block s:)
    source: str = ""


@dataclass(frozen=True, slots=True)
class AisStatic:
    """Static and voyage data (types 5, 24, 19 identity part)."""

    mmsi: int
    msg_type: int
    shipname: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    to_bow: int | None = None
    to_stern: int | None = None
    to_port: int | None = None
    to_starboard: int | None = None
    draught: float | None = None
    destination: str | None = None
    received_at: datetime | None = None
    station: str | None = None
    source: str = ""

    @property
    def length_m(self) -> int | None:
        if self.to_bow is None or self.to_stern is None:
            return None
        return self.to_bow + self.to_stern or None


@dataclass(frozen=True, slots=True)
class Observation:
    """One sensor's report of one object at one time: the unit that feeders, fusion and detectors consume.

    `time` is when the position was valid (for AIS without better knowledge, the receive time);
    `received_at` is when our receiver got it. `mmsi` is set for AIS and for contacts already
    identified; `target_ref` is the sensor's own id for radar targets and satellite detections.
    """

    time: datetime
    lat: float
    lon: float
    sensor: SensorKind
    source: str
    mmsi: int | None = None
    target_ref: str | None = None
    sog_kn: float | None = None
    cog_deg: float | None = None
    heading_deg: float | None = None
    station: str | None = None
    received_at: datetime | None = None
    length_m: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_ais(cls, pos: AisPosition, time: datetime) -> Observation:
        return cls(
            time=time,
            lat=pos.lat,
            lon=pos.lon,
            sensor=SensorKind.AIS,
            source=pos.source,
            mmsi=pos.mmsi,
            sog_kn=pos.speed,
            cog_deg=pos.course,
            heading_deg=None if pos.heading is None else float(pos.heading),
            station=pos.station,
            received_at=pos.received_at,
        )
