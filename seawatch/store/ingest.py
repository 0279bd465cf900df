"""`write_batch`: one pipeline step committed in one transaction and counted in `ingest_batches`.

What is counted there is acknowledged and survives kill -9.
"""

from __future__ import annotations

import time

from seawatch.store.base import IngestBatch
from seawatch.store.connection import SqliteDb
from seawatch.store.events import upsert_event
from seawatch.store.positions import insert_positions, replace_tracks
from seawatch.store.vessels import upsert_static


class SqliteIngest(SqliteDb):
    def write_batch(self, batch: IngestBatch) -> int:
        with self._tx() as db:
            if batch.positions:
                insert_positions(db, batch.positions)
            if batch.tracks:
                replace_tracks(db, batch.tracks)
            for static in batch.statics:
                upsert_static(db, static)
            for event, origin in batch.events:
                upsert_event(db, event, origin)
            cur = db.execute(
                "INSERT INTO ingest_batches (committed_at, received, positions, events, rejected)"
                " VALUES (?,?,?,?,?)",
                (time.time(), batch.received, len(batch.positions), len(batch.events), batch.rejected),
            )
            return int(cur.lastrowid or 0)

    def acknowledged(self) -> dict[str, int]:
        row = (
            self._reader()
            .execute(
                "SELECT count(*), coalesce(sum(received),0), coalesce(sum(positions),0),"
                " coalesce(sum(events),0), coalesce(sum(rejected),0) FROM ingest_batches"
            )
            .fetchone()
        )
        return dict(zip(("batches", "received", "positions", "events", "rejected"), row, strict=True))
