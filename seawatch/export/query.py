"""What an export asks for: a kind of data, a time window, an area and filters, checked once.

An area is a bounding box (`minlon,minlat,maxlon,maxlat`; a box with minlon > maxlon crosses the
antimeridian: it is the two boxes either side of ±180°) or a zone (its polygon from the store).
Bad values are `InputError`s that name the field and say what is expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import shapely
from shapely.geometry.base import BaseGeometry

from seawatch.errors import InputError
from seawatch.model import EVENT_TYPES
from seawatch.timeutil import parse_utc

KINDS = ("positions", "tracks", "events", "zones", "sightings")
FORMATS = ("geojson", "kml", "csv", "parquet")
MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}
EXTENSIONS = {"geojson": "geojson", "kml": "kml", "csv": "csv", "parquet": "parquet"}
DEFAULT_WINDOW = timedelta(hours=24)
MAX_WINDOW = timedelta(days=366)


@dataclass(frozen=True)
class Area:
    """Bounding boxes (several when one crosses the antimeridian) or a polygon."""

    boxes: tuple[tuple[float, float, float, float], ...] = ()
    polygon: BaseGeometry | None = None
    label: str = ""

    @property
    def everywhere(self) -> bool:
        return not self.boxes and self.polygon is None

    def envelope(self) -> tuple[float, float, float, float] | None:
        """One box holding the whole area, for a coarse first filter (None: everywhere, or a box that
        crosses the antimeridian, which no single minlon <= maxlon box holds)."""
        if self.polygon is not None:
            return tuple(self.polygon.bounds)  # type: ignore[return-value]
        return self.boxes[0] if len(self.boxes) == 1 else None

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which points are inside (boundaries included)."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if self.everywhere:
            return np.ones(len(lon), dtype=bool)
        if self.polygon is not None:
            return np.asarray(shapely.intersects_xy(self.polygon, lon, lat))
        inside = np.zeros(len(lon), dtype=bool)
        for x0, y0, x1, y1 in self.boxes:
            inside |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        return inside

    def expr(self, lon: str = "lon", lat: str = "lat") -> pl.Expr | None:
        """The same test as a polars expression (None for a polygon or everywhere)."""
        if self.polygon is not None or self.everywhere:
            return None
        parts = [
            pl.col(lon).is_between(x0, x1) & pl.col(lat).is_between(y0, y1) for x0, y0, x1, y1 in self.boxes
        ]
        out = parts[0]
        for p in parts[1:]:
            out = out | p
        return out

    def intersects(self, geometry: BaseGeometry) -> bool:
        if self.everywhere:
            return True
        if self.polygon is not None:
            return bool(self.polygon.intersects(geometry))
        return any(shapely.box(*b).intersects(geometry) for b in self.boxes)


def parse_bbox(text: str) -> Area:
    """`minlon,minlat,maxlon,maxlat`; minlon > maxlon crosses the antimeridian."""
    parts = text.split(",")
    if len(parts) != 4:
        raise InputError(f"bbox: expected minlon,minlat,maxlon,maxlat, got {text!r}")
    try:
        lon0, lat0, lon1, lat1 = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"bbox: coordinates must be numbers, got {text!r}") from None
    if not all(math.isfinite(v) for v in (lon0, lat0, lon1, lat1)):
        raise InputError("bbox: coordinates must be finite numbers")
    if not (-180 <= lon0 <= 180 and -180 <= lon1 <= 180):
        raise InputError(f"bbox: longitudes must be within -180..180, got {lon0}, {lon1}")
    if not (-90 <= lat0 <= lat1 <= 90):
        raise InputError(f"bbox: need -90 <= minlat <= maxlat <= 90, got {lat0}, {lat1}")
    if lon0 <= lon1:
        return Area(boxes=((lon0, lat0, lon1, lat1),), label=text)
    return Area(boxes=((lon0, lat0, 180.0, lat1), (-180.0, lat0, lon1, lat1)), label=text)


def zone_area(feature: dict[str, Any] | None, zone_id: str) -> Area:
    if feature is None:
        raise InputError(f"zone: no zone {zone_id!r} in this store")
    try:
        polygon = shapely.geometry.shape(feature["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"zone: zone {zone_id!r} has no usable geometry ({exc})") from None
    shapely.prepare(polygon)
    return Area(polygon=polygon, label=f"zone {zone_id}")


@dataclass(frozen=True)
class ExportQuery:
    kind: str
    start: datetime
    end: datetime
    area: Area = field(default_factory=Area)
    mmsi: frozenset[int] = frozenset()
    event_types: tuple[str, ...] = ()
    track_ids: frozenset[str] = frozenset()

    @property
    def start_s(self) -> float:
        return self.start.timestamp()

    @property
    def end_s(self) -> float:
        return self.end.timestamp()


def parse_time(text: str | None, name: str) -> datetime | None:
    if text is None or text == "":
        return None
    try:
        return parse_utc(text)
    except ValueError:
        raise InputError(f"{name}: not an ISO 8601 time (e.g. 2024-12-09T22:00:00Z), got {text!r}") from None


def build_query(
    kind: str,
    start: str | None,
    end: str | None,
    now: datetime,
    area: Area | None = None,
    mmsi: list[int] | None = None,
    event_types: list[str] | None = None,
    track_ids: list[str] | None = None,
) -> ExportQuery:
    """Check everything: unknown kind or event type, a window that ends before it starts or spans
    more than a year (streamed either way; the bound stops a typo from reading a decade)."""
    if kind not in KINDS:
        raise InputError(f"kind: unknown {kind!r} (known: {', '.join(KINDS)})")
    t_end = parse_time(end, "end") or now
    t_start = parse_time(start, "start") or t_end - DEFAULT_WINDOW
    if t_end < t_start:
        raise InputError(f"window: end {end} is before start {start}")
    if t_end - t_start > MAX_WINDOW:
        raise InputError(
            f"window: at most {MAX_WINDOW.days} days per export (asked {(t_end - t_start).days})"
        )
    for t in event_types or ():
        if t not in EVENT_TYPES:
            raise InputError(f"type: unknown event type {t!r} (known: {', '.join(EVENT_TYPES)})")
    for m in mmsi or ():
        if not 0 < m < 1_000_000_000:
            raise InputError(f"mmsi: {m} is not a 9-digit MMSI")
    return ExportQuery(
        kind=kind,
        start=t_start,
        end=t_end,
        area=area or Area(),
        mmsi=frozenset(mmsi or ()),
        event_types=tuple(event_types or ()),
        track_ids=frozenset(track_ids or ()),
    )


def parse_format(value: str) -> str:
    fmt = value.strip().lower()
    aliases = {"json": "geojson", "geo+json": "geojson", "geoparquet": "parquet"}
    fmt = aliases.get(fmt, fmt)
    if fmt not in FORMATS:
        raise InputError(f"format: unknown {value!r} (known: {', '.join(FORMATS)})")
    return fmt
