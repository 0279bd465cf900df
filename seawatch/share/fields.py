"""What each shared item kind may carry: every field declared with its type, range and role.

The declaration is the allow-list both ways:
- sending (`share.policy`): only declared fields leave the node; a policy's stripping, rounding, jitter
  and area checks find every position, sensor id and free text through the roles, nested included;
- receiving (`share.quarantine`): a partner's item is checked against the same declaration (types,
  ranges, sizes) before it reaches the pipeline.

Roles: `lat`/`lon` (a position; `POSITIONS` pairs them), `sensor` (sensor or receiver identifiers),
`text` (free text written by people or copied from messages), `identity` (MMSI, names, call signs),
`id` (references between items), `time`, `kinematics` (speed, course), `message` (the body of a case
chat message: sent whenever chat is, strippable like any role), `meta` (everything else: durations,
counts, thresholds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seawatch.timeutil import parse_utc

ROLES = ("lat", "lon", "sensor", "text", "identity", "id", "time", "kinematics", "message", "meta")


@dataclass(frozen=True, slots=True)
class Field:
    """One declared field. `type`: str, int, float, bool, time, list (of `item`), obj (of `fields`),
    map (str keys, float values: detector parameters)."""

    type: str
    role: str = "meta"
    lo: float | None = None
    hi: float | None = None
    max_len: int = 200  # characters of a str, items of a list, keys of a map
    item: Field | None = None
    fields: Mapping[str, Field] | None = None


def _f(role: str = "meta", lo: float | None = None, hi: float | None = None) -> Field:
    return Field("float", role, lo, hi)


def _i(role: str = "meta", lo: float | None = None, hi: float | None = None) -> Field:
    return Field("int", role, lo, hi)


def _s(role: str = "meta", max_len: int = 200) -> Field:
    return Field("str", role, max_len=max_len)


def _strs(role: str, max_len: int = 64) -> Field:
    return Field("list", role, max_len=max_len, item=_s(role))


LAT, LON = _f("lat", -90, 90), _f("lon", -180, 180)
MMSI = _i("identity", 0, 999_999_999)
TIME = Field("time", "time")
DURATION = _f("meta", 0, 366 * 86400)
DIST = _f("meta", 0, 40_075_000)
SOG = _f("kinematics", 0, 200)
DEG = _f("kinematics", 0, 360)

TRACK: dict[str, Field] = {
    "track_id": _s("id", 128),
    "mmsi": MMSI,
    "time": TIME,
    "lat": LAT,
    "lon": LON,
    "sog_kn": SOG,
    "cog_deg": DEG,
    "heading_deg": DEG,
    "name": _s("identity", 64),
    "ship_type": _i("identity", 0, 255),
    "sensor": _s("meta", 32),
    "asset": Field("bool"),
    "sources": _strs("meta", 16),
    "sensors": _strs("sensor"),
    "nodes": _strs("id", 16),
    "dark": Field("bool"),
}

EVENT_DETAILS: dict[str, Field] = {
    # positions beyond the event's own (where a gap ended, a jump came from, a dark target started...)
    "start_lat": LAT,
    "start_lon": LON,
    "end_lat": LAT,
    "end_lon": LON,
    "from_lat": LAT,
    "from_lon": LON,
    "port_lat": LAT,
    "port_lon": LON,
    "duration_s": DURATION,
    "silent_s": DURATION,
    "dt_s": DURATION,
    "shore_distance_m": DIST,
    "distance_m": DIST,
    "entry_distance_m": DIST,
    "median_distance_m": DIST,
    "min_distance_m": DIST,
    "distance_to_nearest_ais_m": DIST,
    "length_m": _f("meta", 0, 1000),
    "port_distance_m": DIST,
    "stop_s": DURATION,
    "why": Field(
        "obj",
        "meta",
        fields={
            "rule": _s("meta", 400),
            "checks": Field(
                "list",
                "meta",
                max_len=16,
                item=Field(
                    "obj",
                    "meta",
                    fields={
                        "measured": _s("meta", 64),
                        "value": _f("meta"),
                        "op": _s("meta", 4),
                        "threshold": _s("meta", 64),
                        "limit": _f("meta"),
                    },
                ),
            ),
        },
    ),
    "implied_sog_kn": _f("kinematics", 0, 1e6),
    "max_implied_sog_kn": _f("kinematics", 0, 1e6),
    "max_sog_kn": SOG,
    "median_sog_kn": SOG,
    "open": Field("bool"),
    "bins": _i("meta", 0, 1e7),
    "fixes": _i("meta", 0, 1e9),
    "jumps": _i("meta", 0, 1e9),
    "contacts": _i("meta", 0, 1e9),
    "reason": _s("text", 200),
    "zone_id": _s("id", 128),
    "zone_name": _s("meta", 200),
    "zone_kind": _s("meta", 64),
    "previous_fix_time_s": _f("time", 0, 1e11),
    "port_name": _s("meta", 200),
    "port_country": _s("meta", 64),
    "ship_type": _i("identity", 0, 255),
    "nearest_ais_mmsi": MMSI,
    "identified_mmsi": MMSI,
    "watch_id": _s("id", 128),
    "matches": Field(
        "list",
        "identity",
        max_len=50,
        item=Field("obj", "identity", fields={"kind": _s(), "value": _s("identity"), "label": _s("text")}),
    ),
    "sensor": _s("sensor", 128),
    "source": _s("sensor", 128),
    "sensors": _strs("sensor"),
    "target_refs": _strs("sensor", 256),
    "scene_ids": _strs("sensor", 256),
}

EVENT: dict[str, Field] = {
    "id": _s("id", 128),
    "type": _s("meta", 64),
    "severity": _s("meta", 16),
    "mmsi": Field("list", "identity", max_len=64, item=MMSI),
    "start": TIME,
    "end": TIME,
    "lat": LAT,
    "lon": LON,
    "details": Field("obj", "meta", fields=EVENT_DETAILS),
    "params": Field("map", "meta", max_len=64),
    "track_ids": _strs("id", 64),
    "nodes": _strs("id", 16),
    "origin_node": _s("id", 32),
    "origins": _strs("id", 16),
    "withheld": _strs("meta", 32),
}

SIGHTING: dict[str, Field] = {
    "id": _s("id", 64),
    "t": _f("time", 0, 1e11),
    "time": TIME,
    "lat": LAT,
    "lon": LON,
    "mmsi": MMSI,
    "sog_kn": SOG,
    "cog_deg": DEG,
    "name": _s("identity", 200),
    "notes": _s("text", 2000),
    "reported_by": _s("sensor", 128),
}

# Chat (seawatch/node/chat.py): rooms per case and regional rooms; `releasable_to` lists the nations
# (node ids) that may see the room, its owner included: a partner not in it is never sent the room or
# its messages (share.policy) and refuses them on receipt (share.node_link).
NODES = _strs("id", 32)
CHAT_REPORT: dict[str, Field] = {  # seawatch/i18n/reports.py: the same names, checked again there
    "type": _s("meta", 16),
    "time": TIME,
    "lat": LAT,
    "lon": LON,
    "what": _s("meta", 32),
    "course_deg": DEG,
    "speed_kn": _f("kinematics", 0, 99),
    "activity": _s("meta", 32),
    "mmsi": MMSI,
    "need": _s("meta", 32),
    "urgency": _s("meta", 16),
    "persons": _i("meta", 0, 10_000),
    "to_node": _s("id", 32),
    "reason": _s("meta", 32),
}

CASE_MESSAGE: dict[str, Field] = {
    "id": _s("id", 64),
    "room_id": _s("id", 160),
    "case_id": _s("id", 64),
    "seq": _i("meta", 1, 2**53),
    "time": TIME,
    "author": _s("identity", 128),
    "lang": _s("meta", 8),
    "text": _s("message", 4000),
    "report": Field("obj", "message", fields=CHAT_REPORT),
    "releasable_to": NODES,
    "lat": LAT,
    "lon": LON,
}

CASE: dict[str, Field] = {  # a case's header: enough for a partner to show it and its chat room
    "id": _s("id", 64),
    "room_id": _s("id", 160),
    "owner": _s("id", 32),
    "title": _s("message", 200),
    "status": _s("meta", 32),
    "opened": TIME,
    "updated": TIME,
    "version": _i("meta", 0, 2**53),  # the case's version at its owner
    "change": _s("meta", 16),  # what the owner last did to it (open, update, link, unlink, note, attach)
    "releasable_to": NODES,
}

CHAT_ROOM: dict[str, Field] = {  # a regional room between partners, created by an admin of its owner
    "room_id": _s("id", 160),
    "owner": _s("id", 32),
    "title": _s("message", 200),
    "created": TIME,
    "updated": TIME,
    "releasable_to": NODES,
}

SCHEMAS: dict[str, dict[str, Field]] = {
    "track": TRACK,
    "event": EVENT,
    "sighting": SIGHTING,
    "case_message": CASE_MESSAGE,
    "case": CASE,
    "chat_room": CHAT_ROOM,
}

# (lat path, lon path) of every position an item may carry; the first is the item's own position
POSITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "track": (("lat", "lon"),),
    "event": (
        ("lat", "lon"),
        ("details.start_lat", "details.start_lon"),
        ("details.end_lat", "details.end_lon"),
        ("details.from_lat", "details.from_lon"),
        ("details.port_lat", "details.port_lon"),
    ),
    "sighting": (("lat", "lon"),),
    "case_message": (("lat", "lon"), ("report.lat", "report.lon")),
    "case": (),
    "chat_room": (),
}


def walk(schema: Mapping[str, Field], prefix: str = "") -> list[tuple[str, Field]]:
    """Every declared (dotted path, field), nested objects included."""
    out: list[tuple[str, Field]] = []
    for name, spec in schema.items():
        path = f"{prefix}{name}"
        out.append((path, spec))
        if spec.type == "obj" and spec.fields is not None:
            out += walk(spec.fields, path + ".")
    return out


# --- validation (receiving) -------------------------------------------------------------------------
class Invalid(ValueError):
    """A received item does not fit its kind's declaration; the message says which field and why."""


REQUIRED: dict[str, tuple[str, ...]] = {
    "track": ("lat", "lon"),
    "event": ("type", "start", "end", "lat", "lon"),
    "sighting": ("lat", "lon"),
    "case_message": ("id", "room_id", "seq", "time", "releasable_to"),
    "case": ("id", "room_id", "owner", "releasable_to"),
    "chat_room": ("room_id", "owner", "releasable_to"),
}


def validate(kind: str, data: Any) -> None:
    """Raise Invalid unless `data` fits the declaration of `kind` (unknown fields are invalid too)."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise Invalid(f"unknown kind {kind!r}")
    _check_obj(data, schema, "")
    missing = [k for k in REQUIRED[kind] if data.get(k) is None]
    if missing:
        raise Invalid(f"missing {', '.join(missing)}")
    lat, lon = data.get("lat"), data.get("lon")
    if (lat is None) != (lon is None):
        raise Invalid("lat and lon: one without the other")


def _check_obj(data: Any, schema: Mapping[str, Field], prefix: str) -> None:
    if not isinstance(data, dict):
        raise Invalid(f"{prefix or 'item'}: not an object")
    for key, value in data.items():
        spec = schema.get(key)
        if spec is None:
            raise Invalid(f"{prefix}{key}: not a declared field")
        if value is not None:
            _check(value, spec, f"{prefix}{key}")


def _check(value: Any, spec: Field, path: str) -> None:
    t = spec.type
    if t == "bool":
        if not isinstance(value, bool):
            raise Invalid(f"{path}: want true/false, got {type(value).__name__}")
    elif t in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(f"{path}: want a number, got {type(value).__name__}")
        if t == "int" and (isinstance(value, float) and not value.is_integer()):
            raise Invalid(f"{path}: want an integer, got {value!r}")
        if not math.isfinite(value):
            raise Invalid(f"{path}: not finite")
        if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
            raise Invalid(f"{path}: {value!r} outside [{spec.lo}, {spec.hi}]")
    elif t == "str":
        if not isinstance(value, str):
            raise Invalid(f"{path}: want text, got {type(value).__name__}")
        if len(value) > spec.max_len:
            raise Invalid(f"{path}: {len(value)} characters > {spec.max_len}")
    elif t == "time":
        if not isinstance(value, str) or len(value) > 40:
            raise Invalid(f"{path}: want an ISO 8601 time")
        try:
            parse_utc(value)
        except (ValueError, TypeError) as exc:
            raise Invalid(f"{path}: {exc}") from exc
    elif t == "list":
        if not isinstance(value, list):
            raise Invalid(f"{path}: want a list, got {type(value).__name__}")
        if len(value) > spec.max_len:
            raise Invalid(f"{path}: {len(value)} items > {spec.max_len}")
        assert spec.item is not None
        for i, v in enumerate(value):
            if v is None:
                raise Invalid(f"{path}[{i}]: null")
            _check(v, spec.item, f"{path}[{i}]")
    elif t == "obj":
        assert spec.fields is not None
        _check_obj(value, spec.fields, path + ".")
    elif t == "map":
        if not isinstance(value, dict) or len(value) > spec.max_len:
            raise Invalid(f"{path}: want an object of at most {spec.max_len} numbers")
        for k, v in value.items():
            if len(k) > 64 or not (v is None or isinstance(v, int | float | str | bool)):
                raise Invalid(f"{path}.{k}: want a number")
            if isinstance(v, str) and len(v) > 200:
                raise Invalid(f"{path}.{k}: too long")
            if isinstance(v, float) and not math.isfinite(v):
                raise Invalid(f"{path}.{k}: not finite")
    else:  # pragma: no cover - a declaration error
        raise Invalid(f"{path}: undeclared type {t}")
