"""`SqliteDb`: the connections every SQLite store module shares.

Writes go through one connection guarded by a lock; reads use one connection per thread (WAL lets
readers run beside the writer). Each per-domain module (`store/positions.py`, `store/events.py`...)
subclasses `SqliteDb` and uses `_reader()` to read and `_tx()` to write; `SqliteStore` composes them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seawatch.store.history import ParquetHistory
from seawatch.store.migrations import migrate
from seawatch.store.private import private_dir, private_files

IN_CHUNK = 500  # values bound in one `IN (...)`: SQLite caps the number of bound parameters


def rows_in(
    db: sqlite3.Connection, select: str, column: str, values: Sequence[Any], tail: str = ""
) -> Iterator[Any]:
    """The rows of `select WHERE column IN (values) tail`, asked `IN_CHUNK` values at a time (`tail`: a
    GROUP BY on `column`, say, which stays exact because each value is asked in one chunk only)."""
    for i in range(0, len(values), IN_CHUNK):
        chunk = list(values[i : i + IN_CHUNK])
        marks = ",".join("?" * len(chunk))
        yield from db.execute(f"{select} WHERE {column} IN ({marks}) {tail}".rstrip(), chunk)


class SqliteDb:
    """The database `seawatch.db` and the Parquet position history `history/` in `data_dir`."""

    def __init__(self, data_dir: Path, synchronous: str = "FULL") -> None:
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / "seawatch.db"
        private_files(self.data_dir, self.db_path)  # password and token hashes: owner only
        self._synchronous = synchronous
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._writer = self._connect()
        self.schema_version = migrate(self._writer)
        private_dir(self.data_dir / "history")
        self.history = ParquetHistory(self.data_dir / "history")
        self.history.reconcile(r[0] for r in self._writer.execute("SELECT path FROM history_files"))

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
        """One write transaction: committed when the block ends, rolled back if it raises."""
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
