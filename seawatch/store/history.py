"""Position history in hourly Parquet files, written atomically (temp file, fsync, rename, fsync folder)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl

log = logging.getLogger(__name__)

HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "seq": pl.Int64(),
    "t": pl.Float64(),
    "track_id": pl.Utf8(),
    "mmsi": pl.Int64(),
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "sog_kn": pl.Float64(),
    "cog_deg": pl.Float64(),
    "heading_deg": pl.Float64(),
    "sensor": pl.Utf8(),
    "source": pl.Utf8(),
    "node": pl.Utf8(),
}
HISTORY_COLUMNS = tuple(HISTORY_SCHEMA)
HOUR_S = 3600.0


class ParquetHistory:
    """One folder of `YYYYMMDDTHH_<minseq>_<maxseq>.parquet` files; the store's table says which are valid."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, rows: Sequence[tuple[object, ...]], hour_start: float, min_seq: int, max_seq: int) -> str:
        """Write one file durably and return its name (relative to the folder)."""
        frame = pl.DataFrame(list(rows), schema=HISTORY_SCHEMA, orient="row")
        stamp = pl.select(
            pl.from_epoch(pl.lit(int(hour_start)), time_unit="s").dt.strftime("%Y%m%dT%H")
        ).item()
        name = f"{stamp}_{min_seq}_{max_seq}.parquet"
        self._write_atomically(frame, name)
        return name

    def rewrite_without(self, name: str, drop: pl.Expr) -> int:
        """Rewrite one file without the rows matching `drop`, atomically (temp, fsync, rename, fsync
        folder); return how many rows remain (the file is left untouched when nothing matches)."""
        frame = pl.read_parquet(self.folder / name)
        kept = frame.filter(~drop)
        if kept.height == frame.height:
            return frame.height
        self._write_atomically(kept, name)
        return kept.height

    def _write_atomically(self, frame: pl.DataFrame, name: str) -> None:
        """Temp file, fsync, rename over `name`, fsync the folder: a crash leaves old or new, never half."""
        temp = self.folder / f".{name}.tmp"
        frame.write_parquet(temp)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, self.folder / name)
        dir_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def reconcile(self, valid_names: Iterable[str]) -> int:
        """Remove files a crashed compaction left behind (written but never recorded); return how many."""
        valid = set(valid_names)
        removed = 0
        for path in self.folder.iterdir():
            if path.name not in valid and (path.suffix == ".parquet" or path.name.endswith(".tmp")):
                log.warning("removing unrecorded history file %s (compaction interrupted)", path.name)
                path.unlink()
                removed += 1
        return removed

    def scan(self, names: Sequence[str], predicate: pl.Expr | None) -> pl.DataFrame:
        if not names:
            return pl.DataFrame(schema=HISTORY_SCHEMA)
        lazy = pl.scan_parquet([self.folder / n for n in names])
        if predicate is not None:
            lazy = lazy.filter(predicate)
        return lazy.collect()
