"""A released track as NMEA 0183 sentences a chart plotter reads.

- A vessel identified by AIS (an MMSI, not dark): `!AIVDM` type 1 (position report: lat/lon to
  1/10000 minute, speed 0.1 kn, course 0.1°, true heading, UTC second), and at the static interval a
  type 5 (name, ship type) when a name or type is released; encoded by pyais.
- Anything else (radar-only, satellite, dark targets, or a vessel whose MMSI the policy withholds):
  `$--TLL` (target latitude/longitude, IEC 61162-1) with a two-digit target number, the name
  `DARK`/`RADAR`/`TGT` + number, the fix time and status `T` (tracked), encoded by pynmea2. Plotters
  (OpenCPN, gpsd) show it as a radar target (ARPA), not as an AIS vessel.
Unknown values are AIS's "not available" (speed 102.3, course 360, heading 511).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pynmea2
from pyais import encode_dict

AIS_STATUS_NOT_DEFINED = 15
SPEED_NA, COURSE_NA, HEADING_NA = 102.3, 360.0, 511


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None


def position_report(data: dict[str, Any], at: datetime, seq: int) -> list[str]:
    """AIS type 1 for a released track (`mmsi`, `lat`, `lon`, `sog_kn`, `cog_deg`, `heading_deg`)."""
    sog, cog, heading = _num(data.get("sog_kn")), _num(data.get("cog_deg")), _num(data.get("heading_deg"))
    fields: dict[str, str | int | float | bytes | bool] = {
        "msg_type": 1,
        "mmsi": int(data["mmsi"]),
        "status": AIS_STATUS_NOT_DEFINED,
        "lat": float(data["lat"]),
        "lon": float(data["lon"]),
        "speed": SPEED_NA if sog is None else min(sog, 102.2),
        "course": COURSE_NA if cog is None else cog % 360.0,
        "heading": HEADING_NA if heading is None else round(heading) % 360,
        "second": at.second,
        "accuracy": False,
    }
    return list(encode_dict(fields, radio_channel="A", talker_id="AI", sentence_type="VDM", seq_id=seq % 10))


def static_report(data: dict[str, Any], seq: int) -> list[str]:
    """AIS type 5 with what was released of the identity (name, ship type); [] when nothing was."""
    name, ship_type = data.get("name"), data.get("ship_type")
    if not name and ship_type is None:
        return []
    fields: dict[str, str | int | float | bytes | bool] = {
        "msg_type": 5,
        "mmsi": int(data["mmsi"]),
        "ais_version": 0,
        "shipname": _ais_text(str(name or ""), 20),
        "ship_type": int(ship_type or 0),
    }
    return list(encode_dict(fields, radio_channel="A", talker_id="AI", sentence_type="VDM", seq_id=seq % 10))


def _ais_text(text: str, size: int) -> str:
    """Upper case, AIS's 6-bit character set only (others become spaces), at most `size` characters."""
    allowed = set("@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?")
    return "".join(c if c in allowed else " " for c in text.upper())[:size].rstrip()


def _ddmm(value: float, degree_digits: int) -> tuple[str, str]:
    hemi = ("N", "S") if degree_digits == 2 else ("E", "W")
    sign = hemi[0] if value >= 0 else hemi[1]
    value = abs(value)
    degrees = int(value)
    minutes = (value - degrees) * 60.0
    if round(minutes, 4) >= 60.0:
        degrees, minutes = degrees + 1, 0.0
    return f"{degrees:0{degree_digits}d}{minutes:07.4f}", sign


def target_sentence(data: dict[str, Any], number: int, at: datetime, talker: str = "RA") -> str:
    """`$RATLL` for a target without a released AIS identity."""
    lat, lat_dir = _ddmm(float(data["lat"]), 2)
    lon, lon_dir = _ddmm(float(data["lon"]), 3)
    label = "DARK" if data.get("dark") else "RADAR" if "radar" in (data.get("sources") or ()) else "TGT"
    when = at.strftime("%H%M%S.%f")[:9]
    fields = (f"{number:02d}", lat, lat_dir, lon, lon_dir, f"{label}{number:02d}", when, "T", "")
    return str(pynmea2.types.talker.TLL(talker, "TLL", fields))
