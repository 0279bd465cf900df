"""Rejected inputs in the SQLite store: counted per source and reason for good, and a bounded sample
of the latest ones kept per source and reason, so junk by the million (one reason) cannot flush the
evidence of another trouble (another reason, or another source).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from seawatch.model import Rejected
from seawatch.store.connection import SqliteDb

SAMPLES_PER_REASON = 20  # newest kept of each (source, reason)
SAMPLES_PER_SOURCE = 200  # and at most this many per source in all
RAW_CHARS = 500  # of each sampled line: enough to see what it was, bounded so a 50 MiB line is not kept


def reason_key(reason: str) -> str:
    """The reason without its details ("bad checksum: 0x3F" -> "bad checksum")."""
    return reason.split(":", 1)[0].strip()[:100]


class SqliteRejects(SqliteDb):
    def record_rejects(self, rejects: Sequence[Rejected], per_reason: int = SAMPLES_PER_REASON) -> None:
        """Add a batch's rejects to the counts; keep the newest `per_reason` of each (source, reason)."""
        if not rejects:
            return
        now = time.time()
        counts = Counter((r.source, reason_key(r.reason)) for r in rejects)
        newest: dict[tuple[str, str], list[Rejected]] = {}
        for rej in reversed(rejects):
            kept = newest.setdefault((rej.source, reason_key(rej.reason)), [])
            if len(kept) < per_reason:
                kept.append(rej)
        with self._tx() as db:
            db.executemany(
                "INSERT INTO reject_counts (source, reason, count, last_t) VALUES (?,?,?,?)"
                " ON CONFLICT(source, reason) DO UPDATE SET count = count + excluded.count,"
                " last_t = excluded.last_t",
                [(source, reason, n, now) for (source, reason), n in counts.items()],
            )
            for (source, key), kept in newest.items():
                db.executemany(
                    "INSERT INTO reject_samples (source, t, reason, raw, line_no, reason_key)"
                    " VALUES (?,?,?,?,?,?)",
                    [(source, now, r.reason[:500], r.raw[:RAW_CHARS], r.line_no, key) for r in kept[::-1]],
                )
                db.execute(
                    "DELETE FROM reject_samples WHERE source=? AND reason_key=? AND id <= (SELECT id"
                    " FROM reject_samples WHERE source=? AND reason_key=? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (source, key, source, key, per_reason),
                )
            for source in {source for source, _ in newest}:
                db.execute(
                    "DELETE FROM reject_samples WHERE source=? AND id <= (SELECT id FROM reject_samples"
                    " WHERE source=? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (source, source, SAMPLES_PER_SOURCE),
                )

    def reject_counts(self) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT source, reason, count, last_t FROM reject_counts ORDER BY source, count DESC"
        )
        return [{"source": r[0], "reason": r[1], "count": r[2], "last_t": r[3]} for r in rows]

    def reject_samples(self, limit: int = 200, source: str | None = None) -> list[dict[str, Any]]:
        """The newest sampled rejects (at most `SAMPLES_PER_REASON` of any one source and reason),
        oldest first."""
        sql = "SELECT source, t, reason, raw, line_no FROM reject_samples"
        params: tuple[Any, ...] = ()
        if source is not None:
            sql += " WHERE source=?"
            params = (source,)
        rows = self._reader().execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        keys = ("source", "t", "reason", "raw", "line_no")
        return [dict(zip(keys, r, strict=True)) for r in reversed(rows)]
