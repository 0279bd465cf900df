"""Zone request and response bodies: one list of kinds (`model.zone.ZONE_KINDS`), clear refusals.

A zone the detectors could not watch is refused here (422 naming the field), never stored: unknown
kind, self-intersecting ring, too many vertices, too large an area, unknown per-zone thresholds.
"""

from __future__ import annotations

from typing import Any, Literal

import shapely
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from shapely.geometry import shape
from shapely.validation import explain_validity

from seawatch.api.models import AreaGeometry, MultiPolygonGeometry, PolygonGeometry
from seawatch.detect.config import DetectConfig, validate_overrides
from seawatch.errors import ConfigError
from seawatch.model.zone import DEFAULT_ZONE_KIND, canonical_zone_kind

MAX_ZONE_VERTICES = 10_000
# a zone wider or taller than this is a mistake (a click at the antimeridian, lon/lat swapped):
# the whole Caribbean is about 30° x 20°
MAX_ZONE_SPAN_DEG = 40.0


MAX_PROPERTY_DEPTH = 8
_AREA: TypeAdapter[PolygonGeometry | MultiPolygonGeometry] = TypeAdapter(AreaGeometry)


def _nesting(value: Any, level: int = 0) -> int:
    """Nesting depth of a JSON value (stops counting past the limit)."""
    if level > MAX_PROPERTY_DEPTH or not isinstance(value, dict | list):
        return level
    children = value.values() if isinstance(value, dict) else value
    return max((_nesting(v, level + 1) for v in children), default=level + 1)


def _vertex_count(geom: shapely.Geometry) -> int:
    return int(shapely.get_num_coordinates(geom))


class ZoneIn(BaseModel):
    """A GeoJSON Feature with a Polygon or MultiPolygon geometry; properties `name`, `kind`,
    optional `overrides` ({detector: {threshold: value}}, see `seawatch detect --print-config`)."""

    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any] = Field(default_factory=dict)
    id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")

    @field_validator("geometry")
    @classmethod
    def _polygon(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError("must be a Polygon or MultiPolygon")
        try:
            geom = shape(value)
        except Exception as exc:
            raise ValueError(f"not valid GeoJSON geometry ({exc})") from exc
        if geom.is_empty:
            raise ValueError("empty polygon")
        if _vertex_count(geom) > MAX_ZONE_VERTICES:
            raise ValueError(f"{_vertex_count(geom)} vertices: at most {MAX_ZONE_VERTICES}")
        lon0, lat0, lon1, lat1 = geom.bounds
        if lon0 < -180 or lon1 > 180 or lat0 < -90 or lat1 > 90:
            raise ValueError("coordinates outside lon -180..180, lat -90..90 (lon, lat order?)")
        if lon1 - lon0 > MAX_ZONE_SPAN_DEG or lat1 - lat0 > MAX_ZONE_SPAN_DEG:
            raise ValueError(
                f"zone spans {lon1 - lon0:.1f}° x {lat1 - lat0:.1f}°: "
                f"at most {MAX_ZONE_SPAN_DEG:.0f}° each way"
            )
        if not geom.is_valid:
            raise ValueError(f"invalid polygon: {explain_validity(geom)} (self-intersecting ring?)")
        # stored as the answers declare it (`ZoneFeature.geometry`): type and coordinates, [lon, lat(, alt)]
        plain = {"type": value["type"], "coordinates": value.get("coordinates")}
        try:
            return _AREA.validate_python(plain).model_dump()
        except ValidationError as exc:
            raise ValueError(f"not valid GeoJSON geometry ({exc.errors()[0]['msg']})") from None

    @field_validator("properties")
    @classmethod
    def _props(cls, value: dict[str, Any]) -> dict[str, Any]:
        if _nesting(value) > MAX_PROPERTY_DEPTH:  # stored and served as JSON: keep it flat-ish
            raise ValueError(f"nested more than {MAX_PROPERTY_DEPTH} deep")
        name = value.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ValueError("name is required: text of at most 200 characters")
        kind = canonical_zone_kind(value.get("kind", DEFAULT_ZONE_KIND))
        overrides = value.get("overrides") or {}
        if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
            raise ValueError("overrides must be {detector: {threshold: value}}")
        try:
            validate_overrides(overrides, DetectConfig.defaults(), "overrides")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return {**value, "name": name.strip(), "kind": kind}


class ZoneProperties(BaseModel):
    """A zone's `name` and `kind` (one of `/api/zones/kinds`); a drawn zone may carry `overrides` and
    properties of its own (free-form, kept as given), a bundled one `zone_id` and `bundled`."""

    model_config = ConfigDict(extra="allow")

    name: str
    kind: str


class ZoneFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: AreaGeometry
    properties: ZoneProperties


class ZoneCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ZoneFeature]
    attribution: str | None = None


class ZoneKindOut(BaseModel):
    kind: str
    label: str


class ZoneKindsOut(BaseModel):
    kinds: list[ZoneKindOut]
    default: str
    aliases: dict[str, str] = Field(description="older kind names accepted and stored as their kind")
