"""Events: what a watch officer must see. One JSON shape for `seawatch detect`, truth files and the API."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seawatch.model.severity import SEVERITIES, default_severity
from seawatch.timeutil import iso_utc, parse_utc

EVENT_TYPES = (
    "ais_gap",
    "encounter",
    "rendezvous",
    "loitering",
    "zone_entry",
    "zone_exit",
    "speed_anomaly",
    "position_jump",
    "identity_conflict",
    "dark_target",
    "port_visit",
    "watchlist_hit",
    "sensor_silent",
)


@dataclass(frozen=True, slots=True)
class Event:
    """An event with its provenance: the vessels, the time span, where, and the parameters that fired it.

    `mmsi` is always a list (two entries for encounters and rendezvous; empty for a dark target).
    `details` holds type-specific facts (distance_m, duration_s, median_sog_kn, zone...);
    `params` the thresholds in force when it fired, so anyone can ask "why?" (`details["why"]`, when
    the detector gives it, is the rule with each measured value against its threshold).
    `severity` is `alert` or `notice` (model/severity.py); empty means the type's default.
    """

    type: str
    mmsi: tuple[int, ...]
    start: datetime
    end: datetime
    lat: float
    lon: float
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    track_ids: tuple[str, ...] = ()
    severity: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", default_severity(self.type))
        elif self.severity not in SEVERITIES:
            raise ValueError(f"event severity {self.severity!r}: expected one of {', '.join(SEVERITIES)}")

    @property
    def event_id(self) -> str:
        """Stable id from what identifies the event, so live and bulk, and replays, agree."""
        return self._id(iso_utc(self.start))

    def _id(self, start_iso: str) -> str:
        vessels = ",".join(map(str, sorted(self.mmsi)))
        key = f"{self.type}|{vessels}|{','.join(self.track_ids)}|{start_iso}"
        if "zone_id" in self.details:  # one crossing can enter several (nested) zones at once
            key += f"|{self.details['zone_id']}"
        return hashlib.sha1(key.encode()).hexdigest()[:16]

    @property
    def supersedes(self) -> tuple[str, ...]:
        """Ids of events this one replaces (an encounter raised earlier as a rendezvous): a consumer
        keeping events by id drops these when it keeps this one."""
        ids = self.details.get("supersedes")
        return tuple(str(i) for i in ids) if isinstance(ids, list) else ()

    def to_json(self) -> dict[str, Any]:
        start = iso_utc(self.start)
        return {
            "id": self._id(start),
            "type": self.type,
            "severity": self.severity,
            "mmsi": list(self.mmsi),
            "start": start,
            "end": iso_utc(self.end),
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "details": self.details,
            "params": self.params,
            **({"track_ids": list(self.track_ids)} if self.track_ids else {}),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Event:
        mmsi = obj.get("mmsi") or []
        return cls(
            type=obj["type"],
            mmsi=tuple(int(m) for m in (mmsi if isinstance(mmsi, list) else [mmsi])),
            start=parse_utc(obj["start"]),
            end=parse_utc(obj["end"]),
            lat=float(obj["lat"]),
            lon=float(obj["lon"]),
            details=dict(obj.get("details") or {}),
            params=dict(obj.get("params") or {}),
            track_ids=tuple(obj.get("track_ids") or ()),
            severity=str(obj.get("severity") or ""),
        )
