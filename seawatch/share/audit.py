"""Audit of sharing: what was sent to whom, received from whom, rejected and why, who looked at partner data.

Kept in SQLite (the federation's local database), queryable with filters and exportable as CSV or JSONL.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from seawatch.share.responses import ShareAuditRecord
from seawatch.timeutil import iso_utc

ACTIONS = (
    "sent",
    "received",
    "rejected",
    "quarantined",
    "withheld",
    "viewed",
    "expired",
    "policy_changed",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS share_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    t REAL NOT NULL,
    action TEXT NOT NULL,
    partner TEXT,
    origin TEXT,
    seq INTEGER,
    kind TEXT,
    user TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS share_audit_t ON share_audit (t);
CREATE INDEX IF NOT EXISTS share_audit_action ON share_audit (action, partner);
"""


AuditRecord = ShareAuditRecord  # one declaration of an audit row: the API's (share/responses.py)
AUDIT_FIELDS = tuple(ShareAuditRecord.model_fields)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction taken up front (BEGIN IMMEDIATE waits for other writers instead of failing on
    a lock upgrade), rolled back if anything inside raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(path: Path | str) -> sqlite3.Connection:
    """A SQLite connection in WAL mode, usable from the event loop and the API's worker threads, with
    `synchronous=FULL`: a commit is on disk (fsynced) before it returns, so what the federation
    confirmed or acknowledged survives a power cut, not only a killed process. The file is the node's
    own (mode 0600)."""
    path = Path(path)
    if not path.exists():
        path.touch(mode=0o600)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class AuditLog:
    """Append-only audit table; `record` is cheap, `query` and `export` serve the admin."""

    def __init__(self, path: Path | str) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def record(
        self,
        action: str,
        *,
        partner: str | None = None,
        origin: str | None = None,
        seq: int | None = None,
        kind: str | None = None,
        user: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.record_many([(action, partner, origin, seq, kind, user, reason)])

    def record_many(self, rows: Iterable[Sequence[Any]]) -> None:
        """Rows of (action, partner, origin, seq, kind, user, reason), in one transaction."""
        now = time.time()
        with self._lock, transaction(self._conn) as conn:
            conn.executemany(
                "INSERT INTO share_audit (t, action, partner, origin, seq, kind, user, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(now, *row) for row in rows],
            )

    def record_view(self, user: str, what: str, origins: Iterable[str]) -> None:
        """Someone looked at data that came from partners (one row per partner origin)."""
        self.record_many(("viewed", None, o, None, what, user, None) for o in sorted(set(origins)))

    def query(
        self,
        *,
        action: str | None = None,
        partner: str | None = None,
        origin: str | None = None,
        since_s: float | None = None,
        until_s: float | None = None,
        limit: int = 1000,
    ) -> list[AuditRecord]:
        where: list[str] = []
        args: list[Any] = []
        for col, val in (("action", action), ("partner", partner), ("origin", origin)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        if since_s is not None:
            where.append("t >= ?")
            args.append(since_s)
        if until_s is not None:
            where.append("t < ?")
            args.append(until_s)
        sql = "SELECT id, t, action, partner, origin, seq, kind, user, reason FROM share_audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id LIMIT ?"
        args.append(int(limit))
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [
            AuditRecord(**dict(zip(AUDIT_FIELDS, (r[0], iso_utc(r[1]), *r[2:]), strict=True))) for r in rows
        ]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT action, COUNT(*) FROM share_audit GROUP BY action").fetchall()
        return {str(a): int(n) for a, n in rows}

    def export(self, fmt: str, records: Iterable[AuditRecord]) -> str:
        """CSV (with header) or JSONL text of the records."""
        if fmt == "jsonl":
            return "".join(orjson.dumps(r.model_dump()).decode() + "\n" for r in records)
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=AUDIT_FIELDS)
            writer.writeheader()
            for r in records:
                writer.writerow(r.model_dump())
            return buf.getvalue()
        raise ValueError(f"unknown export format {fmt!r} (csv or jsonl)")
