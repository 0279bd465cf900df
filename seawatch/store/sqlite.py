"""`SqliteStore`: the embedded default store (SQLite WAL for operational data, Parquet for old positions).

Writes go through one connection guarded by a lock; reads use one connection per thread (WAL lets
readers run beside the writer). `write_batch` commits a whole pipeline step in one transaction and
records it in `ingest_batches`: what is counted there is acknowledged and survives kill -9.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from seawatch.model import AisStatic, Event
from seawatch.store.base import EventQuery, IngestBatch, PartnerItem, PositionRow, TrackState, User
from seawatch.store.history import HISTORY_COLUMNS, HOUR_S, ParquetHistory
from seawatch.store.migrations import migrate
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)

_TRACK_COLS = (
    "track_id, mmsi, t, lat, lon, sog_kn, cog_deg, heading_deg, name, ship_type,"
    " sources, sensors, nodes, dark"
)
_POS_COLS = ", ".join(HISTORY_COLUMNS)
_STATIC_FIELDS = ("shipname", "callsign", "imo", "ship_type", "destination")


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


def _position_from_tuple(row: tuple[Any, ...]) -> PositionRow:
    return PositionRow(*row[1:])  # drop seq


def _epoch(value: datetime | None, default: float) -> float:
    return default if value is None else value.timestamp()


class SqliteStore:
    """Embedded store in `data_dir` (`seawatch.db` + `history/`)."""

    def __init__(self, data_dir: Path, synchronous: str = "FULL") -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "seawatch.db"
        self._synchronous = synchronous
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._writer = self._connect()
        self.schema_version = migrate(self._writer)
        self.history = ParquetHistory(self.data_dir / "history")
        self.history.reconcile(r[0] for r in self._writer.execute("SELECT path FROM history_files"))

    # -- connections -------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._writer.close()

    # -- ingest ------------------------------------------------------------------------------------
    def write_batch(self, batch: IngestBatch) -> int:
        with self._tx() as db:
            if batch.positions:
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
                        for p in batch.positions
                    ],
                )
            if batch.tracks:
                db.executemany(
                    f"INSERT OR REPLACE INTO tracks ({_TRACK_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [_track_params(s) for s in batch.tracks],
                )
            for static in batch.statics:
                self._upsert_static(db, static)
            for event, origin in batch.events:
                self._upsert_event(db, event, origin)
            cur = db.execute(
                "INSERT INTO ingest_batches (committed_at, received, positions, events, rejected)"
                " VALUES (?,?,?,?,?)",
                (time.time(), batch.received, len(batch.positions), len(batch.events), batch.rejected),
            )
            return int(cur.lastrowid or 0)

    def _upsert_static(self, db: sqlite3.Connection, s: AisStatic) -> None:
        t = s.received_at.timestamp() if s.received_at else None
        row = db.execute(
            "SELECT shipname, callsign, imo, ship_type, destination FROM vessels WHERE mmsi=?", (s.mmsi,)
        ).fetchone()
        new = {f: getattr(s, f) for f in _STATIC_FIELDS}
        if row is None:
            db.execute(
                "INSERT INTO vessels (mmsi, shipname, callsign, imo, ship_type, length_m, destination,"
                " first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?)",
                (s.mmsi, s.shipname, s.callsign, s.imo, s.ship_type, s.length_m, s.destination, t, t),
            )
            return
        old = dict(zip(_STATIC_FIELDS, row, strict=True))
        for name, value in new.items():
            if value is not None and old[name] is not None and str(value) != str(old[name]):
                db.execute(
                    "INSERT INTO identity_changes (mmsi, t, field, old, new, source) VALUES (?,?,?,?,?,?)",
                    (s.mmsi, t, name, str(old[name]), str(value), s.source),
                )
        merged = {k: (new[k] if new[k] is not None else old[k]) for k in _STATIC_FIELDS}
        db.execute(
            "UPDATE vessels SET shipname=?, callsign=?, imo=?, ship_type=?, destination=?,"
            " length_m=coalesce(?, length_m), last_seen=coalesce(?, last_seen) WHERE mmsi=?",
            (*merged.values(), s.length_m, t, s.mmsi),
        )

    def _upsert_event(self, db: sqlite3.Connection, event: Event, origin: str) -> None:
        obj = event.to_json()
        db.execute(
            "INSERT INTO events (event_id, type, start, end, lat, lon, json, origin_node)"
            " VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT(event_id) DO UPDATE SET end=excluded.end, lat=excluded.lat, lon=excluded.lon,"
            " json=excluded.json",
            (
                obj["id"],
                event.type,
                event.start.timestamp(),
                event.end.timestamp(),
                event.lat,
                event.lon,
                json.dumps(obj),
                origin,
            ),
        )
        db.executemany(
            "INSERT OR IGNORE INTO event_vessels (event_id, mmsi) VALUES (?,?)",
            [(obj["id"], m) for m in event.mmsi],
        )

    def acknowledged(self) -> dict[str, int]:
        row = (
            self._reader()
            .execute(
                "SELECT count(*), coalesce(sum(received),0), coalesce(sum(positions),0),"
                " coalesce(sum(events),0), coalesce(sum(rejected),0) FROM ingest_batches"
            )
            .fetchone()
        )
        return {
            "batches": row[0],
            "received": row[1],
            "positions": row[2],
            "events": row[3],
            "rejected": row[4],
        }

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
                f"SELECT {_POS_COLS} FROM positions WHERE t >= ? AND t < ? ORDER BY seq",
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

    # -- partner data (federation retention) --------------------------------------------------------
    def note_partner_items(self, items: Sequence[PartnerItem]) -> None:
        """Remember what each partner item became, for `forget_partner_items` at its retention's end."""
        if not items:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO partner_items (origin, seq, kind, ref, t, lat, lon)"
                " VALUES (?,?,?,?,?,?,?)",
                [(i.origin, i.seq, i.kind, i.ref, i.t, i.lat, i.lon) for i in items],
            )

    def forget_partner_items(self, gone: Sequence[tuple[str, int, str]]) -> list[str]:
        """Delete what partner items past their retention left in the store: their events, the
        positions they produced (recent table and Parquet history), and the latest state of tracks
        that are purely that partner's once no newer item of it is left. Returns the deleted track ids
        (the node drops them from its live picture)."""
        dropped: list[str] = []
        archived: list[tuple[str, float, float, float]] = []  # (source, t, lat, lon) not in SQLite
        with self._tx() as db:
            for origin, seq, _kind in gone:
                row = db.execute(
                    "SELECT kind, ref, t, lat, lon FROM partner_items WHERE origin=? AND seq=?",
                    (origin, seq),
                ).fetchone()
                if row is None:
                    continue
                kind, ref, t, lat, lon = row
                db.execute("DELETE FROM partner_items WHERE origin=? AND seq=?", (origin, seq))
                if kind == "event":
                    cur = db.execute("DELETE FROM events WHERE event_id=? AND origin_node=?", (ref, origin))
                    if cur.rowcount:
                        db.execute("DELETE FROM event_vessels WHERE event_id=?", (ref,))
                    continue
                if t is None or lat is None or lon is None:
                    continue
                source = f"partner:{origin}"
                match = "source=? AND t=? AND lat=? AND lon=?"
                params = (source, t, lat, lon)
                tracks = {r[0] for r in db.execute(f"SELECT track_id FROM positions WHERE {match}", params)}
                if tracks:
                    db.execute(f"DELETE FROM positions WHERE {match}", params)
                else:  # already compacted to Parquet: the track it updated is found by its state
                    archived.append(params)
                    tracks.update(
                        r[0]
                        for r in db.execute(
                            "SELECT track_id FROM tracks WHERE t=? AND lat=? AND lon=? AND nodes=?",
                            (t, lat, lon, origin),
                        )
                    )
                for track_id in sorted(tracks):
                    # only a track that is the partner's alone, and only once this item is its newest
                    cur = db.execute(
                        "DELETE FROM tracks WHERE track_id=? AND nodes=? AND t<=?", (track_id, origin, t)
                    )
                    if cur.rowcount:
                        dropped.append(track_id)
        if archived:
            self._forget_archived(archived)
        return dropped

    def _forget_archived(self, rows: list[tuple[str, float, float, float]]) -> None:
        """Drop partner positions already compacted to Parquet: rewrite each affected hourly file."""
        by_hour: dict[float, list[tuple[str, float, float, float]]] = {}
        for row in rows:
            by_hour.setdefault((row[1] // HOUR_S) * HOUR_S, []).append(row)
        db = self._reader()
        for hour, keys in by_hour.items():
            drop = pl.lit(False)
            for source, t, lat, lon in keys:
                drop = drop | (
                    (pl.col("source") == source)
                    & (pl.col("t") == t)
                    & (pl.col("lat") == lat)
                    & (pl.col("lon") == lon)
                )
            for (name,) in db.execute(
                "SELECT path FROM history_files WHERE hour_start=?", (hour,)
            ).fetchall():
                remaining = self.history.rewrite_without(name, drop)
                with self._tx() as w:
                    w.execute("UPDATE history_files SET rows=? WHERE path=?", (remaining, name))

    # -- picture -----------------------------------------------------------------------------------
    def latest_tracks(self) -> list[TrackState]:
        return [_track_from_row(r) for r in self._reader().execute(f"SELECT {_TRACK_COLS} FROM tracks")]

    def _history_frame(
        self, start: float, end: float, where: str, params: tuple[Any, ...], predicate: pl.Expr | None
    ) -> pl.DataFrame:
        db = self._reader()
        names = [
            r[0]
            for r in db.execute(
                "SELECT path FROM history_files WHERE hour_start <= ? AND hour_start + 3600 > ?", (end, start)
            )
        ]
        recent = db.execute(
            f"SELECT {_POS_COLS} FROM positions WHERE t >= ? AND t <= ? {where}", (start, end, *params)
        ).fetchall()
        recent_frame = pl.DataFrame(recent, schema=self.history_schema(), orient="row")
        time_pred = (pl.col("t") >= start) & (pl.col("t") <= end)
        archived = self.history.scan(names, time_pred if predicate is None else time_pred & predicate)
        return pl.concat([archived, recent_frame]).unique("seq").sort("t")

    @staticmethod
    def history_schema() -> dict[str, pl.DataType]:
        from seawatch.store.history import HISTORY_SCHEMA

        return HISTORY_SCHEMA

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
        if frame.is_empty():
            return []
        last = frame.group_by("track_id").agg(pl.all().sort_by("t").last())
        sources = frame.group_by("track_id").agg(
            pl.col("sensor").unique().sort(), pl.col("source").unique().sort(), pl.col("node").unique().sort()
        )
        last = last.join(sources, on="track_id", suffix="_all")
        names = self._identities([m for m in last["mmsi"].drop_nulls().unique().to_list()])
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
                    dark=r["mmsi"] is None,
                )
            )
        return out

    def _identities(self, mmsis: list[int]) -> dict[int, dict[str, Any]]:
        if not mmsis:
            return {}
        db = self._reader()
        out: dict[int, dict[str, Any]] = {}
        for i in range(0, len(mmsis), 500):
            chunk = mmsis[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in db.execute(
                f"SELECT mmsi, shipname, ship_type FROM vessels WHERE mmsi IN ({marks})", chunk
            ):
                out[row[0]] = {"shipname": row[1], "ship_type": row[2]}
        return out

    def _positions(
        self, column: str, value: Any, start: datetime | None, end: datetime | None
    ) -> list[PositionRow]:
        frame = self._history_frame(
            _epoch(start, 0.0), _epoch(end, 1e12), f"AND {column} = ?", (value,), pl.col(column) == value
        )
        return [_position_from_tuple(r) for r in frame.iter_rows()]

    def track_history(self, track_id: str, start: datetime | None, end: datetime | None) -> list[PositionRow]:
        return self._positions("track_id", track_id, start, end)

    def vessel_history(self, mmsi: int, start: datetime | None, end: datetime | None) -> list[PositionRow]:
        return self._positions("mmsi", mmsi, start, end)

    def vessel_identity(self, mmsi: int) -> dict[str, Any] | None:
        db = self._reader()
        row = db.execute(
            "SELECT mmsi, shipname, callsign, imo, ship_type, length_m, destination, first_seen, last_seen"
            " FROM vessels WHERE mmsi=?",
            (mmsi,),
        ).fetchone()
        if row is None:
            return None
        keys = (
            "mmsi",
            "shipname",
            "callsign",
            "imo",
            "ship_type",
            "length_m",
            "destination",
            "first_seen",
            "last_seen",
        )
        return dict(zip(keys, row, strict=True))

    def identity_changes(self, mmsi: int) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT t, field, old, new, source FROM identity_changes WHERE mmsi=? ORDER BY id", (mmsi,)
        )
        return [{"t": r[0], "field": r[1], "old": r[2], "new": r[3], "source": r[4]} for r in rows]

    def events(self, query: EventQuery) -> list[Event]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.types:
            clauses.append(f"e.type IN ({','.join('?' * len(query.types))})")
            params.extend(query.types)
        if query.since is not None:
            clauses.append("e.end >= ?")
            params.append(query.since.timestamp())
        if query.until is not None:
            clauses.append("e.start <= ?")
            params.append(query.until.timestamp())
        if query.bbox is not None:
            clauses.append("e.lon >= ? AND e.lat >= ? AND e.lon <= ? AND e.lat <= ?")
            params.extend(query.bbox)
        join = ""
        if query.mmsi is not None:
            join = "JOIN event_vessels v ON v.event_id = e.event_id AND v.mmsi = ?"
            params.insert(0, query.mmsi)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT e.json FROM events e {join} {where} ORDER BY e.start DESC LIMIT ?"
        rows = self._reader().execute(sql, (*params, int(query.limit)))
        return [Event.from_json(json.loads(r[0])) for r in rows]

    def event_origin(self, event_id: str) -> str | None:
        row = (
            self._reader().execute("SELECT origin_node FROM events WHERE event_id=?", (event_id,)).fetchone()
        )
        return None if row is None else str(row[0])

    # -- zones and watchlist -----------------------------------------------------------------------
    def zones(self) -> list[dict[str, Any]]:
        return [
            json.loads(r[0]) for r in self._reader().execute("SELECT feature FROM zones ORDER BY zone_id")
        ]

    def zone(self, zone_id: str) -> dict[str, Any] | None:
        row = self._reader().execute("SELECT feature FROM zones WHERE zone_id=?", (zone_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put_zone(self, zone_id: str, feature: dict[str, Any]) -> None:
        props = feature.get("properties") or {}
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO zones (zone_id, name, kind, feature, updated_at) VALUES (?,?,?,?,?)",
                (zone_id, props.get("name"), props.get("kind"), json.dumps(feature), time.time()),
            )

    def delete_zone(self, zone_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM zones WHERE zone_id=?", (zone_id,)).rowcount > 0

    def watchlist(self) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT entry_id, mmsi, name, reason, created_by, created_at FROM watchlist ORDER BY created_at"
        )
        keys = ("id", "mmsi", "name", "reason", "created_by", "created_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def add_watch(self, entry: dict[str, Any]) -> dict[str, Any]:
        row = {
            "id": entry.get("id") or uuid.uuid4().hex[:12],
            "mmsi": entry.get("mmsi"),
            "name": entry.get("name"),
            "reason": entry.get("reason"),
            "created_by": entry.get("created_by"),
            "created_at": time.time(),
        }
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO watchlist VALUES (?,?,?,?,?,?)", tuple(row.values()))
        return row

    def delete_watch(self, entry_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM watchlist WHERE entry_id=?", (entry_id,)).rowcount > 0

    # -- sightings and audit -----------------------------------------------------------------------
    def add_sighting(self, sighting: dict[str, Any]) -> dict[str, Any]:
        row = dict(sighting)
        row.setdefault("id", uuid.uuid4().hex[:12])
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO sightings (sighting_id, t, lat, lon, mmsi, reported_by, json)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    row["id"],
                    row["t"],
                    row["lat"],
                    row["lon"],
                    row.get("mmsi"),
                    row.get("reported_by"),
                    json.dumps(row),
                ),
            )
        return row

    def sightings(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._reader().execute("SELECT json FROM sightings ORDER BY t DESC LIMIT ?", (limit,))
        return [json.loads(r[0]) for r in rows]

    def audit(self, actor: str, action: str, details: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO audit (t, actor, action, details) VALUES (?,?,?,?)",
                (time.time(), actor, action, json.dumps(details, default=str)),
            )

    def audit_rows(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, t, actor, action, details FROM audit"
        params: tuple[Any, ...] = ()
        if action is not None:
            sql += " WHERE action=?"
            params = (action,)
        rows = self._reader().execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [
            {"id": r[0], "t": r[1], "actor": r[2], "action": r[3], "details": json.loads(r[4])} for r in rows
        ]

    # -- users and tokens --------------------------------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str | None) -> User:
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO users (name, role, pw_hash, created_at) VALUES (?,?,?,?) ON CONFLICT(name)"
                " DO UPDATE SET role=excluded.role, pw_hash=coalesce(excluded.pw_hash, users.pw_hash)",
                (name, role, password_hash, now),
            )
        user = self.user(name)
        assert user is not None
        return user

    def user(self, name: str) -> User | None:
        row = (
            self._reader()
            .execute("SELECT name, role, created_at FROM users WHERE name=?", (name,))
            .fetchone()
        )
        return None if row is None else User(row[0], row[1], utc_from_epoch(row[2]))

    def users(self) -> list[User]:
        rows = self._reader().execute("SELECT name, role, created_at FROM users ORDER BY name")
        return [User(r[0], r[1], utc_from_epoch(r[2])) for r in rows]

    def password_hash(self, name: str) -> str | None:
        row = self._reader().execute("SELECT pw_hash FROM users WHERE name=?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET pw_hash=? WHERE name=?", (password_hash, name))

    def add_token(self, token_hash: str, user: str, kind: str, expires_at: datetime | None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, user, kind, created_at, expires_at) VALUES (?,?,?,?,?)",
                (token_hash, user, kind, time.time(), None if expires_at is None else expires_at.timestamp()),
            )

    def token_user(self, token_hash: str, now: datetime) -> tuple[User, str] | None:
        row = (
            self._reader()
            .execute(
                "SELECT u.name, u.role, u.created_at, t.kind FROM tokens t JOIN users u ON u.name = t.user"
                " WHERE t.token_hash=? AND (t.expires_at IS NULL OR t.expires_at > ?)",
                (token_hash, now.timestamp()),
            )
            .fetchone()
        )
        return None if row is None else (User(row[0], row[1], utc_from_epoch(row[2])), row[3])

    def delete_token(self, token_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM tokens WHERE token_hash=?", (token_hash,))

    # -- settings ----------------------------------------------------------------------------------
    def get_setting(self, key: str) -> Any:
        row = self._reader().execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?,?)", (key, json.dumps(value)))
