"""Where exported rows come from: a node's store (read only) or input files, as polars frames.

Positions are read an hour of the window at a time (`position_chunks`), so a window larger than
memory streams; every other kind is small enough to read whole (events, zones, sightings) or is
built from the positions (tracks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from seawatch.errors import InputError
from seawatch.export.query import ExportQuery
from seawatch.model import Event
from seawatch.store.history import HISTORY_SCHEMA

HOUR_S = 3600.0
POSITION_COLUMNS: dict[str, pl.DataType] = {k: v for k, v in HISTORY_SCHEMA.items() if k != "seq"}
MAX_EVENTS = 10_000_000


class ExportSource(Protocol):
    def position_chunks(self, query: ExportQuery) -> Iterator[pl.DataFrame]: ...
    def names(self, mmsis: Sequence[int]) -> dict[int, str]: ...
    def events(self, query: ExportQuery) -> list[Event]: ...
    def zones(self) -> list[dict[str, Any]]: ...
    def zone(self, zone_id: str) -> dict[str, Any] | None: ...
    def sightings(self) -> list[dict[str, Any]]: ...


def _filtered(frame: pl.DataFrame, query: ExportQuery) -> pl.DataFrame:
    """The query's area and vessel filters on a positions frame (time already applied)."""
    if frame.is_empty():
        return frame
    if query.mmsi:
        frame = frame.filter(pl.col("mmsi").is_in(list(query.mmsi)))
    if query.track_ids:
        frame = frame.filter(pl.col("track_id").is_in(list(query.track_ids)))
    area = query.area
    if not area.everywhere and not frame.is_empty():
        expr = area.expr()
        if expr is not None:
            frame = frame.filter(expr)
        else:
            frame = frame.filter(pl.Series(area.contains(frame["lon"].to_numpy(), frame["lat"].to_numpy())))
    return frame


class StoreSource:
    """A node's store, read only (`SqliteStore`: recent positions in SQLite, old hours in Parquet)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def position_chunks(self, query: ExportQuery) -> Iterator[pl.DataFrame]:
        """Positions in [start, end] an hour at a time (each row once: hour windows are half open,
        the last one closed)."""
        start, end = query.start_s, query.end_s
        envelope = query.area.envelope()
        where, predicate = "", None
        params: tuple[float, ...] = ()
        if envelope is not None:  # a coarse box the database can use; the exact test follows
            where = "AND lon >= ? AND lat >= ? AND lon <= ? AND lat <= ?"
            params = envelope
            predicate = pl.col("lon").is_between(envelope[0], envelope[2]) & pl.col("lat").is_between(
                envelope[1], envelope[3]
            )
        lo = start
        while lo <= end:
            hi = min(lo + HOUR_S, end)
            last = hi >= end
            # the store's window read (SqliteStore and its per-domain split keep this name)
            frame = self.store._history_frame(lo, hi, where, params, predicate)
            if not last:
                frame = frame.filter(pl.col("t") < hi)
            frame = _filtered(frame.sort("t", "seq").select(list(POSITION_COLUMNS)), query)  # stable order
            if not frame.is_empty():
                yield frame
            if last:
                break
            lo = hi

    def names(self, mmsis: Sequence[int]) -> dict[int, str]:
        out = {}
        for m in mmsis:
            ident = self.store.vessel_identity(int(m))
            if ident and ident.get("shipname"):
                out[int(m)] = str(ident["shipname"])
        return out

    def events(self, query: ExportQuery) -> list[Event]:
        from seawatch.store.base import EventQuery

        envelope = query.area.envelope()
        found: list[Event] = []
        vessels: list[int | None] = [*sorted(query.mmsi)] or [None]
        for mmsi in vessels:
            q = EventQuery(types=query.event_types, since=query.start, until=query.end, bbox=envelope,
                           mmsi=mmsi, limit=MAX_EVENTS)  # fmt: skip
            found += self.store.events(q)
        unique = {e.event_id: e for e in found}
        events = sorted(unique.values(), key=lambda e: (e.start, e.event_id))
        inside = query.area.contains(
            [e.lon for e in events],  # type: ignore[arg-type]
            [e.lat for e in events],  # type: ignore[arg-type]
        )
        return [e for e, ok in zip(events, inside.tolist(), strict=True) if ok]

    def zones(self) -> list[dict[str, Any]]:
        return list(self.store.zones())

    def zone(self, zone_id: str) -> dict[str, Any] | None:
        zone: dict[str, Any] | None = self.store.zone(zone_id)
        return zone

    def sightings(self) -> list[dict[str, Any]]:
        return list(self.store.sightings(MAX_EVENTS))


class FileSource:
    """Input files as `seawatch detect` reads them (AIS NMEA or CSV, radar NMEA, satellite detections):
    positions and tracks (a track per MMSI, or per radar/satellite target); no events, zones or
    sightings (those live in a store)."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        from seawatch.sources.inputs import load_inputs

        result = load_inputs(paths)
        pos = result.positions
        track = pl.concat_str([pl.lit("mmsi:"), pl.col("mmsi").cast(pl.String)])
        if "target_ref" in pos.columns:
            track = pl.when(pl.col("mmsi").is_null()).then(pl.col("target_ref")).otherwise(track)
        self.positions = (
            pos.filter(pl.col("t").is_not_null())
            .with_columns(
                pl.coalesce(pl.col("track_id"), track).alias("track_id"),
                pl.lit(None, dtype=pl.String).alias("node"),
            )
            .select([pl.col(c).cast(d) for c, d in POSITION_COLUMNS.items()])
            .sort("t")
        )
        statics = result.statics.filter(pl.col("shipname").is_not_null() & (pl.col("shipname") != ""))
        self._names = dict(zip(statics["mmsi"].to_list(), statics["shipname"].to_list(), strict=True))

    def position_chunks(self, query: ExportQuery) -> Iterator[pl.DataFrame]:
        frame = self.positions.filter(pl.col("t").is_between(query.start_s, query.end_s))
        frame = _filtered(frame, query)
        if not frame.is_empty():
            yield frame

    def names(self, mmsis: Sequence[int]) -> dict[int, str]:
        return {int(m): self._names[m] for m in mmsis if m in self._names}

    def events(self, query: ExportQuery) -> list[Event]:
        raise InputError("events come from a node's store: give --data-dir (files give positions and tracks)")

    def zones(self) -> list[dict[str, Any]]:
        raise InputError("zones come from a node's store: give --data-dir")

    def zone(self, zone_id: str) -> dict[str, Any] | None:
        raise InputError("--zone needs a node's store (--data-dir); give --bbox for input files")

    def sightings(self) -> list[dict[str, Any]]:
        raise InputError("sightings come from a node's store: give --data-dir")


def in_window(t: float, start: datetime, end: datetime) -> bool:
    return start.timestamp() <= t <= end.timestamp()
