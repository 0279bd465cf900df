"""Decoded AIS messages (pyais field dicts with provenance, `DecodedAis`) checked and converted: the
minimum bits per type, impossible values (`check_values`), and the model types (`to_models`:
`AisPosition`, `AisStatic`; "not available" sentinels become None)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from seawatch.model.observation import AisPosition, AisStatic

# Minimum payload bits per message type (ITU-R M.1371; type 5 allows the 420-bit variant some
# transmitters send, type 24 part A the 160-bit form, type 21 the 268-bit form seen from real AtoNs
# in pyais's vectors; types 1-3 down to 163 bits, as gpsd: a 28-character payload with fill bits, which
# gpsd and pyais both decode, only the radio field cut short). Shorter payloads are `truncated_payload`.
MIN_BITS: dict[int, int] = {
    0: 168,
    1: 163,
    2: 163,
    3: 163,
    4: 168,
    5: 420,
    6: 88,
    7: 72,
    8: 56,
    9: 168,
    10: 72,
    11: 168,
    12: 72,
    13: 72,
    14: 40,
    15: 88,
    16: 96,
    17: 80,
    18: 168,
    19: 312,
    20: 72,
    21: 268,
    22: 168,
    23: 160,
    24: 160,
    25: 40,
    26: 60,
    27: 96,
}
POSITION_TYPES = frozenset({0, 1, 2, 3, 4, 9, 11, 18, 19, 21, 27})
STATIC_TYPES = frozenset({5, 19, 24})
MIN_MMSI = 100_000
LAT_NA = 91.0
LON_NA = 181.0


@dataclass(frozen=True, slots=True)
class DecodedAis:
    """One decoded AIS message: pyais's fields (`asdict(enum_as_int=True)`) and where it came from."""

    fields: dict[str, Any]
    raw: str
    source: str = ""
    received_at: datetime | None = None
    station: str | None = None
    line_no: int | None = None

    @property
    def msg_type(self) -> int:
        return int(self.fields.get("msg_type") or 0)


def plain(value: Any) -> Any:
    """Enums to their values, so dicts serialise as pyais's `enum_as_int` would."""
    if isinstance(value, enum.Enum):
        return value.value
    return value


def check_values(fields: dict[str, Any]) -> str | None:
    """The reject reason for impossible decoded values, or None (see the module doc)."""
    mmsi = fields.get("mmsi")
    if mmsi is None or int(mmsi) < MIN_MMSI:
        return "invalid_mmsi"
    if fields.get("msg_type") == 17:  # pyais gives type 17 positions in raw 1/10 minutes
        return None
    lat = fields.get("lat")
    if lat is not None and abs(lat) > 90.0 and lat != LAT_NA:
        return "impossible_lat"
    lon = fields.get("lon")
    if lon is not None and abs(lon) > 180.0 and lon != LON_NA:
        return "impossible_lon"
    return None


def _none_if(value: Any, *sentinels: Any) -> Any:
    return None if value is None or value in sentinels else value


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("@", "").strip()
    return value or None


def speed_kn(fields: dict[str, Any]) -> float | None:
    msg_type = fields.get("msg_type")
    speed = fields.get("speed")
    if speed is None:
        return None
    if msg_type == 27:
        return None if speed >= 63 else float(speed)
    if msg_type == 9:
        return None if speed >= 1023 else float(speed)
    return None if speed >= 102.3 else float(speed)


def course_deg(fields: dict[str, Any]) -> float | None:
    course = fields.get("course")
    if course is None:
        return None
    limit = 511 if fields.get("msg_type") == 27 else 360.0
    return None if course >= limit or course < 0 else float(course)


def heading_deg(fields: dict[str, Any]) -> int | None:
    heading = fields.get("heading")
    if heading is None or heading >= 360:
        return None
    return int(heading)


def to_models(dec: DecodedAis) -> list[AisPosition | AisStatic]:
    """Model types for one decoded message; sentinels ("not available") become None.

    A position report whose position is not available (lat 91 / lon 181) gives no `AisPosition`.
    """
    f = dec.fields
    t = dec.msg_type
    out: list[AisPosition | AisStatic] = []
    mmsi = int(f["mmsi"])
    if t in POSITION_TYPES:
        lat, lon = f.get("lat"), f.get("lon")
        if lat is not None and lon is not None and lat != LAT_NA and lon != LON_NA:
            status = f.get("status")
            out.append(
                AisPosition(
                    mmsi=mmsi,
                    msg_type=t,
                    lat=float(lat),
                    lon=float(lon),
                    speed=speed_kn(f),
                    course=course_deg(f),
                    heading=heading_deg(f),
                    status=int(status) if status is not None and t in (0, 1, 2, 3, 27) else None,
                    received_at=dec.received_at,
                    station=dec.station,
                    source=dec.source,
                )
            )
    if t in STATIC_TYPES:
        imo = f.get("imo")
        draught = f.get("draught")
        out.append(
            AisStatic(
                mmsi=mmsi,
                msg_type=t,
                shipname=_text(f.get("shipname")),
                callsign=_text(f.get("callsign")),
                imo=_none_if(imo, 0),
                ship_type=_none_if(f.get("ship_type"), 0),
                to_bow=_none_if(f.get("to_bow"), 0),
                to_stern=_none_if(f.get("to_stern"), 0),
                to_port=_none_if(f.get("to_port"), 0),
                to_starboard=_none_if(f.get("to_starboard"), 0),
                draught=None if not draught else float(draught),
                destination=_text(f.get("destination")),
                received_at=dec.received_at,
                station=dec.station,
                source=dec.source,
            )
        )
    return out
