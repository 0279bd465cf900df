"""The federation's own SQLite state: outbox (store-and-forward), sequence counter, seen (origin, seq)
for dedupe and replay rejection, received items with their retention, quarantined items, and admin
policy overrides.

Durability: the database runs with `synchronous=FULL` (see `audit.connect`): a committed transaction
survives a power cut, so the sender confirms an item (to the API client or the node) only once it is in
the outbox, and the receiver acknowledges a message to the broker only once `accept` committed it.
A received item is marked seen and stored in the same transaction, with `merged = 0` until the node has
taken it; items left unmerged by a crash are handed to the node again at start (`unmerged`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from seawatch.share.audit import _SCHEMA as AUDIT_SCHEMA
from seawatch.share.audit import connect, transaction
from seawatch.share.outbox_db import OutboxRow, OutboxTables, QueuedRow, SentRow, _audit

__all__ = ["OutboxRow", "QuarantinedRow", "QueuedRow", "ReceivedRow", "SentRow", "ShareDb"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS share_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS share_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner TEXT NOT NULL,
    seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    wire BLOB NOT NULL,
    not_before REAL NOT NULL,
    items BLOB,
    created_t REAL
);
CREATE INDEX IF NOT EXISTS share_outbox_nb ON share_outbox (not_before, id);
CREATE TABLE IF NOT EXISTS share_sent (
    partner TEXT NOT NULL,
    seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    kind TEXT NOT NULL,
    stream_seq INTEGER NOT NULL,
    items BLOB,
    original INTEGER,
    created_t REAL,
    sent_t REAL NOT NULL,
    PRIMARY KEY (partner, seq)
);
CREATE TABLE IF NOT EXISTS share_seen (
    origin TEXT NOT NULL, seq INTEGER NOT NULL, t REAL NOT NULL, PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS share_floor (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS share_received (
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    received_t REAL NOT NULL,
    expires_t REAL NOT NULL,
    may_reshare INTEGER NOT NULL,
    payload BLOB NOT NULL,
    merged INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (origin, seq)
);
CREATE INDEX IF NOT EXISTS share_received_exp ON share_received (expires_t);
CREATE TABLE IF NOT EXISTS share_quarantine (
    origin TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    t REAL NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (origin, seq)
);
CREATE TABLE IF NOT EXISTS share_derived (event_id TEXT PRIMARY KEY, expires_t REAL NOT NULL);
CREATE TABLE IF NOT EXISTS share_policy (partner TEXT PRIMARY KEY, policy BLOB NOT NULL, t REAL NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class ReceivedRow:
    origin: str
    seq: int
    kind: str
    received_t: float
    expires_t: float
    may_reshare: bool
    payload: dict[str, Any]
    quarantine_reason: str | None = None  # set: kept in quarantine, never handed to the node


@dataclass(frozen=True, slots=True)
class QuarantinedRow:
    origin: str
    seq: int
    kind: str
    t: float
    reason: str
    payload: bytes


class ShareDb(OutboxTables):
    """The federation's tables in one SQLite file (the outbox side: `share.outbox_db`)."""

    def __init__(self, path: Path | str) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        self._conn.executescript(_SCHEMA)
        self._conn.executescript(AUDIT_SCHEMA)  # audit rows are written inside this db's transactions
        outbox_columns = {r[1] for r in self._conn.execute("PRAGMA table_info(share_outbox)")}
        for column, sql_type in (("items", "BLOB"), ("created_t", "REAL"), ("original", "INTEGER")):
            if column not in outbox_columns:  # a database from before re-applying policies to the queue
                self._conn.execute(f"ALTER TABLE share_outbox ADD COLUMN {column} {sql_type}")
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(share_received)")}
        if "merged" not in columns:  # a database from before the column: everything in it was merged
            self._conn.execute("ALTER TABLE share_received ADD COLUMN merged INTEGER NOT NULL DEFAULT 1")

    def close(self) -> None:
        self._conn.close()

    # --- receive side ----------------------------------------------------------------------------
    def accept(self, rows: list[ReceivedRow]) -> list[bool]:
        """Record each (origin, seq) as seen and keep the item (or quarantine it), in one transaction;
        False where it was seen before (replay)."""
        fresh: list[bool] = []
        audit: list[tuple[Any, ...]] = []
        with self._lock, transaction(self._conn):
            floors = dict(self._conn.execute("SELECT origin, seq FROM share_floor").fetchall())
            for r in rows:
                if r.seq <= floors.get(r.origin, 0):  # older than anything we still remember
                    fresh.append(False)
                    continue
                cur = self._conn.execute(
                    "INSERT OR IGNORE INTO share_seen (origin, seq, t) VALUES (?, ?, ?)",
                    (r.origin, r.seq, r.received_t),
                )
                is_new = cur.rowcount == 1
                fresh.append(is_new)
                if is_new:  # audited in the same transaction as kept: both sides' audits stay whole
                    action = "received" if r.quarantine_reason is None else "quarantined"
                    audit.append((action, None, r.origin, r.seq, r.kind, None, r.quarantine_reason))
                if is_new and r.quarantine_reason is not None:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO share_quarantine VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            r.origin,
                            r.seq,
                            r.kind,
                            r.received_t,
                            r.quarantine_reason[:500],
                            _raw_payload(r.payload),
                        ),
                    )
                elif is_new:
                    self._conn.execute(
                        "INSERT INTO share_received"
                        " (origin, seq, kind, received_t, expires_t, may_reshare, payload, merged)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                        (
                            r.origin,
                            r.seq,
                            r.kind,
                            r.received_t,
                            r.expires_t,
                            int(r.may_reshare),
                            orjson.dumps(r.payload),
                        ),
                    )
            _audit(self._conn, audit)
        return fresh

    def mark_merged(self, keys: list[tuple[str, int]]) -> None:
        """The node has taken these items (committed to its store)."""
        with self._lock, transaction(self._conn):
            self._conn.executemany("UPDATE share_received SET merged = 1 WHERE origin = ? AND seq = ?", keys)

    def merged_among(self, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
        """Which of these items the node already took."""
        with self._lock:
            return {
                (str(o), int(q))
                for o, q in keys
                if self._conn.execute(
                    "SELECT 1 FROM share_received WHERE origin = ? AND seq = ? AND merged = 1", (o, q)
                ).fetchone()
            }

    def unmerged(self, limit: int = 10_000) -> list[ReceivedRow]:
        """Items kept and acknowledged but not yet taken by the node (a crash came between)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT origin, seq, kind, received_t, expires_t, may_reshare, payload FROM share_received"
                " WHERE merged = 0 ORDER BY received_t, origin, seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [ReceivedRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), orjson.loads(r[6])) for r in rows]

    def quarantined(self, limit: int = 1000) -> list[QuarantinedRow]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT origin, seq, kind, t, reason, payload FROM share_quarantine ORDER BY t DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [QuarantinedRow(*r) for r in rows]

    def prune_seen(self, before_s: float) -> int:
        """Forget (origin, seq) pairs seen before `before_s`, keeping per origin the highest pruned seq as
        a floor: anything at or below it still counts as a replay. Returns how many pairs went."""
        with self._lock, transaction(self._conn):
            tops = self._conn.execute(
                "SELECT origin, MAX(seq) FROM share_seen WHERE t < ? GROUP BY origin", (before_s,)
            ).fetchall()
            for origin, top in tops:
                self._conn.execute(
                    "INSERT INTO share_floor (origin, seq) VALUES (?, ?)"
                    " ON CONFLICT(origin) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                    (origin, top),
                )
            cur = self._conn.execute("DELETE FROM share_seen WHERE t < ?", (before_s,))
        return int(cur.rowcount)

    def unsee(self, keys: list[tuple[str, int]]) -> None:
        """Undo `accept` for items the node could not take (they will be delivered again)."""
        with self._lock, transaction(self._conn):
            self._conn.executemany("DELETE FROM share_seen WHERE origin = ? AND seq = ?", keys)
            self._conn.executemany("DELETE FROM share_received WHERE origin = ? AND seq = ?", keys)

    def received(
        self, *, origin: str | None = None, kind: str | None = None, limit: int = 100_000
    ) -> list[ReceivedRow]:
        where: list[str] = []
        args: list[Any] = []
        if origin is not None:
            where.append("origin = ?")
            args.append(origin)
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        sql = "SELECT origin, seq, kind, received_t, expires_t, may_reshare, payload FROM share_received"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY origin, seq LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [ReceivedRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), orjson.loads(r[6])) for r in rows]

    def expire(self, now_s: float) -> list[tuple[str, int, str]]:
        """Delete received items past their retention; (origin, seq, kind) of what went."""
        with self._lock, transaction(self._conn):
            gone = self._conn.execute(
                "SELECT origin, seq, kind FROM share_received WHERE expires_t <= ?", (now_s,)
            ).fetchall()
            self._conn.execute("DELETE FROM share_received WHERE expires_t <= ?", (now_s,))
        return [(str(o), int(s), str(k)) for o, s, k in gone]

    # --- events this node derived from partner data ------------------------------------------------
    def note_derived(self, event_id: str, expires_t: float) -> None:
        """An own event raised on partner data ends with the shortest retention of its sources."""
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "INSERT INTO share_derived (event_id, expires_t) VALUES (?, ?)"
                " ON CONFLICT(event_id) DO UPDATE SET expires_t = MIN(expires_t, excluded.expires_t)",
                (event_id, expires_t),
            )

    def expire_derived(self, now_s: float) -> list[str]:
        with self._lock, transaction(self._conn):
            gone = [
                str(r[0])
                for r in self._conn.execute(
                    "SELECT event_id FROM share_derived WHERE expires_t <= ?", (now_s,)
                )
            ]
            self._conn.execute("DELETE FROM share_derived WHERE expires_t <= ?", (now_s,))
        return gone

    # --- admin policy overrides ------------------------------------------------------------------
    def save_policy(self, partner: str, policy: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO share_policy (partner, policy, t) VALUES (?, ?, ?)",
                (partner, orjson.dumps(policy), time.time()),
            )

    def saved_policies(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT partner, policy FROM share_policy").fetchall()
        return {str(p): orjson.loads(b) for p, b in rows}


def _raw_payload(payload: Any) -> bytes:
    """A quarantined payload as bytes, whatever it is (it failed validation: it may not even be JSON-able
    by orjson, e.g. an integer beyond 64 bits)."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return repr(payload).encode()[:65536]
