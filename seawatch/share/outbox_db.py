"""The outbox side of the federation's database: sequence numbers, bundles waiting for the broker
(`share_outbox`, with the items as the node had them), bundles the broker confirmed but the partner has
not acknowledged yet (`share_sent`, so a purge can send again what is still allowed), admin policy
overrides. Mixed into `share.localdb.ShareDb`, which owns the connection and the schema."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from seawatch.share.audit import transaction


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One signed bundle waiting for the broker: items `seq` .. `seq + count - 1` for `partner`."""

    id: int
    partner: str
    seq: int
    count: int
    kind: str
    subject: str
    wire: bytes


@dataclass(frozen=True, slots=True)
class QueuedRow:
    """An outbox row with its plaintext items, for re-applying a changed policy."""

    id: int
    seq: int
    count: int
    kind: str
    not_before: float
    items: list[list[Any]] | None  # [[seq, data], ...]
    created_t: float | None
    original: bool = False  # items as the node had them (True), or as the partner's policy left them


@dataclass(frozen=True, slots=True)
class SentRow:
    """A bundle the broker confirmed (at `stream_seq`), kept with its items until the partner took it,
    so what a purge drops that the partner may still have can be sent again."""

    partner: str
    seq: int
    count: int
    kind: str
    stream_seq: int
    items: list[list[Any]] | None
    original: bool
    created_t: float | None


class OutboxTables:
    _conn: sqlite3.Connection
    _lock: threading.Lock

    # --- sequence + outbox -----------------------------------------------------------------------
    def next_seqs(self, n: int) -> range:
        """Reserve n sequence numbers (persisted, so a restart never reuses one)."""
        with self._lock, transaction(self._conn):
            row = self._conn.execute("SELECT value FROM share_meta WHERE key = 'next_seq'").fetchone()
            first = int(row[0]) if row else 1
            self._conn.execute(
                "INSERT OR REPLACE INTO share_meta (key, value) VALUES ('next_seq', ?)", (str(first + n),)
            )
        return range(first, first + n)

    def enqueue(self, rows: Iterable[tuple[str, int, int, str, str, bytes, float, bytes, float]]) -> None:
        """(partner, first seq, count, kind, subject, wire, not_before, items, created_t) rows, in one
        transaction. `items` (orjson `[[seq, data], ...]`) are the items as the node had them before the
        partner's policy, kept locally so a changed policy can be re-applied to what is still queued."""
        with self._lock, transaction(self._conn):
            _enqueue(self._conn, rows)

    def queued_for(self, partner: str) -> list[QueuedRow]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, seq, count, kind, not_before, items, created_t, original FROM share_outbox"
                " WHERE partner = ? ORDER BY id",
                (partner,),
            ).fetchall()
        return [
            QueuedRow(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5]) if r[5] else None, r[6], bool(r[7]))
            for r in rows
        ]

    def requeue(self, deletes: list[int], updates: list[tuple[bytes, int, int, float, bytes, int]]) -> None:
        """Re-applied rows: `deletes` (ids, nothing left) and `updates` (wire, first seq, count,
        not_before, items, id), in one transaction."""
        with self._lock, transaction(self._conn):
            self._conn.executemany("DELETE FROM share_outbox WHERE id = ?", [(i,) for i in deletes])
            self._conn.executemany(
                "UPDATE share_outbox SET wire = ?, seq = ?, count = ?, not_before = ?, items = ?"
                " WHERE id = ?",
                updates,
            )

    def waiting_by_partner(self) -> dict[str, tuple[int, float | None]]:
        """Per partner: items waiting in the outbox and the oldest one's creation time."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT partner, COALESCE(SUM(count), 0), MIN(created_t) FROM share_outbox GROUP BY partner"
            ).fetchall()
        return {str(p): (int(n), None if t is None else float(t)) for p, n, t in rows}

    def due(self, now_s: float, limit: int) -> list[OutboxRow]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, partner, seq, count, kind, subject, wire FROM share_outbox"
                " WHERE not_before <= ? ORDER BY id LIMIT ?",
                (now_s, limit),
            ).fetchall()
        return [OutboxRow(*r) for r in rows]

    def mark_sent(
        self, sent: Iterable[tuple[int, int]], audit_rows: Iterable[Sequence[Any]] = (), now_s: float = 0.0
    ) -> None:
        """Move confirmed rows ((outbox id, broker stream seq)) from the outbox to the sent table and
        record their `sent` audit in the same transaction (a crash cannot leave an item delivered but
        unaudited)."""
        pairs = list(sent)
        with self._lock, transaction(self._conn):
            self._conn.executemany(
                "INSERT OR REPLACE INTO share_sent"
                " (partner, seq, count, kind, stream_seq, items, original, created_t, sent_t)"
                " SELECT partner, seq, count, kind, ?, items, original, created_t, ? FROM share_outbox"
                " WHERE id = ?",
                [(stream_seq, now_s, i) for i, stream_seq in pairs],
            )
            self._conn.executemany("DELETE FROM share_outbox WHERE id = ?", [(i,) for i, _ in pairs])
            _audit(self._conn, audit_rows)

    def sent_after(self, partner: str, stream_seq: int) -> list[SentRow]:
        """What the broker confirmed for `partner` beyond its consumer's ack floor, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT partner, seq, count, kind, stream_seq, items, original, created_t FROM share_sent"
                " WHERE partner = ? AND stream_seq > ? ORDER BY stream_seq",
                (partner, stream_seq),
            ).fetchall()
        return [
            SentRow(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5]) if r[5] else None, bool(r[6]), r[7])
            for r in rows
        ]

    def prune_sent(self, partner: str, up_to_stream_seq: int, before_s: float) -> int:
        """Forget sent bundles the partner acknowledged (or older than the broker keeps anything)."""
        with self._lock, transaction(self._conn):
            cur = self._conn.execute(
                "DELETE FROM share_sent WHERE partner = ? AND (stream_seq <= ? OR sent_t < ?)",
                (partner, up_to_stream_seq, before_s),
            )
            return int(cur.rowcount)

    def resend(
        self,
        partner: str,
        after_stream_seq: int,
        rows: Iterable[tuple[str, int, int, str, str, bytes, float, bytes, float]],
        audit_rows: Iterable[Sequence[Any]],
    ) -> None:
        """After a purge: the partner's sent bundles beyond the ack floor leave the sent table, what the
        new policy still allows is queued again (same sequence numbers), the rest audited, at once."""
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "DELETE FROM share_sent WHERE partner = ? AND stream_seq > ?", (partner, after_stream_seq)
            )
            _enqueue(self._conn, rows)
            _audit(self._conn, audit_rows)

    def outbox_size(self) -> int:
        """Items (not bundles) waiting to be sent."""
        with self._lock:
            return int(self._conn.execute("SELECT COALESCE(SUM(count), 0) FROM share_outbox").fetchone()[0])


def _enqueue(conn: Any, rows: Iterable[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO share_outbox"
        " (partner, seq, count, kind, subject, wire, not_before, items, created_t, original)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        list(rows),
    )


def _audit(conn: Any, rows: Iterable[Sequence[Any]]) -> None:
    """Audit rows (action, partner, origin, seq, kind, user, reason) inside the caller's transaction
    (the audit table lives in the same database file: share/audit.py)."""
    now = time.time()
    conn.executemany(
        "INSERT INTO share_audit (t, action, partner, origin, seq, kind, user, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(now, *row) for row in rows],
    )
