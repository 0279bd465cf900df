"""Vessel identities (AIS static reports) and the history of their changes."""

from __future__ import annotations

import sqlite3
from typing import Any

from seawatch.model import AisStatic
from seawatch.store.connection import SqliteDb, rows_in

_STATIC_FIELDS = ("shipname", "callsign", "imo", "ship_type", "destination")
_IDENTITY_KEYS = (
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


def upsert_static(db: sqlite3.Connection, s: AisStatic) -> None:
    """Merge one static report into `vessels`, recording each changed field in `identity_changes`."""
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


def names_and_types(db: sqlite3.Connection, mmsis: list[int]) -> dict[int, dict[str, Any]]:
    """`{mmsi: {"shipname", "ship_type"}}` for the vessels known among `mmsis`."""
    rows = rows_in(db, "SELECT mmsi, shipname, ship_type FROM vessels", "mmsi", mmsis)
    return {row[0]: {"shipname": row[1], "ship_type": row[2]} for row in rows}


class SqliteVessels(SqliteDb):
    def vessel_identity(self, mmsi: int) -> dict[str, Any] | None:
        row = (
            self._reader()
            .execute(f"SELECT {', '.join(_IDENTITY_KEYS)} FROM vessels WHERE mmsi=?", (mmsi,))
            .fetchone()
        )
        return None if row is None else dict(zip(_IDENTITY_KEYS, row, strict=True))

    def identity_changes(self, mmsi: int) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT t, field, old, new, source FROM identity_changes WHERE mmsi=? ORDER BY id", (mmsi,)
        )
        return [{"t": r[0], "field": r[1], "old": r[2], "new": r[3], "source": r[4]} for r in rows]
