"""Each kind of export as chunks of one table shape: property columns (a polars frame) and one
geometry per row (shapely), whatever the output format.

- positions: one row per position; a Point.
- tracks: one row per track in the window; a LineString through its positions in time order (a
  Point when it has one), `times` (ISO, one per vertex) for formats that carry time per vertex.
- events: one row per event (the `seawatch detect` JSON shape); a Point; `reason` says why it fired.
- zones: one row per zone; its polygon.
- sightings: one row per reported sighting; a Point.
Columns listed in `JSON_COLUMNS` hold JSON text (lists and objects): GeoJSON writes them as JSON,
CSV, Parquet and KML as the text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import polars as pl
import shapely

from seawatch.errors import InputError
from seawatch.export.query import ExportQuery
from seawatch.export.read import POSITION_COLUMNS, ExportSource
from seawatch.model import Event
from seawatch.timeutil import iso_utc, parse_utc

TRACKS_MAX_POSITIONS = 20_000_000  # a track is built from all its positions: they are held in memory
JSON_COLUMNS = frozenset({"mmsi_list", "details", "params", "track_ids", "times", "properties"})


@dataclass
class Chunk:
    frame: pl.DataFrame
    geometry: np.ndarray  # shapely geometries, one per row

    def __len__(self) -> int:
        return self.frame.height


def _iso_column(t: pl.Expr) -> pl.Expr:
    """Epoch seconds -> ISO 8601 UTC text, `iso_utc`'s form (milliseconds only when present)."""
    dt = pl.from_epoch((t * 1e6).round(0).cast(pl.Int64), time_unit="us").dt.replace_time_zone("UTC")
    with_ms = dt.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    whole = dt.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return pl.when(dt.dt.microsecond() == 0).then(whole).otherwise(with_ms)


SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "positions": {"time": pl.String(), **{k: v for k, v in POSITION_COLUMNS.items() if k != "t"}},
    "tracks": {"track_id": pl.String(), "mmsi": pl.Int64(), "name": pl.String(), "start": pl.String(),
               "end": pl.String(), "points": pl.Int64(), "times": pl.String()},
    "events": {"id": pl.String(), "type": pl.String(), "mmsi": pl.Int64(), "mmsi_list": pl.String(),
               "start": pl.String(), "end": pl.String(), "lat": pl.Float64(), "lon": pl.Float64(),
               "reason": pl.String(), "details": pl.String(), "params": pl.String(),
               "track_ids": pl.String()},
    "zones": {"zone_id": pl.String(), "name": pl.String(), "kind": pl.String(), "properties": pl.String()},
    "sightings": {"id": pl.String(), "time": pl.String(), "lat": pl.Float64(), "lon": pl.Float64(),
                  "mmsi": pl.Int64(), "name": pl.String(), "sog_kn": pl.Float64(), "cog_deg": pl.Float64(),
                  "reported_by": pl.String(), "notes": pl.String()},
}  # fmt: skip
GEOMETRY_TYPES = {"positions": ["Point"], "tracks": ["LineString", "Point"], "events": ["Point"],
                  "zones": ["Polygon", "MultiPolygon"], "sightings": ["Point"]}  # fmt: skip


def _points(frame: pl.DataFrame) -> np.ndarray:
    return np.asarray(shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy()), dtype=object)


def empty_chunk(kind: str) -> Chunk:
    return Chunk(pl.DataFrame(schema=SCHEMAS[kind]), np.empty(0, dtype=object))


def chunks(source: ExportSource, query: ExportQuery) -> Iterator[Chunk]:
    kind = query.kind
    if kind == "positions":
        yield from _positions(source, query)
    elif kind == "tracks":
        yield from _tracks(source, query)
    elif kind == "events":
        yield from _events(source, query)
    elif kind == "zones":
        yield from _zones(source, query)
    else:
        yield from _sightings(source, query)


def _positions(source: ExportSource, query: ExportQuery) -> Iterator[Chunk]:
    for frame in source.position_chunks(query):
        props = frame.with_columns(_iso_column(pl.col("t")).alias("time")).select(list(SCHEMAS["positions"]))
        yield Chunk(props, _points(frame))


def _tracks(source: ExportSource, query: ExportQuery) -> Iterator[Chunk]:
    parts, rows = [], 0
    for f in source.position_chunks(query):
        rows += f.height
        if rows > TRACKS_MAX_POSITIONS:
            raise InputError(
                f"tracks: more than {TRACKS_MAX_POSITIONS:,} positions in the window; narrow the window or "
                "area, or export positions (streamed an hour at a time)"
            )
        parts.append(f.select("t", "track_id", "mmsi", "lon", "lat"))
    if not parts:
        return
    frame = pl.concat(parts).filter(pl.col("track_id").is_not_null()).sort(["track_id", "t"])
    grouped = frame.group_by("track_id", maintain_order=True).agg(
        pl.col("mmsi").drop_nulls().last(),
        pl.col("t").min().alias("t0"),
        pl.col("t").max().alias("t1"),
        pl.len().alias("points"),
        _iso_column(pl.col("t")).alias("times"),
        pl.col("lon"),
        pl.col("lat"),
    )
    names = source.names(grouped["mmsi"].drop_nulls().unique().to_list())
    geoms = np.array(
        [shapely.linestrings(np.column_stack([x, y])) if len(x) > 1 else shapely.Point(x[0], y[0])
         for x, y in zip(grouped["lon"].to_list(), grouped["lat"].to_list(), strict=True)],
        dtype=object,
    )  # fmt: skip
    props = grouped.with_columns(
        pl.col("mmsi").replace_strict(names, default=None, return_dtype=pl.String).alias("name"),
        _iso_column(pl.col("t0")).alias("start"),
        _iso_column(pl.col("t1")).alias("end"),
        pl.Series("times", [orjson.dumps(t).decode() for t in grouped["times"].to_list()], dtype=pl.String),
    ).select([pl.col(c).cast(d) for c, d in SCHEMAS["tracks"].items()])
    yield Chunk(props, geoms)


def reason(event: dict[str, Any]) -> str:
    """Why it fired, in one line: the facts (details) and the thresholds in force (params)."""

    def fmt(d: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in d.items() if not isinstance(v, dict | list))

    vessels = ", ".join(str(m) for m in event["mmsi"]) or "no MMSI"
    text = f"{event['type'].replace('_', ' ')} ({vessels}) {event['start']} to {event['end']}"
    if event.get("details"):
        text += f": {fmt(event['details'])}"
    if event.get("params"):
        text += f"; thresholds: {fmt(event['params'])}"
    return text


def _events(source: ExportSource, query: ExportQuery) -> Iterator[Chunk]:
    events: list[Event] = source.events(query)
    if not events:
        return
    rows = []
    for e in events:
        j = e.to_json()
        rows.append({
            "id": j["id"], "type": j["type"], "mmsi": j["mmsi"][0] if j["mmsi"] else None,
            "mmsi_list": orjson.dumps(j["mmsi"]).decode(), "start": j["start"], "end": j["end"],
            "lat": j["lat"], "lon": j["lon"], "reason": reason(j),
            "details": orjson.dumps(j["details"], default=str).decode(),
            "params": orjson.dumps(j["params"], default=str).decode(),
            "track_ids": orjson.dumps(j.get("track_ids", [])).decode(),
        })  # fmt: skip
    frame = pl.DataFrame(rows, schema=SCHEMAS["events"])
    yield Chunk(frame, _points(frame))


def _zones(source: ExportSource, query: ExportQuery) -> Iterator[Chunk]:
    rows, geoms = [], []
    for feature in source.zones():
        props = dict(feature.get("properties") or {})
        geometry = shapely.geometry.shape(feature["geometry"])
        if not query.area.intersects(geometry):
            continue
        zone_id = props.get("zone_id") or props.get("id") or feature.get("id")
        rows.append({"zone_id": None if zone_id is None else str(zone_id), "name": props.get("name"),
                     "kind": props.get("kind"),
                     "properties": orjson.dumps(props, default=str).decode()})  # fmt: skip
        geoms.append(geometry)
    if rows:
        yield Chunk(pl.DataFrame(rows, schema=SCHEMAS["zones"]), np.array(geoms, dtype=object))


def _sightings(source: ExportSource, query: ExportQuery) -> Iterator[Chunk]:
    rows = []
    for s in source.sightings():
        t = float(s["t"]) if isinstance(s.get("t"), int | float) else parse_utc(str(s["t"])).timestamp()
        if not query.start_s <= t <= query.end_s:
            continue
        if query.mmsi and s.get("mmsi") not in query.mmsi:
            continue
        rows.append({"id": s.get("id"), "time": iso_utc(t), "lat": s["lat"], "lon": s["lon"],
                     "mmsi": s.get("mmsi"), "name": s.get("name"), "sog_kn": s.get("sog_kn"),
                     "cog_deg": s.get("cog_deg"), "reported_by": s.get("reported_by"),
                     "notes": s.get("notes")})  # fmt: skip
    if not rows:
        return
    frame = pl.DataFrame(rows, schema=SCHEMAS["sightings"]).sort("time")
    frame = frame.filter(pl.Series(query.area.contains(frame["lon"].to_numpy(), frame["lat"].to_numpy())))
    yield Chunk(frame, _points(frame))
