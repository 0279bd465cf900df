"""`seawatch decode` JSON Lines written from a bulk decode's columns, without a Python dict per message;
the message families and helpers the Parquet tables (`ais_parquet`) share.

`BulkDecodeResult.iter_records()` builds one dict per message (pyais field names and values, then
`received_at`, `station`, `source`), which costs more than the decode itself. Here:

- JSON Lines (`write_jsonl`): the compiled encoder (`_ais_jsonl.c`) writes each record straight from the
  decoded columns of its group (one message type and bit length), in input order (the messages pyais
  decoded are encoded by orjson and put in their places), a window of records at a time into one
  reused buffer. Same objects as `iter_records`, key for key and value for value.
- Parquet: `ais_parquet.family_frames`, one table per message family (`FAMILIES`: types with the same
  fields, e.g. 1-3 position reports).

Both are tested equal to `iter_records` on every real line of the shared data.
"""

from __future__ import annotations

import re
from typing import IO, Any

import numpy as np
import orjson

from seawatch.sources.ais_bulk import BulkDecodeResult, _slow_record
from seawatch.sources.ais_fast import FastBatch, FastGroup
from seawatch.timeutil import iso_utc

try:
    from seawatch.sources import _ais_jsonl as _jsonl
except ImportError as exc:  # the wheel always builds it (as the scanner): missing is an install fault
    raise ImportError(
        "seawatch's compiled JSON Lines encoder (seawatch.sources._ais_jsonl, from _ais_jsonl.c) is missing"
        " or broken: reinstall the package (`pip install .`, or `pip install -e .` in a checkout), which"
        f" compiles it ({exc})"
    ) from exc

TAIL_COLUMNS = ("received_at", "station", "source")
# message family -> its types (pyais's message classes; types in one family share their fields)
FAMILIES: dict[str, tuple[int, ...]] = {
    "position_a": (1, 2, 3), "base_station": (4, 11), "static_voyage": (5,), "binary_addressed": (6,),
    "binary_ack": (7, 13), "binary_broadcast": (8,), "sar_aircraft": (9,), "utc_inquiry": (10,),
    "safety_addressed": (12,), "safety_broadcast": (14,), "interrogation": (15,), "assignment": (16,),
    "dgnss": (17,), "position_b": (18,), "position_b_extended": (19,), "data_link": (20,),
    "aid_to_navigation": (21,), "channel_management": (22,), "group_assignment": (23,),
    "static_b": (24,), "binary_single_slot": (25,), "binary_multi_slot": (26,), "long_range": (27,),
}  # fmt: skip
FAMILY_OF = {t: name for name, types in FAMILIES.items() for t in types}


CSV_FAMILY = "csv_positions"  # AIS CSV rows (positions, no message type)


def family_of(msg_type: Any) -> str:
    if msg_type is None:
        return CSV_FAMILY
    return FAMILY_OF.get(msg_type, f"type_{msg_type}")


def is_family_name(name: str) -> bool:
    """A table name `family_of` gives (an earlier run's output in a directory)."""
    return name in FAMILIES or name == CSV_FAMILY or re.fullmatch(r"type_\d+", name) is not None


def _iso_times(t: np.ndarray) -> tuple[list[str | None], np.ndarray]:
    """(ISO text per distinct receive time, index of each row's text): receive times repeat (a
    feed's whole seconds), so each is formatted once, by the same `iso_utc` as every record. The
    distinct times are found among the first rows of runs of one time (a feed's rows come in runs):
    `np.unique` over every row sorts them all, ~5x the cost."""
    if len(t) == 0:
        return [], np.zeros(0, dtype=np.int64)
    new_run = np.empty(len(t), dtype=bool)
    new_run[0] = True
    np.not_equal(t[1:], t[:-1], out=new_run[1:])
    new_run[1:] &= ~(np.isnan(t[1:]) & np.isnan(t[:-1]))  # NaN (no time) rows make one run too
    uniq, first_inverse = np.unique(t[new_run], return_inverse=True)  # NaNs as one value, last
    inverse = first_inverse.ravel()[np.cumsum(new_run) - 1]
    return [None if u != u else iso_utc(u) for u in uniq.tolist()], inverse


def _station_codes(batch: FastBatch, rows: np.ndarray) -> np.ndarray:
    """Each row's index into `[*batch.stations, None]`."""
    codes = batch.station_code[rows]
    return np.where(codes < 0, len(batch.stations), codes)


def _hexed(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.hex() if isinstance(v, bytes | bytearray) else v) for k, v in rec.items()}


def _slow_records(result: BulkDecodeResult) -> tuple[list[int], list[dict[str, Any]]]:
    """The records pyais decoded, in line order, with ISO receive times, and their lines."""
    slow = sorted(result.slow, key=lambda d: d.line_no or 0)
    recs = []
    for dec in slow:
        rec = _slow_record(dec)
        t = rec["received_at"]
        rec["received_at"] = None if t is None else iso_utc(t)
        recs.append(rec)
    return [d.line_no or 0 for d in slow], recs


def _merged_order(result: BulkDecodeResult, slow_lines: list[int]) -> np.ndarray:
    """Input order of fast rows (0..n-1) and slow records (n..): by line; at one line the numpy
    record first (as `iter_records`)."""
    lines = np.concatenate([result.fast.line, np.asarray(slow_lines, dtype=np.int64)])
    second = np.concatenate([np.zeros(len(result.fast), np.int8), np.ones(len(slow_lines), np.int8)])
    return np.lexsort((second, lines))


# -- JSON Lines ---------------------------------------------------------------------------------

_NULL, _ARRAY, _LIST, _CODES, _CONST, _LINES = range(6)  # field kinds of _jsonl.encode
WINDOW_ROWS = 32768  # records encoded and written this many at a time (one buffer, reused)


def _json_fields(
    batch: FastBatch, g: FastGroup, source: str, iso: tuple[list[bytes], np.ndarray], stations: list[bytes]
) -> tuple[tuple[bytes, int, Any, Any], ...]:
    """A group's fields for the encoder: pyais's fields in pyais's order, then the tail."""
    fields: list[tuple[bytes, int, Any, Any]] = []
    for i, name in enumerate(g.order):
        prefix = (b"{" if i == 0 else b",") + orjson.dumps(name) + b":"
        col = g.columns[name]
        if col is None:
            fields.append((prefix, _NULL, None, None))
        elif isinstance(col, np.ndarray) and col.dtype != object:
            fields.append((prefix, _ARRAY, col, None))
        else:
            fields.append((prefix, _LIST, col.tolist() if isinstance(col, np.ndarray) else col, None))
    texts, inverse = iso
    fields.append((b',"received_at":', _CODES, inverse[g.rows], texts))
    fields.append((b',"station":', _CODES, _station_codes(batch, g.rows), stations))
    fields.append((b',"source":' + orjson.dumps(source), _CONST, None, None))
    return tuple(fields)


def write_jsonl(result: BulkDecodeResult, out: IO[bytes]) -> int:
    """Every record of `result` as JSON Lines to `out`, in input order; returns the record count."""
    batch = result.fast
    slow_lines, slow_recs = _slow_records(result)
    n_fast = len(batch)
    group_of = np.empty(n_fast, dtype=np.int32)  # each fast row's group, and its row in the group
    row_in = np.empty(n_fast, dtype=np.int64)
    for gi, g in enumerate(batch.groups):
        group_of[g.rows] = gi
        row_in[g.rows] = np.arange(len(g.rows))
    order = _merged_order(result, slow_lines)
    which = np.concatenate([group_of, np.full(len(slow_recs), len(batch.groups), np.int32)])[order]
    row = np.concatenate([row_in, np.arange(len(slow_recs), dtype=np.int64)])[order]
    texts, inverse = _iso_times(batch.t)
    iso = ([orjson.dumps(x) for x in texts], inverse)
    stations = [orjson.dumps(s) for s in [*batch.stations, None]]
    groups = [_json_fields(batch, g, result.source, iso, stations) for g in batch.groups]
    groups.append(((b"", _LINES, [orjson.dumps(_hexed(r)) for r in slow_recs], None),))
    buffer = bytearray(1 << 23)  # the encoder grows it when a window needs more
    n = len(which)
    for lo in range(0, n, WINDOW_ROWS):
        used = _jsonl.encode(groups, which, row, lo, min(n, lo + WINDOW_ROWS), buffer)
        with memoryview(buffer)[:used] as view:  # released before the next window (may resize)
            out.write(view)
    return n
