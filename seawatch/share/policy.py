"""Sharing agreements: per partner, what may leave this node and in what form.

A `SharePolicy` is applied at the sender, before anything is published: a partner's stream only ever
holds what that partner may see. The default policy shares nothing.

Shared items are `ShareItem(kind, data)`:
- `track`: a track state, `data` with `track_id, mmsi, lat, lon, time, sog_kn, cog_deg, heading_deg,
  sensor` (the sensor kind that produced this state), `sources` (sensor kinds), `sensors`, `nodes`...
  Own patrol assets are tracks with `sensor = "patrol"` (or `asset = true`).
- `event`: `Event.to_json()`.
- `sighting`: a patrol sighting (`lat, lon, time, ...`).
- `case_message`: a case chat message (`case_id, text, time, ...`; `lat`/`lon` optional).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely import Geometry
from shapely.geometry import shape

from seawatch.errors import ConfigError

ITEM_KINDS = ("track", "event", "sighting", "case_message")
TRACK_SOURCES = ("ais", "radar", "satellite", "patrol", "sighting", "partner")
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class ShareItem:
    """One thing the node may share: a kind and its JSON-able data."""

    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class SharePolicy:
    """What one partner may receive. Every field defaults to the most restrictive choice.

    `track_sources`: sensor kinds whose tracks are shared (`ais`, `radar`, `satellite`, `patrol`).
    `event_types`: event types shared (`*` for all). `areas`: shapely polygons; an item is shared only
    if its position falls in one of them (no areas = anywhere). `strip_fields`: keys removed from the
    data (dotted for nested, e.g. `details.site`). `precision_decimals`: coordinates rounded to this many
    decimals; `jitter_m`: a deterministic offset of up to this many metres. `delay_s`: items are held this
    long before they leave. `may_reshare`, `retention_s`: the releasability stamped on every item.
    """

    partner: str
    track_sources: frozenset[str] = frozenset()
    event_types: frozenset[str] = frozenset()
    sightings: bool = False
    case_messages: bool = False
    areas: tuple[Geometry, ...] = ()
    strip_fields: tuple[str, ...] = ()
    precision_decimals: int | None = None
    jitter_m: float = 0.0
    delay_s: float = 0.0
    may_reshare: bool = False
    retention_s: float = 7 * 86400.0
    _prepared: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.track_sources) - set(TRACK_SOURCES)
        if unknown:
            raise ConfigError(f"partner {self.partner}: unknown track sources {sorted(unknown)}")
        for area in self.areas:
            shapely.prepare(area)  # in place: fast point-in-polygon tests
        object.__setattr__(self, "_prepared", self.areas)

    # --- decisions -------------------------------------------------------------------------------
    def allows_kind(self, item: ShareItem) -> bool:
        data = item.data
        if item.kind == "track":
            sensor = "patrol" if data.get("asset") else data.get("sensor")
            if sensor:
                return str(sensor) in self.track_sources
            sources = set(data.get("sources") or ())
            return bool(sources) and sources <= self.track_sources
        if item.kind == "event":
            return "*" in self.event_types or str(data.get("type")) in self.event_types
        if item.kind == "sighting":
            return self.sightings
        if item.kind == "case_message":
            return self.case_messages
        return False

    def in_area(self, item: ShareItem) -> bool:
        if not self._prepared:
            return True
        lat, lon = item.data.get("lat"), item.data.get("lon")
        if lat is None or lon is None:
            return False  # an item without a position cannot be shown to be inside an area
        x, y = float(lon), float(lat)
        return any(bool(shapely.intersects_xy(area, x, y)) for area in self._prepared)

    def apply(self, item: ShareItem) -> ShareItem | None:
        """The item as this partner may see it, or None when it must not be shared."""
        if not self.allows_kind(item) or not self.in_area(item):
            return None
        data = dict(item.data)  # shallow: what is changed below is replaced, never mutated in place
        if item.kind == "track" and "sources" in data:
            data["sources"] = [s for s in data["sources"] if s in self.track_sources or s == "partner"]
        for path in self.strip_fields:
            _strip(data, path)
        if "lat" in data and "lon" in data and data["lat"] is not None and data["lon"] is not None:
            lat, lon = float(data["lat"]), float(data["lon"])
            if self.jitter_m > 0:
                lat, lon = _jitter(lat, lon, self.jitter_m, _jitter_key(item))
            if self.precision_decimals is not None:
                lat, lon = round(lat, self.precision_decimals), round(lon, self.precision_decimals)
            data["lat"], data["lon"] = lat, lon
        return ShareItem(item.kind, data)

    # --- settings --------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, partner: str, raw: Mapping[str, Any]) -> SharePolicy:
        known = {
            "track_sources",
            "event_types",
            "sightings",
            "case_messages",
            "areas",
            "strip_fields",
            "precision_decimals",
            "jitter_m",
            "delay_s",
            "may_reshare",
            "retention_s",
        }
        unknown = set(raw) - known
        if unknown:
            raise ConfigError(f"partner {partner}: unknown policy keys {sorted(unknown)}")
        try:
            return cls(
                partner=partner,
                track_sources=frozenset(str(s) for s in raw.get("track_sources", ())),
                event_types=frozenset(str(s) for s in raw.get("event_types", ())),
                sightings=bool(raw.get("sightings", False)),
                case_messages=bool(raw.get("case_messages", False)),
                areas=tuple(_geometry(a) for a in raw.get("areas", ())),
                strip_fields=tuple(str(s) for s in raw.get("strip_fields", ())),
                precision_decimals=(
                    None if raw.get("precision_decimals") is None else int(raw["precision_decimals"])
                ),
                jitter_m=float(raw.get("jitter_m", 0.0)),
                delay_s=float(raw.get("delay_s", 0.0)),
                may_reshare=bool(raw.get("may_reshare", False)),
                retention_s=float(raw.get("retention_s", 7 * 86400.0)),
            )
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ConfigError(f"partner {partner}: invalid policy: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        from shapely.geometry import mapping

        return {
            "track_sources": sorted(self.track_sources),
            "event_types": sorted(self.event_types),
            "sightings": self.sightings,
            "case_messages": self.case_messages,
            "areas": [mapping(a) for a in self.areas],  # type: ignore[arg-type]
            "strip_fields": list(self.strip_fields),
            "precision_decimals": self.precision_decimals,
            "jitter_m": self.jitter_m,
            "delay_s": self.delay_s,
            "may_reshare": self.may_reshare,
            "retention_s": self.retention_s,
        }


def share_nothing(partner: str) -> SharePolicy:
    """The default agreement: nothing leaves the node."""
    return SharePolicy(partner=partner)


def _geometry(raw: Any) -> Geometry:
    """A polygon from GeoJSON (geometry or Feature) or a list of [lon, lat] ring coordinates."""
    if isinstance(raw, Mapping):
        geom = raw.get("geometry", raw) if raw.get("type") == "Feature" else raw
        return shape(dict(geom))
    if isinstance(raw, list | tuple):
        return shape({"type": "Polygon", "coordinates": [list(map(list, raw))]})
    raise ConfigError(f"area must be GeoJSON or a coordinate ring, got {type(raw).__name__}")


def _strip(data: dict[str, Any], path: str) -> None:
    """Remove a (dotted) key; nested dicts on the way are copied, so the caller's item is never changed."""
    head, _, rest = path.partition(".")
    if not rest:
        data.pop(head, None)
        return
    inner = data.get(head)
    if isinstance(inner, Mapping):
        inner = dict(inner)
        data[head] = inner
        _strip(inner, rest)


def _jitter_key(item: ShareItem) -> str:
    d = item.data
    return f"{item.kind}|{d.get('track_id') or d.get('id') or ''}|{d.get('time') or d.get('start') or ''}"


def _jitter(lat: float, lon: float, radius_m: float, key: str) -> tuple[float, float]:
    """Offset by up to radius_m in a direction and distance derived from key (repeatable, not guessable
    without the item)."""
    digest = hashlib.sha256(key.encode()).digest()
    bearing = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    dist = math.sqrt(int.from_bytes(digest[4:8], "big") / 2**32) * radius_m
    dlat = math.degrees(dist * math.cos(bearing) / EARTH_RADIUS_M)
    dlon = math.degrees(dist * math.sin(bearing) / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat + dlat, lon + dlon


def policies_from_settings(partners: Iterable[Mapping[str, Any]]) -> dict[str, SharePolicy]:
    """`[[federation.partners]]` entries (each with `id` and an optional `policy` table) to policies."""
    out: dict[str, SharePolicy] = {}
    for entry in partners:
        pid = str(entry["id"])
        out[pid] = SharePolicy.from_dict(pid, entry.get("policy") or {})
    return out
