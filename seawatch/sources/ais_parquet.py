"""`seawatch decode --format parquet`: a bulk decode's records as one table per message family, built
from the decoded columns (no Python dict per message) and written in parallel.

- `family_frames(result)`: one polars frame per message family (`FAMILIES`: types with the same fields,
  e.g. 1-3 position reports), each family's columns pyais's fields in pyais's order, then
  `received_at`, `station`, `source`; rows in input order within a family. A family that mixes types
  with different fields (24 part A and B) has the union of their fields, null where a type has none.
  Numeric columns stay numpy arrays (polars takes them without a copy); a family of several decoded
  groups (types 1 and 3, or two payload lengths) is merged by writing each group's values straight to
  their places (the batch's rows are in input order already: no sort). Only a family that also has
  messages the pyais path decoded is merged by line number (`_merged_slowly`).
- `write_tables(frames, directory)`: each family's table as DIRECTORY/FAMILY.parquet, written by a
  small thread pool (polars encodes and compresses without the GIL), each through a temporary file
  renamed into place.

Tested equal to `iter_records` on every real line of the shared data (tests/sources/test_decode_columnar.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from seawatch.sources.ais_bulk import BulkDecodeResult
from seawatch.sources.ais_fast import FastBatch, FastGroup
from seawatch.sources.ais_records import (
    TAIL_COLUMNS,
    _hexed,
    _iso_times,
    _slow_records,
    _station_codes,
    family_of,
)

# How the tables are written (measured: bench/RESULTS.md, "decode to files"): zstd at level 1 (no
# slower than lz4 or no compression here, smaller than both), no column statistics (a fifth of the
# write; a file holds a few row groups, so min/max would let a reader skip little).
COMPRESSION: Literal["zstd"] = "zstd"
COMPRESSION_LEVEL = 1
STATISTICS = False
WRITE_THREADS = 2


def _hex_list(col: list[Any]) -> list[Any]:
    """Bytes values as hex text (a field's values are of one type, or None)."""
    first = next((v for v in col if v is not None), None)
    if isinstance(first, bytes | bytearray):
        return [v.hex() if isinstance(v, bytes | bytearray) else v for v in col]
    return col


def _numeric(col: Any) -> bool:
    return isinstance(col, np.ndarray) and col.dtype.kind in "biuf"


def _common_dtype(cols: list[np.ndarray]) -> np.dtype[Any] | None:
    """One numpy type for a column's values across groups, or None when they do not share one exactly
    (bool with numbers, floats with integers, or integers only a float would hold)."""
    kinds = {c.dtype.kind for c in cols}
    if len(kinds) == 1 or kinds <= {"i", "u"}:
        dtype = np.result_type(*cols)
        if dtype.kind in kinds:
            return dtype
    return None


def _merged_column(name: str, parts: list[tuple[np.ndarray, Any]], n: int) -> pl.Series:
    """A family's column from its groups' columns (None: the group has no such field), each group's
    values written to its rows' places `dest`."""
    present = [(dest, col) for dest, col in parts if col is not None]
    if not present:
        return pl.Series(name, [None] * n, dtype=pl.Null)
    arrays = [col for _, col in present]
    dtype = _common_dtype(arrays) if all(_numeric(c) for c in arrays) else None
    if dtype is not None:
        out = np.empty(n, dtype=dtype)
        for dest, col in present:
            out[dest] = col
        if len(present) == len(parts):
            return pl.Series(name, out)
        missing = np.ones(n, dtype=bool)
        for dest, _ in present:
            missing[dest] = False
        return pl.Series(name, np.ma.masked_array(out, missing))
    values = np.full(n, None, dtype=object)
    for dest, col in present:
        part = np.empty(len(dest), dtype=object)
        part[:] = col.tolist() if isinstance(col, np.ndarray) else _hex_list(col)
        values[dest] = part
    return pl.Series(name, values.tolist(), strict=False)


def _group_column(col: Any, n: int, name: str) -> pl.Series:
    if col is None:
        return pl.Series(name, [None] * n, dtype=pl.Null)
    if isinstance(col, np.ndarray) and col.dtype != object:
        return pl.Series(name, col)
    values = col.tolist() if isinstance(col, np.ndarray) else _hex_list(col)
    return pl.Series(name, values, strict=False)


def _fast_family(
    batch: FastBatch, groups: list[FastGroup], source: str, iso: tuple[pl.Series, np.ndarray]
) -> pl.DataFrame:
    """One family's decoded groups as one frame, rows in input order."""
    if len(groups) == 1:
        g = groups[0]
        rows, n = g.rows, len(g.rows)
        columns = [_group_column(g.columns[name], n, name) for name in g.order]
    else:
        member = np.zeros(len(batch), dtype=bool)
        for g in groups:
            member[g.rows] = True
        rows = np.flatnonzero(member)  # the family's batch rows, in input order
        place = np.cumsum(member) - 1  # a family row's place in the table
        dests = [place[g.rows] for g in groups]
        names = list(dict.fromkeys(name for g in groups for name in g.order))
        n = len(rows)
        columns = [
            _merged_column(name, [(d, g.columns.get(name)) for d, g in zip(dests, groups, strict=True)], n)
            for name in names
        ]
    texts, inverse = iso
    stations = pl.Series([*batch.stations, None], dtype=pl.String).cast(pl.Categorical)
    columns.append(texts.gather(inverse[rows]).alias("received_at"))
    columns.append(stations.gather(_station_codes(batch, rows)).alias("station"))
    columns.append(pl.Series("source", [source], dtype=pl.Categorical).new_from_index(0, n))
    return pl.DataFrame(columns)


_PLACE = "__place"  # a record's place in input order, while a family with pyais-decoded records is merged


def _merged_slowly(
    fast: pl.DataFrame | None, fast_lines: np.ndarray, slow: list[dict[str, Any]], slow_lines: list[int]
) -> pl.DataFrame:
    """A family's numpy-decoded frame and its pyais-decoded records, merged by line (at one line the
    numpy record first, as `iter_records`)."""
    lines = np.concatenate([fast_lines, np.asarray(slow_lines, dtype=np.int64)])
    second = np.concatenate([np.zeros(len(fast_lines), np.int8), np.ones(len(slow_lines), np.int8)])
    rank = np.empty(len(lines), dtype=np.int64)
    rank[np.lexsort((second, lines))] = np.arange(len(lines))
    slow_frame = pl.from_dicts([_hexed(r) for r in slow], infer_schema_length=None)
    slow_frame = slow_frame.with_columns(pl.Series(_PLACE, rank[len(fast_lines) :]))
    if fast is None:
        return slow_frame.drop(_PLACE)
    fast = fast.with_columns(pl.Series(_PLACE, rank[: len(fast_lines)]))
    return pl.concat([fast, slow_frame], how="diagonal_relaxed").sort(_PLACE).drop(_PLACE)


def family_frames(result: BulkDecodeResult) -> Iterator[tuple[str, pl.DataFrame]]:
    """(family, its records as one frame in input order) of every family the result has, the largest
    family first (so that its write can start while the others are built)."""
    batch = result.fast
    groups: dict[str, list[FastGroup]] = {}
    for g in batch.groups:
        groups.setdefault(family_of(g.msg_type), []).append(g)
    slow_lines, slow_recs = _slow_records(result)
    slow: dict[str, list[int]] = {}
    for i, rec in enumerate(slow_recs):
        slow.setdefault(family_of(rec.get("msg_type")), []).append(i)
    texts, inverse = _iso_times(batch.t)
    iso = (pl.Series(texts, dtype=pl.String).cast(pl.Categorical), inverse)
    sizes = {f: sum(len(g.rows) for g in gs) for f, gs in groups.items()}
    for family in sorted(groups.keys() | slow.keys(), key=lambda f: -sizes.get(f, 0)):
        gs = groups.get(family, [])
        frame = _fast_family(batch, gs, result.source, iso) if gs else None
        if family in slow:
            index = slow[family]
            rows = np.sort(np.concatenate([g.rows for g in gs])) if gs else np.zeros(0, np.int64)
            frame = _merged_slowly(
                frame, batch.line[rows], [slow_recs[i] for i in index], [slow_lines[i] for i in index]
            )
            frame = tail_last(frame)
        assert frame is not None
        yield family, frame


def tail_last(frame: pl.DataFrame) -> pl.DataFrame:
    """`received_at`, `station`, `source` as the last columns (a family's types' fields first)."""
    tail = [c for c in TAIL_COLUMNS if c in frame.columns]
    return frame.select([*(c for c in frame.columns if c not in tail), *tail])


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """One table, through a temporary file renamed into place (never a half-written table)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        frame.write_parquet(
            tmp, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL, statistics=STATISTICS
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_tables(frames: Iterable[tuple[str, pl.DataFrame]], directory: Path) -> list[tuple[str, int]]:
    """Each (family, frame) as DIRECTORY/FAMILY.parquet, written by a thread pool while the next
    frames are built; returns (family, rows) of each, in the order given."""
    written: list[tuple[str, int]] = []
    with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="parquet") as pool:
        futures = []
        for family, frame in frames:
            futures.append(pool.submit(write_table, frame, directory / f"{family}.parquet"))
            written.append((family, frame.height))
        for future in futures:
            future.result()
    return written
