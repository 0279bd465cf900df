"""Rejected inputs in the SQLite store: counted per source and reason for
good, and a bounded sample of the latest ones kept per source, so a source that sends junk by the
million cannot flush the evidence of another source's trouble.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from seawatch.model import Rejected
from seawatch.store.connection import SqliteDb

SAMPLES_PER_SOURCE = 50
RAW_CHARS = 500  # of each sampled line: enough to see what it was, bounded so a 50 MiB line is not kept


def reason_key(reason: str) -> str:
    """The reason without its details ("bad checksum: 0x3F" -> "bad checksum")."""
    return reason.split(":", 1)[0].strip()[:100]


class SqliteRejects(SqliteDb):
    def record_rejects(
        self, rejects: Sequence[Rejected], samples_per_source: int = SAMPLES_PER_SOURCE
    ) -> None:
        """Add a batch's rejects to the counts and keep the newest `samples_per_source` of each source."""
        if not rejects:
            return
        now = time.time()
        counts = Counter((r.source, reason_key(r.reason)) for r in rejects)
        newest: dict[str, list[Rejected]] = {}
        for rej in reversed(rejects):
            kept = newest.setdefault(rej.source, [])
            if len(kept) < samples_per_source:
                kept.append(rej)
        with self._tx() as db:
            db.executemany(
                "INSERT INTO reject_counts (source, reason, count, last_t) VALUES (?,?,?,?)"
                " ON CONFLICT(source, reason) DO UPDATE SET count = count + excluded.count,"
                " last_t = excluded.last_t",
                [(source, reason, n, now) for (source, reason), n in counts.items()],
            )
            for source, kept in newest.items():
                db.executemany(
                    "INSERT INTO reject_samples (source, t, reason, raw, line_no) VALUES (?,?,?,?,?)",
                    [(source, now, r.reason[:500], r.raw[:RAW_CHARS], r.line_no) for r in reversed(kept)],
                )
                db.execute(
                    "DELETE FROM reject_samples WHERE source=? AND id <= (SELECT id FROM reject_samples"
                    " WHERE source=? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (source, source, samples_per_source),
                )

    def reject_counts(self) -> list[dict[str, Any]]:
        rows = self._reader().execute(
            "SELECT source, reason, count, last_t FROM reject_counts ORDER BY source, count DESC"
        )
        return [{"source": r[0], "reason": r[1], "count": r[2], "last_t": r[3]} for r in rows]

    def reject_samples(self, limit: int = 200, source: str | None = None) -> list[dict[str, Any]]:
        """The newest sampled rejects (at most `SAMPLES_PER_SOURCE` of any one source), oldest first."""
        sql = "SELECT source, t, reason, raw, line_no FROM reject_samples"
        params: tuple[Any, ...] = ()
        if source is not None:
            sql += " WHERE source=?"
            params = (source,)
        rows = self._reader().execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        keys = ("source", "t", "reason", "raw", "line_no")
        return [dict(zip(keys, r, strict=True)) for r in reversed(rows)]
