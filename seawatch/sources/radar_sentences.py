"""Radar NMEA sentences checked field by field: `parse_radar_sentence(sentence)` gives a `RadarSentence`
(`TTM`, `TLL`, `OSD`, `RSD`, `TLB`, `GGA`, `RMC`) or raises `RadarFieldError` naming the field; tag
blocks (`split_tag_block`). The decoder that turns them into observations is `radar.py`'s."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import pynmea2

METRES_PER_UNIT = {"N": 1852.0, "K": 1000.0, "S": 1609.344}
KNOTS_PER_UNIT = {"N": 1.0, "K": 1 / 1.852, "S": 1609.344 / 1852.0}
OWN_SHIP_MAX_AGE_S = 60.0
RADAR_SENTENCES = ("TTM", "TLL", "OSD", "RSD", "TLB", "GGA", "RMC")

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_HMS = re.compile(r"^(\d{2})(\d{2})(\d{2})(\.\d+)?$")
_LAT = re.compile(r"^(\d{2})(\d{2}(\.\d+)?)$")
_LON = re.compile(r"^(\d{3})(\d{2}(\.\d+)?)$")
_TAG = re.compile(r"^\\([^\\]*)\\(.*)$")


class RadarFieldError(ValueError):
    """A field of a radar sentence is malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class RadarSentence:
    """The checked fields of one radar sentence (units as sent; `time_utc` is time of day or None)."""

    kind: str
    talker: str
    fields: dict[str, Any]


# ---------------------------------------------------------------- field checks
def _num(value: str, name: str, required: bool = False) -> float | None:
    if value == "":
        if required:
            raise RadarFieldError(f"missing {name}")
        return None
    if not _NUM.match(value):
        raise RadarFieldError(f"invalid {name}: {value!r}")
    return float(value)


def _flag(value: str, name: str, allowed: str, required: bool = False) -> str | None:
    if value == "":
        if required:
            raise RadarFieldError(f"missing {name}")
        return None
    if len(value) != 1 or value not in allowed:
        raise RadarFieldError(f"invalid {name}: {value!r} (expected one of {', '.join(allowed)})")
    return value


def _hms(value: str, name: str = "UTC time") -> time | None:
    if value == "":
        return None
    m = _HMS.match(value)
    if not m:
        raise RadarFieldError(f"invalid {name}: {value!r}")
    hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3))
    frac = float(m.group(4)) if m.group(4) else 0.0
    if hh > 23 or mm > 59 or ss > 60:
        raise RadarFieldError(f"invalid {name}: {value!r}")
    return time(hh, mm, min(ss, 59), round(frac * 1e6) % 1_000_000, tzinfo=UTC)


def _coord(value: str, hemi: str, name: str, lat: bool) -> float:
    pattern = _LAT if lat else _LON
    m = pattern.match(value)
    if not m or hemi not in ("NS" if lat else "EW") or hemi == "":
        raise RadarFieldError(f"invalid {name}: {value!r} {hemi!r}")
    deg = int(m.group(1)) + float(m.group(2)) / 60.0
    if deg > (90 if lat else 180):
        raise RadarFieldError(f"invalid {name}: {value!r} out of range")
    return -deg if hemi in "SW" else deg


def _target_number(value: str, required: bool) -> int:
    n = _num(value, "target number", required)
    if n is None:
        return 0
    if n != int(n) or not 0 <= n <= 999:
        raise RadarFieldError(f"invalid target number: {value!r}")
    return int(n)


def _pad(data: list[str], n: int) -> list[str]:
    return data + [""] * (n - len(data))


def _check_ttm(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 15)
    bearing = _num(d[2], "bearing", True)
    assert bearing is not None
    if not 0.0 <= bearing <= 360.0:
        raise RadarFieldError(f"bearing {bearing} outside 0-360")
    return {
        "target_number": _target_number(d[0], True),
        "distance": _num(d[1], "target distance", True),
        "bearing_deg": bearing % 360.0,
        "bearing_ref": _flag(d[3], "bearing type", "TR", True),
        "speed": _num(d[4], "target speed"),
        "course_deg": _num(d[5], "target course"),
        "course_ref": _flag(d[6], "course type", "TR"),
        "cpa_distance": _num(d[7], "distance CPA"),
        "cpa_time_min": _num(d[8], "time of CPA"),
        "units": _flag(d[9], "speed units", "NKS", True),
        "name": d[10],
        "status": _flag(d[11], "target status", "LQT"),
        "reference": _flag(d[12], "reference target", "R"),
        "time_utc": _hms(d[13]),
        "acquisition": _flag(d[14], "type of acquisition", "AMR"),
    }


def _check_tll(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 9)
    return {
        "target_number": _target_number(d[0], False),
        "lat": _coord(d[1], d[2], "latitude", True),
        "lon": _coord(d[3], d[4], "longitude", False),
        "name": d[5],
        "time_utc": _hms(d[6]),
        "status": _flag(d[7], "target status", "LQT"),
        "reference": _flag(d[8], "reference target", "R"),
    }


def _check_osd(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 9)
    return {
        "heading_deg": _num(d[0], "heading", True),
        "heading_status": _flag(d[1], "heading status", "AV"),
        "course_deg": _num(d[2], "vessel course true"),
        "course_ref": _flag(d[3], "course reference", "BMWRP"),
        "speed": _num(d[4], "vessel speed"),
        "speed_ref": _flag(d[5], "speed reference", "BMWRP"),
        "set_deg": _num(d[6], "vessel set"),
        "drift": _num(d[7], "vessel drift"),
        "units": _flag(d[8], "speed units", "NKS"),
    }


def _check_rsd(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 13)
    names = [
        "origin1_range", "origin1_bearing", "vrm1", "ebl1", "origin2_range", "origin2_bearing",
        "vrm2", "ebl2", "cursor_range", "cursor_bearing", "range_scale",
    ]  # fmt: skip
    out: dict[str, Any] = {n: _num(v, n.replace("_", " ")) for n, v in zip(names, d[:11], strict=True)}
    out["range_unit"] = _flag(d[11], "range units", "NKS")
    out["display_rotation"] = _flag(d[12], "display rotation", "CHN")
    return out


def _check_tlb(d: list[str]) -> dict[str, Any]:
    if len(d) % 2:
        raise RadarFieldError("TLB needs number,label pairs")
    labels: dict[int, str] = {}
    for i in range(0, len(d), 2):
        n = _num(d[i], "target number", True)
        assert n is not None
        if n != int(n):
            raise RadarFieldError(f"invalid target number: {d[i]!r}")
        labels[int(n)] = d[i + 1]
    return {"labels": labels}


def _check_gga(msg: Any) -> dict[str, Any]:
    if not msg.lat or not msg.lon:
        raise RadarFieldError("missing own-ship position")
    return {"lat": float(msg.latitude), "lon": float(msg.longitude), "time_utc": _hms(msg.data[0])}


def _check_rmc(msg: Any) -> dict[str, Any]:
    if not msg.lat or not msg.lon:
        raise RadarFieldError("missing own-ship position")
    day = None
    if msg.data[8]:
        try:
            day = datetime.strptime(msg.data[8], "%d%m%y").date()
        except ValueError as exc:
            raise RadarFieldError(f"invalid date: {msg.data[8]!r}") from exc
    return {
        "lat": float(msg.latitude),
        "lon": float(msg.longitude),
        "time_utc": _hms(msg.data[0]),
        "date": day,
        "sog_kn": _num(msg.data[6], "speed"),
        "cog_deg": _num(msg.data[7], "course"),
    }


_CHECKERS = {"TTM": _check_ttm, "TLL": _check_tll, "OSD": _check_osd, "RSD": _check_rsd, "TLB": _check_tlb}


def parse_radar_sentence(sentence: str, enforce_checksum: bool = True) -> RadarSentence:
    """Parse and check one NMEA radar sentence (no tag block). Raises RadarFieldError with the reason."""
    sentence = sentence.strip()
    if not sentence.startswith(("$", "!")) or len(sentence) < 7:
        raise RadarFieldError("not an NMEA sentence")
    body, star, given = sentence[1:].partition("*")
    if star:
        calc = 0
        for ch in body.encode("ascii", "replace"):
            calc ^= ch
        if given[:2].upper() != f"{calc:02X}" and enforce_checksum:
            raise RadarFieldError(f"checksum mismatch: got {given[:2]!r}, computed {calc:02X}")
    head, _, rest = body.partition(",")
    talker, kind = head[:-3], head[-3:]
    data = rest.split(",") if rest else []
    if kind in _CHECKERS:
        return RadarSentence(kind, talker, _CHECKERS[kind](data))
    if kind in ("GGA", "RMC"):
        try:
            msg = pynmea2.parse(sentence, check=False)
            fields = _check_gga(msg) if kind == "GGA" else _check_rmc(msg)
        except (pynmea2.ParseError, ValueError, TypeError, IndexError) as exc:
            raise RadarFieldError(f"invalid {kind}: {exc}") from exc
        return RadarSentence(kind, talker, fields)
    raise RadarFieldError(f"unsupported sentence {kind!r}")


# ---------------------------------------------------------------- tag blocks
def split_tag_block(line: str, enforce_checksum: bool = False) -> tuple[dict[str, str], str]:
    """`\\s:site,c:123*hh\\$RATTM...` -> ({'s': 'site', 'c': '123'}, '$RATTM...').

    With `enforce_checksum`, a tag block whose `*hh` does not match raises RadarFieldError."""
    m = _TAG.match(line)
    if not m:
        return {}, line
    body, star, given = m.group(1).partition("*")
    if star and enforce_checksum:
        calc = 0
        for ch in body.encode("ascii", "replace"):
            calc ^= ch
        if given[:2].upper() != f"{calc:02X}":
            raise RadarFieldError(f"tag block checksum mismatch: got {given[:2]!r}, computed {calc:02X}")
    tags: dict[str, str] = {}
    for part in body.split(","):
        key, sep, value = part.partition(":")
        if sep:
            tags[key] = value
    return tags, m.group(2)


def _tag_time(value: str) -> datetime:
    epoch = float(value)
    if epoch > 1e11:  # some feeds send milliseconds
        epoch /= 1000.0
    return datetime.fromtimestamp(epoch, tz=UTC)
