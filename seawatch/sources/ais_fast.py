"""AIS field values for whole batches of messages: exactly pyais's values, many times faster.

Input: the messages of `ais_scan.scan_text` (payload bits already packed into big-endian 64-bit words,
grouped here by message type, sub-type and bit length). For each group every field of pyais's own
decoder plan (`Payload.decoder_plan()`: offset, width, signedness, kind, converter) is extracted with
shifts and masks over the whole group at once. Converters are reproduced exactly:
- fields of up to 16 bits go through a lookup table built by running pyais's converters on every
  possible raw value (so enums, turn rate, scaling... are pyais's by construction);
- wider fields use the same integer arithmetic as pyais (`to_lat_lon*`: `((10 * v + 3) // 6) / 1e6`,
  `to_speed`/`to_10th`/`to_100th`: `v / 10.0`...), anything else falls back to pyais's converter
  per element;
- text fields map 6-bit codes through pyais's character table and strip as pyais does.

Covered: every type whose pyais class decodes by plan (1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15,
18, 19, 20, 21, 23, 27) and type 24 (dispatched on its part number as pyais does), single- or
multi-sentence. Everything else (types 0, 6, 8, 16, 17, 22, 25, 26, payloads shorter than the type's
minimum, values the pyais path rejects such as an MMSI below 100000 or lat 95) is returned as message
indices for the pyais path, which then gives the values or the reject.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyais import messages as pm
from pyais.bit_vector import _SIXBIT_CHAR

from seawatch.sources.ais_convert import LAT_NA, LON_NA, MIN_BITS, MIN_MMSI
from seawatch.sources.ais_plans import FieldOp, full_name, plan_for
from seawatch.sources.ais_scan import ScanResult

log = logging.getLogger(__name__)

U64 = np.uint64

_SIXBIT_ASCII = np.frombuffer("".join(_SIXBIT_CHAR).encode("ascii"), dtype=np.uint8)

_KIND_INT, _KIND_FLOAT, _KIND_BOOL, _KIND_STR, _KIND_BYTES = pm.INT, pm.FLOAT, pm.BOOL, pm.STR, pm.BYTES


# -- bit extraction -------------------------------------------------------------------------------


WORD_BITS = 64


def _extract(
    words: list[np.ndarray], offset: int, width: int, signed: bool, out: np.ndarray | None = None
) -> np.ndarray:
    """Bits [offset, offset + width) of each row as int64 (width <= 62), written into `out` (uint64,
    scratch) when given, else into one new array."""
    j, off = divmod(offset, WORD_BITS)
    avail = WORD_BITS - off
    if width <= avail:
        val = np.right_shift(words[j], U64(avail - width), out=out)
        val &= U64((1 << width) - 1)
    else:
        lo = width - avail
        val = np.bitwise_and(words[j], U64((1 << avail) - 1), out=out)
        val <<= U64(lo)
        val |= words[j + 1] >> U64(WORD_BITS - lo)
    result = val.view(np.int64)  # width <= 62 bits here: the same values, no copy
    if signed:
        np.subtract(result, 1 << width, out=result, where=result >= (1 << (width - 1)))
    return result


def _text(
    words: list[np.ndarray], nbits: int, offset: int, width: int, scratch: np.ndarray | None = None
) -> list[str]:
    """pyais `get_str`: one character per 6 bits (a partial last character is its available bits)."""
    cols = []
    n = len(words[0])
    for i in range(offset, offset + width, 6):
        if i >= nbits:
            cols.append(np.full(n, _SIXBIT_ASCII[0], dtype=np.uint8))
            continue
        cols.append(_SIXBIT_ASCII[_extract(words, i, min(6, nbits - i), False, scratch)])
    mat = np.ascontiguousarray(np.stack(cols, axis=1))
    keys = mat.view(f"S{mat.shape[1]}").ravel()  # no NUL can occur: every code maps to a printable char
    uniq, inverse = np.unique(keys, return_inverse=True)  # names and call signs repeat a lot
    texts = np.array([u.decode("ascii").rstrip("@").strip() for u in uniq.tolist()], dtype=object)
    return texts[inverse.ravel()].tolist()


# -- the result ------------------------------------------------------------------------------------


@dataclass
class FastGroup:
    """Messages of one type and bit length: `rows` index the batch; `columns` hold pyais field values
    (numpy arrays, or lists for text/objects; None for a field beyond the payload)."""

    msg_type: int
    nbits: int
    rows: np.ndarray
    columns: dict[str, Any] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)


@dataclass
class FastBatch:
    """Everything the fast path decoded, in input line order."""

    line: np.ndarray  # 1-based line number of the (first) sentence
    msg_type: np.ndarray
    t: np.ndarray  # receive time, epoch seconds, NaN when unknown
    station_code: np.ndarray  # int32 index into `stations`, -1 when unknown
    groups: list[FastGroup]
    stations: list[str] = field(default_factory=list)

    def station(self, row: int) -> str | None:
        code = int(self.station_code[row])
        return None if code < 0 else self.stations[code]

    def __len__(self) -> int:
        return len(self.line)


def empty_batch() -> FastBatch:
    return FastBatch(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int32), [])


GROUP_SLICE = 65536  # records are built this many rows at a time (bounded memory on big files)


def _group_dicts(g: FastGroup, lo: int = 0, hi: int | None = None) -> list[dict[str, Any]]:
    names = g.order
    sl = slice(lo, hi)
    lists = [c[sl].tolist() if isinstance(c, np.ndarray) else (c[sl] if c is not None else None)
             for c in (g.columns[n] for n in names)]  # fmt: skip
    none = [None] * len(g.rows[sl])
    values = [v if v is not None else none for v in lists]
    return [dict(zip(names, vals, strict=True)) for vals in zip(*values, strict=True)]


def iter_group_dicts(batch: FastBatch, msg_types: frozenset[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(batch row, pyais dict + `received_at`, `station`) for the groups of the given types only."""
    for g in batch.groups:
        if g.msg_type not in msg_types:
            continue
        for row, rec in zip(g.rows.tolist(), _group_dicts(g), strict=True):
            t = float(batch.t[row])
            rec["received_at"] = None if t != t else t
            rec["station"] = batch.station(row)
            yield row, rec


def iter_dicts(batch: FastBatch) -> Iterator[dict[str, Any]]:
    """pyais field dicts (plus `received_at` epoch s or None, `station`) in line order, built a window
    of `GROUP_SLICE` rows at a time (each group's rows ascend, so a window is a slice of each)."""
    names: list[str | None] = [*batch.stations, None]  # code -1 -> None
    for lo in range(0, len(batch), GROUP_SLICE):
        hi = min(lo + GROUP_SLICE, len(batch))
        window: list[dict[str, Any]] = [{}] * (hi - lo)
        for g in batch.groups:
            a, b = np.searchsorted(g.rows, (lo, hi)).tolist()
            if a < b:
                for row, rec in zip((g.rows[a:b] - lo).tolist(), _group_dicts(g, a, b), strict=True):
                    window[row] = rec
        times = batch.t[lo:hi].tolist()
        stations = batch.station_code[lo:hi].tolist()
        for rec, t, code in zip(window, times, stations, strict=True):
            rec["received_at"] = None if t != t else t
            rec["station"] = names[code]
            yield rec


# -- rejects ------------------------------------------------------------------------------------


_Reject = tuple[int, str, str]  # (line number, reason, raw line)


@dataclass
class FastRejects:
    """Rejects the fast path found, as arrays in line order: 1-based `line`, byte span (`start`,
    `end`) of the raw line in the decoded text, and `code` (index into `reasons`). The raw text is
    only cut out of the input when asked for (`tuples`)."""

    line: np.ndarray
    start: np.ndarray
    end: np.ndarray
    code: np.ndarray
    reasons: list[str]

    def __len__(self) -> int:
        return len(self.line)

    def reason_counts(self) -> Counter[str]:
        counts = np.bincount(self.code, minlength=len(self.reasons)).tolist()
        return Counter({r: n for r, n in zip(self.reasons, counts, strict=True) if n})

    def tuples(self, data: bytes) -> list[_Reject]:
        """(line, reason, raw line) of each, `data` being the text given to `decode_lines`."""
        reasons = self.reasons
        return [
            (n, reasons[c], data[a:b].decode("ascii", "backslashreplace"))
            for n, c, a, b in zip(
                self.line.tolist(), self.code.tolist(), self.start.tolist(), self.end.tolist(), strict=True
            )
        ]


# -- decoding scanned messages --------------------------------------------------------------------


def decode_scanned(scan: ScanResult) -> tuple[FastBatch, np.ndarray]:
    """Field values of every scanned message a plan covers (rows in line order) and the indices of
    the others (in line order), which the pyais path must decode."""
    order = np.argsort(scan.line, kind="stable")  # completion order is nearly line order: cheap
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))  # a message's place in line order
    done = np.zeros(len(order), dtype=bool)  # by place
    parts: list[tuple[np.ndarray, FastGroup]] = []
    for sg in scan.groups:
        t, bits = sg.msg_type, sg.nbits
        ops = plan_for(t, bits, sg.variant) if t >= 1 and 6 <= bits <= 65535 else None
        if ops is None or bits < MIN_BITS.get(t, 38):
            continue
        decoded = _decode_group(sg.words, len(sg.messages), t, bits, ops)
        places = rank[sg.messages]
        ok = _acceptable(decoded)
        if not ok.all():
            decoded, places = _subset(decoded, ok), places[ok]
        if len(places) and (np.diff(places) < 0).any():  # a multi-sentence message completed late
            resort = np.argsort(places, kind="stable")
            decoded, places = _subset(decoded, resort), places[resort]
        if len(places):
            done[places] = True
            parts.append((places, decoded))
    done_places = np.flatnonzero(done)
    row_of_place = np.full(len(order), -1, dtype=np.int64)
    row_of_place[done_places] = np.arange(len(done_places))
    msg_type = np.empty(len(done_places), dtype=np.int64)
    for places, decoded in parts:
        decoded.rows = row_of_place[places]
        msg_type[decoded.rows] = decoded.msg_type
    src = order[done_places]
    batch = FastBatch(
        line=scan.line[src],
        msg_type=msg_type,
        t=scan.t[src],
        station_code=scan.station[src],
        groups=[g for _, g in sorted(parts, key=lambda p: int(p[0][0]))],
        stations=list(scan.stations),
    )
    return batch, order[~done]


def _decode_group(
    words: list[np.ndarray], n: int, msg_type: int, nbits: int, ops: list[FieldOp]
) -> FastGroup:
    scratch = np.empty(n, dtype=np.uint64)  # every field's raw values, one after the other
    group = FastGroup(msg_type, nbits, np.zeros(0, np.int64))
    for op in ops:
        group.order.append(op.name)
        if not op.present:
            group.columns[op.name] = None
            continue
        if op.kind == _KIND_STR:
            texts = _text(words, nbits, op.offset, op.width, scratch)
            group.columns[op.name] = [op.convert(x) for x in texts] if op.convert else texts
            continue
        raw = _extract(words, op.offset, op.width, op.signed, scratch)
        if op.table is not None:
            if op.signed:
                raw += 1 << (op.width - 1)
            col: Any = op.table.take(raw)
            if col.dtype == object:
                col = col.tolist()
        elif op.vector is not None:
            col = op.vector(raw)
        else:
            assert op.convert is not None
            col = [op.convert(r) for r in raw.tolist()]
        group.columns[op.name] = col
    if "name" in group.columns and msg_type == 21:
        names = group.columns["name"] or [None] * n
        exts = group.columns.get("name_ext") or [None] * n
        group.columns["full_name"] = [full_name(a, b) for a, b in zip(names, exts, strict=True)]
        group.order.append("full_name")
    return group


def _acceptable(group: FastGroup) -> np.ndarray:
    """Rows the pyais path would accept (else it must produce the reject)."""
    n = len(next(iter(c for c in group.columns.values() if c is not None)))
    ok = np.ones(n, dtype=bool)
    mmsi = group.columns.get("mmsi")
    if isinstance(mmsi, np.ndarray):
        ok &= mmsi >= MIN_MMSI
    lat = group.columns.get("lat")
    if group.msg_type == 17:  # raw 1/10 minutes in pyais: no degree check (as the pyais path)
        return ok
    if isinstance(lat, np.ndarray):
        ok &= (np.abs(lat) <= 90.0) | (lat == LAT_NA)
    lon = group.columns.get("lon")
    if isinstance(lon, np.ndarray):
        ok &= (np.abs(lon) <= 180.0) | (lon == LON_NA)
    return ok


def _subset(group: FastGroup, keep: np.ndarray) -> FastGroup:
    """The group's rows where `keep` (a mask), or at `keep` (indices), in that order."""
    idx = np.flatnonzero(keep) if keep.dtype == bool else keep
    cols: dict[str, Any] = {}
    for name, col in group.columns.items():
        if col is None:
            cols[name] = None
        elif isinstance(col, np.ndarray):
            cols[name] = col[idx]
        else:
            cols[name] = [col[i] for i in idx.tolist()]
    return FastGroup(group.msg_type, group.nbits, group.rows, cols, group.order)
