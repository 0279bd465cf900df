"""The columnar form of observations for bulk work (polars / numpy).

Bulk readers return a polars DataFrame with (at least) these columns; `t` is epoch seconds UTC.
Missing values are nulls, never sentinels like 511 or 102.3.
"""

from __future__ import annotations

import polars as pl

POSITION_SCHEMA: dict[str, pl.DataType] = {
    "t": pl.Float64(),  # epoch seconds UTC when the position was valid
    "mmsi": pl.Int64(),  # null for unidentified radar / satellite contacts
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "sog_kn": pl.Float64(),
    "cog_deg": pl.Float64(),
    "heading_deg": pl.Float64(),
    "sensor": pl.Utf8(),  # SensorKind value
    "source": pl.Utf8(),
    "track_id": pl.Utf8(),  # tracker's id; null for raw AIS (detectors then key on "mmsi:<mmsi>")
}

STATIC_SCHEMA: dict[str, pl.DataType] = {
    "t": pl.Float64(),
    "mmsi": pl.Int64(),
    "shipname": pl.Utf8(),
    "callsign": pl.Utf8(),
    "imo": pl.Int64(),
    "ship_type": pl.Int64(),
    "length_m": pl.Float64(),
    "width_m": pl.Float64(),
    "source": pl.Utf8(),
}


def empty_positions() -> pl.DataFrame:
    return pl.DataFrame(schema=POSITION_SCHEMA)


def conform_positions(frame: pl.DataFrame) -> pl.DataFrame:
    """Add missing position columns as nulls and cast known ones, keeping any extra columns after them."""
    exprs = [
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in POSITION_SCHEMA.items()
    ]
    extra = [c for c in frame.columns if c not in POSITION_SCHEMA]
    return frame.select([*exprs, *extra])
