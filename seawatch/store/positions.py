"""Track states and position history: recent positions in SQLite, whole old hours in Parquet."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl

from seawatch.store.base import UNSHOWN_TRACK_PREFIX, PositionRow, TrackState
from seawatch.store.connection import SqliteDb
from seawatch.store.history import HISTORY_COLUMNS, HISTORY_SCHEMA, HOUR_S
from seawatch.store.vessels import names_and_types
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)

TRACK_COLS = (
    "track_id, mmsi, t, lat, lon, sog_kn, cog_deg, heading_deg, name, ship_type,"
    " sources, sensors, nodes, dark"
)
POS_COLS = ", ".join(HISTORY_COLUMNS)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (text or "").split(",") if x)


def _track_from_row(row: sqlite3.Row | tuple[Any, ...]) -> TrackState:
    return TrackState(
        track_id=row[0],
        mmsi=row[1],
        time=utc_from_epoch(row[2]),
        lat=row[3],
        lon=row[4],
        sog_kn=row[5],
        cog_deg=row[6],
        heading_deg=row[7],
        name=row[8],
        ship_type=row[9],
        sources=_split(row[10]),
        sensors=_split(row[11]),
        nodes=_split(row[12]),
        dark=bool(row[13]),
    )


def _track_params(s: TrackState) -> tuple[Any, ...]:
    return (
        s.track_id,
        s.mmsi,
        s.time.timestamp(),
        s.lat,
        s.lon,
        s.sog_kn,
        s.cog_deg,
        s.heading_deg,
        s.name,
        s.ship_type,
        ",".join(s.sources),
        ",".join(s.sensors),
        ",".join(s.nodes),
        int(s.dark),
    )


def insert_positions(db: sqlite3.Connection, positions: Sequence[PositionRow]) -> None:
    db.executemany(
        "INSERT INTO positions (t, track_id, mmsi, lat, lon, sog_kn, cog_deg, heading_deg,"
        " sensor, source, node) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                p.t,
                p.track_id,
                p.mmsi,
                p.lat,
                p.lon,
                p.sog_kn,
                p.cog_deg,
                p.heading_deg,
                p.sensor,
                p.source,
                p.node,
            )
            for p in positions
        ],
    )


def replace_tracks(db: sqlite3.Connection, tracks: Sequence[TrackState]) -> None:
    db.executemany(
        f"INSERT OR REPLACE INTO tracks ({TRACK_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [_track_params(s) for s in tracks],
    )


def _epoch(value: datetime | None, default: float) -> float:
    return default if value is None else value.timestamp()


class SqlitePositions(SqliteDb):
    def latest_tracks(self) -> list[TrackState]:
        return [_track_from_row(r) for r in self._reader().execute(f"SELECT {TRACK_COLS} FROM tracks")]

    def position_count(self) -> int:
        """Positions held (SQLite recent + Parquet history)."""
        db = self._reader()
        recent = db.execute("SELECT count(*) FROM positions").fetchone()[0]
        archived = db.execute("SELECT coalesce(sum(rows),0) FROM history_files").fetchone()[0]
        return int(recent + archived)

    def compact(self, before: datetime) -> int:
        """Move positions of whole hours before `before` to Parquet; return how many rows moved."""
        cutoff = (before.timestamp() // HOUR_S) * HOUR_S
        db = self._reader()
        hours = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT cast(t / 3600 AS INTEGER) * 3600.0 FROM positions WHERE t < ? ORDER BY 1",
                (cutoff,),
            )
        ]
        moved = 0
        for hour in hours:
            rows = db.execute(
                f"SELECT {POS_COLS} FROM positions WHERE t >= ? AND t < ? ORDER BY seq",
                (hour, hour + HOUR_S),
            ).fetchall()
            if not rows:
                continue
            seqs = [r[0] for r in rows]
            name = self.history.write(rows, hour, min(seqs), max(seqs))
            with self._tx() as w:
                w.execute(
                    "INSERT INTO history_files (path, hour_start, rows, min_seq, max_seq) VALUES (?,?,?,?,?)",
                    (name, hour, len(rows), min(seqs), max(seqs)),
                )
                w.executemany("DELETE FROM positions WHERE seq=?", [(s,) for s in seqs])
            moved += len(rows)
        if moved:
            log.info("compacted %d positions into Parquet", moved)
        return moved

    def _history_frame(
        self, start: float, end: float, where: str, params: tuple[Any, ...], predicate: pl.Expr | None
    ) -> pl.DataFrame:
        """Positions with `start <= t <= end` from both SQLite and Parquet, matching `where`/`predicate`."""
        db = self._reader()
        names = [
            r[0]
            for r in db.execute(
                "SELECT path FROM history_files WHERE hour_start <= ? AND hour_start + 3600 > ?", (end, start)
            )
        ]
        recent = db.execute(
            f"SELECT {POS_COLS} FROM positions WHERE t >= ? AND t <= ? {where}", (start, end, *params)
        ).fetchall()
        recent_frame = pl.DataFrame(recent, schema=HISTORY_SCHEMA, orient="row")
        time_pred = (pl.col("t") >= start) & (pl.col("t") <= end)
        archived = self.history.scan(names, time_pred if predicate is None else time_pred & predicate)
        return pl.concat([archived, recent_frame]).unique("seq").sort("t")

    def tracks_at(
        self, at: datetime, max_age_s: float, bbox: tuple[float, float, float, float] | None
    ) -> list[TrackState]:
        end = at.timestamp()
        where, pred = "", None
        params: tuple[float, ...] = ()
        if bbox is not None:
            where = "AND lon >= ? AND lat >= ? AND lon <= ? AND lat <= ?"
            params = bbox
            pred = pl.col("lon").is_between(bbox[0], bbox[2]) & pl.col("lat").is_between(bbox[1], bbox[3])
        frame = self._history_frame(end - max_age_s, end, where, params, pred)
        frame = frame.filter(~pl.col("track_id").str.starts_with(UNSHOWN_TRACK_PREFIX))
        if frame.is_empty():
            return []
        last = frame.group_by("track_id").agg(pl.all().sort_by("t").last())
        # as live: a fused track keeps the MMSI of its AIS reports when its latest contact is radar
        sources = frame.group_by("track_id").agg(
            pl.col("sensor").unique().sort(),
            pl.col("source").unique().sort(),
            pl.col("node").unique().sort(),
            pl.col("mmsi").sort_by("t").drop_nulls().last().alias("mmsi_known"),
        )
        last = last.join(sources, on="track_id", suffix="_all")
        last = last.with_columns(pl.coalesce("mmsi_known", "mmsi").alias("mmsi"))
        names = names_and_types(self._reader(), last["mmsi"].drop_nulls().unique().to_list())
        out = []
        for r in last.iter_rows(named=True):
            ident = names.get(r["mmsi"], {})
            out.append(
                TrackState(
                    track_id=r["track_id"],
                    mmsi=r["mmsi"],
                    time=utc_from_epoch(r["t"]),
                    lat=r["lat"],
                    lon=r["lon"],
                    sog_kn=r["sog_kn"],
                    cog_deg=r["cog_deg"],
                    heading_deg=r["heading_deg"],
                    name=ident.get("shipname"),
                    ship_type=ident.get("ship_type"),
                    sources=tuple(r["sensor_all"]),
                    sensors=tuple(r["source_all"]),
                    nodes=tuple(r["node_all"]),
                    dark=r["mmsi"] is None and "ais" not in r["sensor_all"],
                )
            )
        return out

    def _positions(
        self, column: str, value: Any, start: datetime | None, end: datetime | None
    ) -> list[PositionRow]:
        frame = self._history_frame(
            _epoch(start, 0.0), _epoch(end, 1e12), f"AND {column} = ?", (value,), pl.col(column) == value
        )
        return [PositionRow(*row[1:]) for row in frame.iter_rows()]  # drop seq

    def track_history(self, track_id: str, start: datetime | None, end: datetime | None) -> list[PositionRow]:
        return self._positions("track_id", track_id, start, end)

    def vessel_history(self, mmsi: int, start: datetime | None, end: datetime | None) -> list[PositionRow]:
        return self._positions("mmsi", mmsi, start, end)
