"""Satellite (SAR / optical) vessel detections from CSV or GeoJSON.

Three layouts are recognised by their header:
- generic CSV (written by the simulator): `detection_id,scene_id,time,lat,lon,length_m,heading_deg,confidence`
  (`time` ISO 8601 UTC, or epoch seconds; `confidence` 0–1, or a percentage; an optional `footprint` WKT
  column). Other vendors' column names are read through this mapping (case-insensitive; the first alias
  present wins; a header needs time, lat, lon and one of detection id / scene id, and no `mmsi`):

  | role | aliases |
  |---|---|
  | time | `time`, `timestamp`, `timestamp_utc`, `datetime`, `acquisition_time`, `detect_timestamp`, |
  | | `date_time` |
  | lat / lon | `lat`/`latitude`/`detect_lat`/`y`, `lon`/`longitude`/`long`/`detect_lon`/`x` |
  | detection id | `detection_id`, `detect_id`, `object_id`, `id` |
  | scene id | `scene_id`, `scene`, `product_id`, `image_id`, `granule_id` |
  | length_m | `length_m`, `length`, `vessel_length_m`, `estimated_length` |
  | heading_deg | `heading_deg`, `heading` |
  | confidence | `confidence`, `probability`, `score`, `presence_score` |
  | footprint | `footprint` |

  A CSV that names a time, lat and lon but no detection or scene id (or that names nothing
  recognisable) gives one reject naming the columns it saw and those it needs.
- KSAT per-scene delivery: `X,Y,Name,description,Probability,DetectionId,ProductStartTime,ProductStopTime,
  Polarization,Beam,Length,Property,Type,Heading,ProductId`;
- KSAT combined file as processed by GFW:
  `,lon,lat,Name,Probability,DetectionId,ProductStartTime,...,scene_id,footprint`.
GeoJSON: a FeatureCollection of Point features with the generic properties.

A detection's time is the image acquisition start (`ProductStartTime` for KSAT); KSAT `Probability` (%) is
given as `confidence` 0–1. A row without a valid time or position becomes a `Rejected`, never an exception.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from seawatch.model.observation import Observation, Rejected, SensorKind
from seawatch.sources.sensors import SensorConfig
from seawatch.timeutil import parse_utc, utc_from_epoch

log = logging.getLogger(__name__)

GENERIC_COLUMNS = ("detection_id", "scene_id", "time", "lat", "lon", "length_m", "heading_deg", "confidence")
KSAT_SCENE_COLUMNS = ("X", "Y", "Probability", "DetectionId", "ProductStartTime", "ProductId")
KSAT_COMBINED_COLUMNS = ("lon", "lat", "Probability", "DetectionId", "ProductStartTime", "scene_id")
DEFAULT_SIGMA_M = 200.0


GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "timestamp_utc", "datetime", "acquisition_time", "detect_timestamp",
             "date_time"),
    "lat": ("lat", "latitude", "detect_lat", "y"),
    "lon": ("lon", "longitude", "long", "detect_lon", "x"),
    "detection_id": ("detection_id", "detect_id", "object_id", "id"),
    "scene_id": ("scene_id", "scene", "product_id", "image_id", "granule_id"),
    "length_m": ("length_m", "length", "vessel_length_m", "estimated_length"),
    "heading_deg": ("heading_deg", "heading"),
    "confidence": ("confidence", "probability", "score", "presence_score"),
    "footprint": ("footprint",),
}  # fmt: skip
REQUIRED = ("time", "lat", "lon")


def generic_mapping(columns: list[str]) -> dict[str, str] | None:
    """role -> column of a generic-layout header (see the table above), or None when it is not one."""
    lower = {c.strip().lower(): c.strip() for c in columns}
    found = {
        role: next(lower[a] for a in aliases if a in lower)
        for role, aliases in GENERIC_ALIASES.items()
        if any(a in lower for a in aliases)
    }
    if "mmsi" in lower or not all(r in found for r in REQUIRED):
        return None
    if not ({"detection_id", "scene_id"} & set(found)):
        return None
    return found


def layout_error(columns: list[str]) -> str:
    """What an unknown header lacks: the columns seen and the ones needed."""
    needed = "; ".join(f"{role}: one of {', '.join(GENERIC_ALIASES[role])}" for role in REQUIRED)
    ids = f"{', '.join(GENERIC_ALIASES['detection_id'] + GENERIC_ALIASES['scene_id'])}"
    seen = ", ".join(repr(c) for c in columns) or "none"
    return (
        f"unknown detection CSV header: saw columns {seen}; a detection file needs {needed}; and a "
        f"detection or scene id ({ids}); or a KSAT delivery's {', '.join(KSAT_SCENE_COLUMNS)}"
    )


def _layout(columns: list[str]) -> str | None:
    cols = {c.strip() for c in columns}
    if set(KSAT_SCENE_COLUMNS) <= cols:
        return "ksat_scene"
    if set(KSAT_COMBINED_COLUMNS) <= cols:
        return "ksat_combined"
    if generic_mapping(columns) is not None:
        return "generic"
    return None


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    text = str(value).strip()
    if text == "":
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def _is_number(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(str(value).strip()))
    except ValueError:
        return False


def _row_to_obs(row: dict[str, Any], layout: str, source: str) -> Observation:
    """Raise ValueError with the reason when the row is unusable."""
    if layout == "generic":
        lat, lon, time_text = row.get("lat"), row.get("lon"), row.get("time")
        if _is_number(time_text):  # epoch seconds
            time_text = utc_from_epoch(float(str(time_text))).isoformat()
        det_id, scene = row.get("detection_id"), row.get("scene_id")
        length, heading = row.get("length_m"), row.get("heading_deg")
        conf = _opt_float(row.get("confidence"))
        if conf is not None and conf > 1.0:
            conf /= 100.0
        stop_text, footprint = None, row.get("footprint")
    else:
        lat, lon = (
            (row.get("Y"), row.get("X")) if layout == "ksat_scene" else (row.get("lat"), row.get("lon"))
        )
        time_text, stop_text = row.get("ProductStartTime"), row.get("ProductStopTime")
        det_id = row.get("DetectionId")
        scene = row.get("ProductId") if layout == "ksat_scene" else row.get("scene_id")
        length, heading = row.get("Length"), row.get("Heading")
        prob = _opt_float(row.get("Probability"))
        conf = None if prob is None else prob / 100.0
        footprint = row.get("footprint")
    if time_text is None or str(time_text).strip() == "":
        raise ValueError("detection without a time")
    try:
        when = parse_utc(str(time_text).strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise ValueError(f"invalid time {time_text!r}") from exc
    flat, flon = _opt_float(lat), _opt_float(lon)
    if flat is None or flon is None:
        raise ValueError("detection without a position")
    if not (-90 <= flat <= 90 and -180 <= flon <= 180):
        raise ValueError(f"position {flat}, {flon} out of range")
    extra: dict[str, Any] = {
        "scene_id": (str(scene).strip() or None) if scene is not None else None,
        "confidence": conf,
        "footprint": (str(footprint).strip() or None) if footprint else None,
    }
    if stop_text:
        extra["scene_end"] = parse_utc(str(stop_text).strip().replace(" ", "T", 1))
    for key in ("Polarization", "Beam", "Type"):
        if row.get(key):
            extra[key.lower()] = str(row[key]).strip()
    hdg = _opt_float(heading)
    return Observation(
        time=when,
        lat=flat,
        lon=flon,
        sensor=SensorKind.SATELLITE,
        source=source,
        target_ref=(str(det_id).strip() or None) if det_id else None,
        heading_deg=None if hdg is None else hdg % 360.0,
        length_m=_opt_float(length),
        station=extra["scene_id"],
        extra=extra,
    )


def iter_detection_rows(
    rows: Iterator[dict[str, Any]], layout: str, source: str, first_line: int = 2
) -> Iterator[Observation | Rejected]:
    for i, row in enumerate(rows, start=first_line):
        try:
            yield _row_to_obs(row, layout, source)
        except (ValueError, TypeError) as exc:
            raw = json.dumps(row, default=str)
            yield Rejected(raw=raw, reason=str(exc), source=source, line_no=i)


def _read_text(path: Path) -> str:
    """The file's text (plain or gzip); a damaged gzip file is a one-line `InputError` (a cut GeoJSON
    or CSV of detections has no good part that is sure to be whole)."""
    from seawatch.sources.formats import open_binary

    return open_binary(path).decode("utf-8-sig")


def iter_satellite_file(path: str | Path) -> Iterator[Observation | Rejected]:
    """Detections (or rejects) of a satellite CSV / GeoJSON file."""
    path = Path(path)
    text = _read_text(path)
    source = str(path)
    if text.lstrip().startswith("{"):
        yield from _iter_geojson(text, source)
        return
    reader = csv.DictReader(io.StringIO(text))
    header = [c.strip() for c in reader.fieldnames or []]
    layout = _layout(header)
    if layout is None:
        yield Rejected(raw=",".join(header), reason=layout_error(header), source=source)
        return
    rows: Iterator[dict[str, Any]] = iter(reader)
    if layout == "generic":  # rename the vendor's columns to the generic roles
        mapping = generic_mapping(header) or {}
        rows = ({role: row.get(col) for role, col in mapping.items()} for row in reader)
    yield from iter_detection_rows(rows, layout, source)


def _iter_geojson(text: str, source: str) -> Iterator[Observation | Rejected]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Rejected(raw=text[:200], reason=f"invalid GeoJSON: {exc}", source=source)
        return
    features = doc.get("features", []) if isinstance(doc, dict) else []
    for i, feat in enumerate(features):
        geom = (feat or {}).get("geometry") or {}
        props = dict((feat or {}).get("properties") or {})
        if geom.get("type") != "Point" or len(geom.get("coordinates") or []) < 2:
            yield Rejected(
                raw=json.dumps(feat)[:500], reason="feature is not a Point", source=source, line_no=i
            )
            continue
        props["lon"], props["lat"] = geom["coordinates"][0], geom["coordinates"][1]
        yield from iter_detection_rows(iter([props]), "generic", source, first_line=i)


def sniff_satellite(path: str | Path, head: bytes) -> bool:
    """True for a detection CSV header (generic or KSAT) or a GeoJSON of detections."""
    text = head.decode("utf-8-sig", "replace")
    first = text.splitlines()[0] if text else ""
    if text.lstrip().startswith("{"):
        return '"FeatureCollection"' in text and ('"detection_id"' in text or '"scene_id"' in text)
    return _layout(next(csv.reader([first]), [])) is not None


def load_satellite_file(path: str | Path) -> tuple[pl.DataFrame, list[Rejected], dict[str, int]]:
    """Bulk form: (positions with `target_ref`, `length_m`, `scene_id`, `confidence`...), rejects, counts."""
    from seawatch.sources.radar import observations_to_frame

    obs: list[Observation] = []
    rejects: list[Rejected] = []
    for item in iter_satellite_file(path):
        if isinstance(item, Rejected):
            rejects.append(item)
        else:
            obs.append(item)
    frame = observations_to_frame(obs).with_columns(
        pl.Series("footprint", [o.extra.get("footprint") for o in obs], dtype=pl.Utf8)
    )
    return frame, rejects, {"satellite": len(obs), "rejected": len(rejects)}


def _register() -> None:
    from seawatch.sources.formats import FormatSpec, LoadResult, register_format

    def load(path: Path, sites: SensorConfig | None = None) -> LoadResult:
        frame, rejects, counts = load_satellite_file(path)
        return LoadResult(positions=frame, rejects=rejects, counts=counts)

    def iterate(path: Path, sites: SensorConfig | None = None) -> Iterator[Observation | Rejected]:
        return iter_satellite_file(path)

    register_format(
        FormatSpec(
            name="satellite-detections",
            sniff=sniff_satellite,
            load=load,
            iterate=iterate,
            priority=20,
            description="satellite vessel detections: generic CSV / GeoJSON, KSAT deliveries",
        )
    )


_register()
