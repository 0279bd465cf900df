"""Export writers: chunks of one table shape (`tables.Chunk`) to GeoJSON, KML, CSV or GeoParquet bytes.

Each writer is an iterator of byte blocks, so the CLI writes them to a file and the API streams them;
only KML is built whole (simplekml keeps a document in memory), and refuses more than `KML_MAX_ROWS`
rows with a clear error (use GeoJSON, CSV or Parquet for bigger windows).
- GeoJSON: one FeatureCollection (RFC 7946, WGS 84 lon/lat), a Feature per row, JSON-text columns
  written as JSON.
- CSV: a header, then one line per row; tracks and zones carry their geometry as WKT (`wkt`).
- Parquet: GeoParquet 1.1 (a WKB `geometry` column and the `geo` file metadata), one row group per
  chunk.
- KML 2.2: positions, events and sightings as Placemarks with a Point and a TimeStamp/TimeSpan
  (events named by type, with their reason as description), tracks as `gx:Track` (a line with a time
  per vertex), zones as polygons; every column in ExtendedData.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from seawatch.errors import InputError
from seawatch.export.tables import GEOMETRY_TYPES, JSON_COLUMNS, SCHEMAS, Chunk, empty_chunk

KML_MAX_ROWS = 200_000


def write(fmt: str, kind: str, chunks: Iterable[Chunk]) -> Iterator[bytes]:
    if fmt == "geojson":
        return geojson(chunks)
    if fmt == "csv":
        return csv(kind, chunks)
    if fmt == "parquet":
        return parquet(kind, chunks)
    return kml(kind, chunks)


# -- GeoJSON ----------------------------------------------------------------------------------------


def _properties_json(frame: pl.DataFrame) -> pl.Series:
    """Each row's properties as a JSON object, JSON-text columns spliced in as JSON."""
    plain = [c for c in frame.columns if c not in JSON_COLUMNS]
    raw = [c for c in frame.columns if c in JSON_COLUMNS]
    base = frame.select(pl.struct(plain).struct.json_encode().alias("p"))["p"] if plain else None
    if not raw:
        assert base is not None
        return base
    parts: list[pl.Expr] = []
    for c in raw:
        key = "mmsi" if c == "mmsi_list" else c
        parts += [pl.lit(f',"{key}":'), pl.col(c).fill_null("null")]
    head = pl.col("p").str.slice(0, pl.col("p").str.len_bytes() - 1) if base is not None else pl.lit("{")
    tail = pl.concat_str([head, *parts, pl.lit("}")])
    out = frame.with_columns(base if base is not None else pl.lit("")).select(tail.alias("p"))["p"]
    return out if base is not None else out.str.replace("^\\{,", "{")


def geojson(chunks: Iterable[Chunk]) -> Iterator[bytes]:
    """The header goes out with the first chunk, so an error reading it is raised before any byte."""
    head = b'{"type":"FeatureCollection","features":['
    first = True
    for chunk in chunks:
        if not len(chunk):
            continue
        frame = chunk.frame
        if "mmsi_list" in frame.columns:  # events: `mmsi` is the list (the detect shape)
            frame = frame.drop("mmsi")
        geometry = shapely.to_geojson(chunk.geometry)
        props = _properties_json(frame).to_list()
        body = ",\n".join(
            f'{{"type":"Feature","geometry":{g},"properties":{p}}}'
            for g, p in zip(geometry, props, strict=True)
        )
        yield (head + b"\n" if first else b",\n") + body.encode()
        first = False
    yield (head if first else b"") + b"\n]}\n"


# -- CSV --------------------------------------------------------------------------------------------


def csv(kind: str, chunks: Iterable[Chunk]) -> Iterator[bytes]:
    with_wkt = kind in ("tracks", "zones")
    header = True
    for chunk in _with_empty(kind, chunks):
        frame = chunk.frame
        if with_wkt:
            frame = frame.with_columns(pl.Series("wkt", shapely.to_wkt(chunk.geometry, rounding_precision=-1),
                                                 dtype=pl.String))  # fmt: skip
        buf = io.BytesIO()
        frame.write_csv(buf, include_header=header)
        header = False
        yield buf.getvalue()


def _with_empty(kind: str, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
    """The chunks, or one empty chunk (so the file still has its header or schema)."""
    any_rows = False
    for chunk in chunks:
        any_rows = True
        yield chunk
    if not any_rows:
        yield empty_chunk(kind)


# -- GeoParquet -------------------------------------------------------------------------------------


def _geo_metadata(kind: str) -> bytes:
    meta = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": GEOMETRY_TYPES[kind]}},
    }  # no "crs": GeoParquet's default, OGC:CRS84 (WGS 84 lon/lat)
    return orjson.dumps(meta)


class _Sink(io.RawIOBase):
    """A write-only file that hands out what was written since the last `take`."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.parts.append(bytes(b))
        return len(b)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def parquet(kind: str, chunks: Iterable[Chunk]) -> Iterator[bytes]:
    schema_frame = pl.DataFrame(schema=SCHEMAS[kind]).to_arrow()
    schema = schema_frame.schema.append(pa.field("geometry", pa.binary()))
    schema = schema.with_metadata({b"geo": _geo_metadata(kind)})
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    for chunk in chunks:
        if not len(chunk):
            continue
        table = chunk.frame.to_arrow().cast(schema_frame.schema)
        table = table.append_column("geometry", pa.array(shapely.to_wkb(chunk.geometry), type=pa.binary()))
        writer.write_table(table.replace_schema_metadata(schema.metadata))
        yield sink.take()
    writer.close()
    yield sink.take()


# -- KML --------------------------------------------------------------------------------------------


def kml(kind: str, chunks: Iterable[Chunk]) -> Iterator[bytes]:
    import simplekml

    doc = simplekml.Kml(name=f"Seawatch {kind}")
    rows = 0
    for chunk in chunks:
        rows += len(chunk)
        if rows > KML_MAX_ROWS:
            raise InputError(
                f"format: more than {KML_MAX_ROWS:,} {kind} for KML; narrow the window or area, or use "
                "geojson, csv or parquet (streamed)"
            )
        for row, geom in zip(chunk.frame.iter_rows(named=True), chunk.geometry, strict=True):
            _placemark(doc, kind, row, geom)
    yield doc.kml().encode("utf-8")


def _placemark(doc: Any, kind: str, row: dict[str, Any], geom: Any) -> None:
    if kind == "tracks":
        name = row["name"] or (f"MMSI {row['mmsi']}" if row["mmsi"] else row["track_id"])
        place = doc.newgxtrack(name=name)
        coords = shapely.get_coordinates(geom).tolist()
        place.newwhen(orjson.loads(row["times"]))
        place.newgxcoord([(x, y) for x, y in coords])
        place.timespan.begin, place.timespan.end = row["start"], row["end"]
    elif kind == "zones":
        place = _polygon(doc, row["name"] or row["zone_id"] or "zone", geom)
    else:
        if kind == "events":
            name = f"{row['type'].replace('_', ' ')} {', '.join(map(str, orjson.loads(row['mmsi_list'])))}"
        elif kind == "positions":
            name = f"MMSI {row['mmsi']}" if row["mmsi"] else row["track_id"]
        else:
            name = row["name"] or (f"MMSI {row['mmsi']}" if row["mmsi"] else "sighting")
        place = doc.newpoint(name=name, coords=[(geom.x, geom.y)])
        if kind == "events":
            place.description = row["reason"]
            place.timespan.begin, place.timespan.end = row["start"], row["end"]
        else:
            place.timestamp.when = row["time"]
    for key, value in row.items():
        if key != "times" and value is not None:
            place.extendeddata.newdata(name=key, value=str(value))


def _polygon(doc: Any, name: str, geom: Any) -> Any:
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    if len(polygons) == 1:
        place = doc.newpolygon(name=name)
        _rings(place, polygons[0])
        return place
    multi = doc.newmultigeometry(name=name)
    for poly in polygons:
        _rings(multi.newpolygon(), poly)
    return multi


def _rings(place: Any, poly: Any) -> None:
    place.outerboundaryis = list(poly.exterior.coords)
    place.innerboundaryis = [list(r.coords) for r in poly.interiors]
