"""A bulk decode's records as columns: JSON Lines and Parquet without a Python dict per message.

`BulkDecodeResult.iter_records()` builds one dict per message (pyais field names and values, then
`received_at`, `station`, `source`), which costs more than the decode itself. Here each group the
numpy path decoded (one message type and bit length) becomes one polars frame with the same columns
in the same order; polars encodes its rows as JSON (`struct.json_encode`), and the messages pyais
decoded are encoded by orjson; the lines are merged back into input order by line number. The
records are the same objects, key for key and value for value (tests compare them with
`iter_records` on every real line in the shared data).

Parquet (`wide_frame`) is one wide table: every field of every message type as a column (nulls where
a message type has no such field), rows in input order. A record is a row's columns that its
message type has: `msg_type` says which.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

import numpy as np
import orjson
import polars as pl

from seawatch.sources.ais_bulk import BulkDecodeResult, _slow_record
from seawatch.sources.ais_fast import FastBatch, FastGroup
from seawatch.timeutil import iso_utc

TAIL_COLUMNS = ("received_at", "station", "source")


def _iso_times(t: np.ndarray) -> tuple[pl.Series, np.ndarray]:
    """(ISO text per distinct receive time, index of each row's text): receive times repeat (a
    feed's whole seconds), so each is formatted once, by the same `iso_utc` as every record."""
    uniq, inverse = np.unique(t, return_inverse=True)
    texts = pl.Series([None if u != u else iso_utc(u) for u in uniq.tolist()], dtype=pl.String)
    return texts, inverse.ravel()


def group_frame(
    batch: FastBatch,
    g: FastGroup,
    source: str,
    iso: tuple[pl.Series, np.ndarray],
    lo: int = 0,
    hi: int | None = None,
) -> pl.DataFrame:
    """One decoded group's rows [lo, hi) as a frame: pyais's fields in pyais's order, then
    `received_at`, `station`, `source`."""
    rows = g.rows[lo:hi]
    n = len(rows)
    columns: list[pl.Series] = []
    for name in g.order:
        col = g.columns[name]
        if col is None:
            columns.append(pl.Series(name, [None] * n, dtype=pl.Null))
            continue
        col = col[lo:hi]
        if isinstance(col, list) and col and isinstance(col[0], bytes):  # binary fields as hex text
            col = [v.hex() if isinstance(v, bytes) else v for v in col]
        columns.append(pl.Series(name, col, strict=False))
    texts, inverse = iso
    stations = pl.Series([*batch.stations, None], dtype=pl.String)
    codes = batch.station_code[rows]
    columns.append(texts.gather(inverse[rows]).alias("received_at"))
    columns.append(stations.gather(np.where(codes < 0, len(batch.stations), codes)).alias("station"))
    columns.append(pl.Series("source", [source], dtype=pl.String).new_from_index(0, n))
    return pl.DataFrame(columns)


def _hexed(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.hex() if isinstance(v, bytes | bytearray) else v) for k, v in rec.items()}


def _slow_records(result: BulkDecodeResult) -> tuple[list[int], list[dict[str, Any]]]:
    slow = sorted(result.slow, key=lambda d: d.line_no or 0)
    recs = []
    for dec in slow:
        rec = _slow_record(dec)
        t = rec["received_at"]
        rec["received_at"] = None if t is None else iso_utc(t)
        recs.append(rec)
    return [d.line_no or 0 for d in slow], recs


def _frames(result: BulkDecodeResult) -> Iterator[tuple[np.ndarray, pl.DataFrame]]:
    """(batch rows, frame) of each numpy-decoded group."""
    batch = result.fast
    iso = _iso_times(batch.t)
    for g in batch.groups:
        yield g.rows, group_frame(batch, g, result.source, iso)


def _merged_order(result: BulkDecodeResult, slow_lines: list[int]) -> np.ndarray:
    """Input order of fast rows (0..n-1) and slow records (n..): by line; at one line the numpy
    record first (as `iter_records`)."""
    lines = np.concatenate([result.fast.line, np.asarray(slow_lines, dtype=np.int64)])
    second = np.concatenate([np.zeros(len(result.fast), np.int8), np.ones(len(slow_lines), np.int8)])
    return np.lexsort((second, lines))


WINDOW_ROWS = 131072  # records encoded and written this many at a time (memory reused, not grown)


def write_jsonl(result: BulkDecodeResult, out: IO[bytes]) -> int:
    """Every record of `result` as JSON Lines to `out`, in input order; returns the record count.
    A window of records at a time: each group's rows in the window are encoded by polars (the lines
    stay polars strings, no Python object per record), merged by input place and written."""
    slow_lines, slow_recs = _slow_records(result)
    n = len(result.fast) + len(slow_recs)
    rank = np.empty(n, dtype=np.int64)
    rank[_merged_order(result, slow_lines)] = np.arange(n)  # a record's place in input order
    batch = result.fast
    iso = _iso_times(batch.t)
    groups = [(rank[g.rows], g) for g in batch.groups]  # places ascend in each group
    slow_places = rank[len(result.fast) :]
    slow_json = [orjson.dumps(_hexed(r)).decode() for r in slow_recs]

    def encode(lo: int) -> pl.DataFrame:
        """The window [lo, lo + WINDOW_ROWS) of records as JSON lines, in input order."""
        hi = lo + WINDOW_ROWS
        parts = []
        for places, g in groups:
            a, b = np.searchsorted(places, (lo, hi)).tolist()
            if a < b:
                frame = group_frame(batch, g, result.source, iso, a, b)
                encoded = frame.select(pl.struct(pl.all()).struct.json_encode().alias("line"))
                parts.append(encoded.with_columns(place=pl.Series(places[a:b])))
        a, b = np.searchsorted(slow_places, (lo, hi)).tolist()
        if a < b:
            parts.append(pl.DataFrame({"line": slow_json[a:b], "place": slow_places[a:b]}))
        lines = pl.concat([p.cast(_LINE_SCHEMA).select(*_LINE_SCHEMA) for p in parts])  # type: ignore[arg-type]
        return lines.sort("place").select("line")

    # the next window is encoded while this one is written (polars and the write both release the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(encode, 0) if n else None
        for lo in range(0, n, WINDOW_ROWS):
            assert pending is not None
            lines = pending.result()
            pending = pool.submit(encode, lo + WINDOW_ROWS) if lo + WINDOW_ROWS < n else None
            lines.write_csv(out, include_header=False, quote_style="never")
    return n


_LINE_SCHEMA = {"line": pl.String, "place": pl.Int64}


def wide_frame(result: BulkDecodeResult) -> pl.DataFrame:
    """Every record as one row of a wide table (every field seen as a column), in input order."""
    slow_lines, slow_recs = _slow_records(result)
    n = len(result.fast) + len(slow_recs)
    rank = np.empty(n, dtype=np.int64)
    rank[_merged_order(result, slow_lines)] = np.arange(n)  # a record's place in input order
    parts = [frame.with_columns(pl.Series(_PLACE, rank[rows])) for rows, frame in _frames(result)]
    if slow_recs:
        slow = pl.from_dicts([_hexed(r) for r in slow_recs], infer_schema_length=None)
        parts.append(slow.with_columns(pl.Series(_PLACE, rank[len(result.fast) :])))
    if not parts:
        return pl.DataFrame(schema={"msg_type": pl.Int64, **dict.fromkeys(TAIL_COLUMNS, pl.String)})
    wide = pl.concat(parts, how="diagonal_relaxed").sort(_PLACE).drop(_PLACE)
    front = [*(c for c in ("msg_type", "mmsi") if c in wide.columns)]
    tail = [c for c in TAIL_COLUMNS if c in wide.columns]
    middle = [c for c in wide.columns if c not in front and c not in tail]
    return wide.select([*front, *middle, *tail])


_PLACE = "__place"  # a record's place in input order, while the wide table is built
