"""Decoded AIS positions as numpy columns (`line, t, mmsi, mmsi_null, lat, lon, sog_kn, cog_deg,
heading_deg, msg_type, station_code`), from the fast path's batch or from pyais's models, so
`ais_bulk.BulkDecodeResult.positions_frame` merges both by line into one frame. "Not available"
sentinels become NaN; `station_code` is -1 for none."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from seawatch.model.observation import AisPosition
from seawatch.sources.ais_convert import LAT_NA, LON_NA, POSITION_TYPES
from seawatch.sources.ais_fast import FastBatch


def fast_position_columns(b: FastBatch) -> dict[str, np.ndarray]:
    """Position rows of a fast batch as numpy columns in input order (NaN for null floats,
    `station_code` -1 for none; `mmsi_null` marks a missing MMSI). Which batch rows are positions
    is found first; each group then writes its values straight to their places (one pass)."""
    groups = []
    is_position = np.zeros(len(b), dtype=bool)
    for g in b.groups:
        lat, lon = g.columns.get("lat"), g.columns.get("lon")
        if g.msg_type in POSITION_TYPES and isinstance(lat, np.ndarray) and isinstance(lon, np.ndarray):
            keep = (lat != LAT_NA) & (lon != LON_NA)
            sel = None if keep.all() else np.flatnonzero(keep)  # None: every row has a position
            groups.append((g, lat, lon, sel))
            is_position[g.rows if sel is None else g.rows[sel]] = True
    rows = np.flatnonzero(is_position)
    rank = np.cumsum(is_position) - 1  # a position row's place in the output
    n = len(rows)
    out = {name: np.empty(n) for name in ("lat", "lon", "sog_kn", "cog_deg", "heading_deg")}
    mmsi = np.zeros(n, dtype=np.int64)
    mmsi_null = np.zeros(n, dtype=bool)
    for g, lat, lon, sel in groups:

        def kept(col: np.ndarray, sel: np.ndarray | None = sel) -> np.ndarray:
            return col if sel is None else col[sel]

        dest = rank[kept(g.rows)]
        out["lat"][dest] = kept(lat)
        out["lon"][dest] = kept(lon)
        g_mmsi = g.columns.get("mmsi")
        if isinstance(g_mmsi, np.ndarray):
            mmsi[dest] = kept(g_mmsi)
        else:
            mmsi_null[dest] = True
        speed_na = {27: 63.0, 9: 1023.0}.get(g.msg_type, 102.3)
        course_na = 511.0 if g.msg_type == 27 else 360.0
        for name, field_name, not_available in (
            ("sog_kn", "speed", speed_na),
            ("cog_deg", "course", course_na),
            ("heading_deg", "heading", 360.0),
        ):
            col = g.columns.get(field_name)
            if not isinstance(col, np.ndarray):
                out[name][dest] = np.nan
                continue
            values = kept(col)
            out[name][dest] = values
            absent = (values >= not_available) | (values < 0)  # "not available" as null
            if absent.any():
                out[name][dest[absent]] = np.nan
    return {
        "line": b.line[rows],
        "t": b.t[rows],
        "mmsi": mmsi,
        "mmsi_null": mmsi_null,
        **out,
        "msg_type": b.msg_type[rows].astype(np.int64),
        "station_code": b.station_code[rows].astype(np.int64),
    }


def model_position_columns(
    models: list[tuple[int, AisPosition]], stations: dict[str | None, int]
) -> dict[str, np.ndarray] | None:
    """Position models (line, model) as the same columns, in line order; new station names are
    added to `stations`. None when there are none."""
    models = sorted(models, key=lambda x: x[0])
    if not models:
        return None

    def floats(values: list[float | None]) -> np.ndarray:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)

    ms = [m for _, m in models]
    return {
        "line": np.array([line for line, _ in models], dtype=np.int64),
        "t": floats([epoch(m.received_at) for m in ms]),
        "mmsi": np.array([m.mmsi for m in ms], dtype=np.int64),
        "mmsi_null": np.zeros(len(ms), dtype=bool),
        "lat": floats([m.lat for m in ms]),
        "lon": floats([m.lon for m in ms]),
        "sog_kn": floats([m.speed for m in ms]),
        "cog_deg": floats([m.course for m in ms]),
        "heading_deg": floats([None if m.heading is None else float(m.heading) for m in ms]),
        "msg_type": np.array([m.msg_type for m in ms], dtype=np.int64),
        "station_code": np.array(
            [-1 if m.station is None else stations.setdefault(m.station, len(stations)) for m in ms],
            dtype=np.int64,
        ),
    }


def epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()
