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
import hmac
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely import Geometry
from shapely.geometry import shape

from seawatch.errors import ConfigError
from seawatch.share.fields import POSITIONS, ROLES, SCHEMAS, Field
from seawatch.share.kinds import CHAT_KINDS, ITEM_KINDS, KINDS, ShareItem

__all__ = ["ITEM_KINDS", "ShareItem", "SharePolicy", "policies_from_settings", "share_nothing"]

TRACK_SOURCES = ("ais", "radar", "satellite", "patrol", "sighting", "partner")
EARTH_RADIUS_M = 6_371_000.0
DEFAULT_HIDDEN_ROLES = frozenset({"sensor", "text"})  # sent only when a policy's `fields` names them
_PROCESS_SECRET = os.urandom(32)  # jitter key when the caller has none (never derivable from the item)


@dataclass(frozen=True)
class SharePolicy:
    """What one partner may receive. Every field defaults to the most restrictive choice.

    `track_sources`: sensor kinds whose tracks are shared (`ais`, `radar`, `satellite`, `patrol`).
    `event_types`: event types shared (`*` for all). `areas`: shapely polygons; an item is shared only
    if its own position falls in one of them (no areas = anywhere), and any other position it carries
    (where a gap ended, a jump came from...) outside them is withheld and named in `withheld`.
    Fields are an allow-list: only fields declared for the kind (`share.fields`) ever leave, and of
    those, `fields` (names at any depth, dotted paths, `@role`s, or `*`) picks what is sent; without
    `fields`, everything but sensor ids (`@sensor`) and free text (`@text`). `strip_fields` then removes
    (same forms). `precision_decimals`: every position rounded to this many decimals; `jitter_m`: every
    position moved by up to this many metres, keyed with this node's secret (a partner cannot undo it).
    `delay_s`: items are held this long before they leave. `may_reshare`, `retention_s`: the
    releasability stamped on every item.
    """

    partner: str
    track_sources: frozenset[str] = frozenset()
    event_types: frozenset[str] = frozenset()
    sightings: bool = False
    case_messages: bool = False
    areas: tuple[Geometry, ...] = ()
    strip_fields: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
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
        for name in (*self.strip_fields, *(self.fields or ())):
            if name.startswith("@") and name[1:] not in ROLES:
                raise ConfigError(f"partner {self.partner}: unknown field role {name!r} (roles: {ROLES})")
        for area in self.areas:
            shapely.prepare(area)  # in place: fast point-in-polygon tests
        object.__setattr__(self, "_prepared", self.areas)

    # --- decisions -------------------------------------------------------------------------------
    def allows_kind(self, item: ShareItem) -> bool:
        kind = KINDS.get(item.kind)
        return kind is not None and kind.released(self, item.data)

    def in_area(self, item: ShareItem) -> bool:
        if not self._prepared or item.kind in CHAT_KINDS:  # chat: the case's releasability decides
            return True
        lat, lon = item.data.get("lat"), item.data.get("lon")
        if lat is None or lon is None:
            return False  # an item without a position cannot be shown to be inside an area
        try:
            return _inside(self._prepared, float(lat), float(lon))
        except (TypeError, ValueError):
            return False

    def apply(self, item: ShareItem, secret: bytes | None = None, *, gate: bool = True) -> ShareItem | None:
        """The item as this partner may see it, or None when it must not be shared. `secret` keys the
        jitter (the federation passes one derived from the node's key). `gate=False`: the kind switches
        were already decided (areas, fields and positions still apply)."""
        if item.kind not in SCHEMAS or (gate and not self.allows_kind(item)) or not self.in_area(item):
            return None
        data = self._select(item.data, SCHEMAS[item.kind], "")
        if item.kind == "track" and isinstance(data.get("sources"), list):
            data["sources"] = [s for s in data["sources"] if s in self.track_sources or s == "partner"]
        withheld: list[str] = []
        withhold_outside = bool(self._prepared) and item.kind not in CHAT_KINDS  # chat: the case decides
        for index, (lat_path, lon_path) in enumerate(POSITIONS[item.kind]):
            lat, lon = _get(data, lat_path), _get(data, lon_path)
            if lat is None or lon is None:
                continue
            lat, lon = float(lat), float(lon)
            if index > 0 and withhold_outside and not _inside(self._prepared, lat, lon):
                _set(data, lat_path, None)
                _set(data, lon_path, None)
                withheld.append(lat_path.removesuffix("_lat").removesuffix("lat").rstrip("._") or "position")
                continue
            if self.jitter_m > 0:
                key = _jitter_key(item, self.partner, lat_path, secret or _PROCESS_SECRET)
                lat, lon = _jitter(lat, lon, self.jitter_m, key)
            if self.precision_decimals is not None:
                lat, lon = round(lat, self.precision_decimals), round(lon, self.precision_decimals)
            _set(data, lat_path, lat)
            _set(data, lon_path, lon)
        if withheld:  # the recipient can say "position withheld" instead of guessing
            data["withheld"] = [*(data.get("withheld") or ()), *withheld]
        return ShareItem(item.kind, data)

    def at_least_as_open_as(self, old: SharePolicy) -> bool:
        """True when this policy lets through everything `old` did, as precisely and as early (a
        change that is not, narrows: what the broker still holds for the partner is purged)."""
        if old.allows_nothing():
            return True
        kinds_ok = (
            self.track_sources >= old.track_sources
            and ("*" in self.event_types or self.event_types >= old.event_types)
            and self.sightings >= old.sightings
            and self.case_messages >= old.case_messages
        )
        areas_ok = not self.areas or (
            bool(old.areas) and all(any(bool(shapely.equals(a, b)) for b in self.areas) for a in old.areas)
        )
        fields_ok = set(self.strip_fields) <= set(old.strip_fields) and (
            (self.fields is None and old.fields is None)
            or (self.fields is not None and ("*" in self.fields or set(self.fields) >= set(old.fields or ())))
        )
        precision_ok = self.precision_decimals is None or (
            old.precision_decimals is not None and self.precision_decimals >= old.precision_decimals
        )
        return (
            kinds_ok
            and areas_ok
            and fields_ok
            and precision_ok
            and self.jitter_m <= old.jitter_m
            and self.delay_s <= old.delay_s
            and self.retention_s >= old.retention_s
            and self.may_reshare >= old.may_reshare
        )

    def onward_limits(self, node: str, onward_delay_s: float) -> dict[str, Any]:
        """What a partner that may re-share must keep applying (carried in the releasability): this
        policy's areas, fields, precision and jitter, and `onward_delay_s`, the longest delay this node
        gives anyone (so no one gets the item earlier through a re-sharer than from us)."""
        from shapely.geometry import mapping

        return {
            "node": node,
            "delay_s": max(self.delay_s, onward_delay_s),
            "areas": [mapping(a) for a in self.areas],  # type: ignore[arg-type]
            "fields": None if self.fields is None else list(self.fields),
            "strip_fields": list(self.strip_fields),
            "precision_decimals": self.precision_decimals,
            "jitter_m": self.jitter_m,
        }

    @classmethod
    def from_limits(cls, partner: str, limits: Mapping[str, Any]) -> SharePolicy:
        """An upstream node's `onward_limits` as a policy to apply with `gate=False`: its areas, fields
        and precision; no jitter (the upstream node jittered already: see `OriginLimits.limit`)."""
        try:
            decimals = limits.get("precision_decimals")
            return cls(
                partner=partner,
                areas=tuple(_geometry(a) for a in limits.get("areas") or ()),
                strip_fields=tuple(str(s) for s in limits.get("strip_fields") or ()),
                fields=None if limits.get("fields") is None else tuple(str(s) for s in limits["fields"]),
                precision_decimals=None if decimals is None else int(decimals),
            )
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ConfigError(f"invalid onward limits from {limits.get('node')!r}: {exc}") from exc

    def allows_nothing(self) -> bool:
        return not (self.track_sources or self.event_types or self.sightings or self.case_messages)

    release = apply  # the name other outputs (NMEA, CoT) call it by: docs/INTERFACES.md

    def _select(self, data: Mapping[str, Any], schema: Mapping[str, Field], prefix: str) -> dict[str, Any]:
        """A new dict with only the declared, selected, unstripped fields (nested objects copied)."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            spec = schema.get(key)
            if spec is None:
                continue  # not declared for this kind: never sent
            path = f"{prefix}{key}"
            if _matches(self.strip_fields, path, key, spec.role):
                continue
            if spec.type == "obj" and spec.fields is not None:
                if isinstance(value, Mapping):
                    inner = self._select(value, spec.fields, path + ".")
                    if inner:
                        out[key] = inner
                continue
            if not self._selected(path, key, spec.role):
                continue
            out[key] = _copy(value)
        return out

    def _selected(self, path: str, key: str, role: str) -> bool:
        if self.fields is None:
            return role not in DEFAULT_HIDDEN_ROLES
        return "*" in self.fields or _matches(self.fields, path, key, role)

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
            "fields",
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
                fields=None if raw.get("fields") is None else tuple(str(s) for s in raw["fields"]),
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
            "fields": None if self.fields is None else list(self.fields),
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


def _matches(names: Iterable[str], path: str, key: str, role: str) -> bool:
    """A field named by its dotted path, its own name at any depth, an ancestor's path, or its @role."""
    return any(name in (path, key, f"@{role}") or path.startswith(name + ".") for name in names)


def _copy(value: Any) -> Any:
    """Lists and dicts copied (deeply), so what is sent never aliases the node's own data."""
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in a dict built by `_select` (its nested dicts are already copies)."""
    head, _, rest = path.rpartition(".")
    node: Any = _get(data, head) if head else data
    if isinstance(node, dict):
        if value is None:
            node.pop(rest, None)
        else:
            node[rest] = value


def _inside(areas: tuple[Any, ...], lat: float, lon: float) -> bool:
    return any(bool(shapely.intersects_xy(area, lon, lat)) for area in areas)


def _jitter_key(item: ShareItem, partner: str, path: str, secret: bytes) -> bytes:
    """HMAC of the item's identity under the node's secret: repeatable for the node, unknowable for the
    partner (who sees the id and time but not the secret)."""
    ref, when = KINDS[item.kind].identity(item.data)
    ident = f"{partner}|{item.kind}|{ref}|{when}"
    return hmac.new(secret, f"{ident}|{path}".encode(), hashlib.sha256).digest()


def _jitter(lat: float, lon: float, radius_m: float, digest: bytes) -> tuple[float, float]:
    """Offset by up to radius_m in a direction and distance drawn from a keyed digest."""
    bearing = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    dist = math.sqrt(int.from_bytes(digest[4:8], "big") / 2**32) * radius_m
    dlat = math.degrees(dist * math.cos(bearing) / EARTH_RADIUS_M)
    dlon = math.degrees(dist * math.sin(bearing) / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    new_lat = max(-90.0, min(90.0, lat + dlat))
    new_lon = (
        lon + dlon + 180.0
    ) % 360.0 - 180.0  # across the antimeridian it wraps, never leaves [-180, 180)
    return new_lat, new_lon


def policies_from_settings(partners: Iterable[Mapping[str, Any]]) -> dict[str, SharePolicy]:
    """`[[federation.partners]]` entries (each with `id` and an optional `policy` table) to policies."""
    out: dict[str, SharePolicy] = {}
    for entry in partners:
        pid = str(entry["id"])
        out[pid] = SharePolicy.from_dict(pid, entry.get("policy") or {})
    return out
