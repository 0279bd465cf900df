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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyais import messages as pm
from pyais.bit_vector import _SIXBIT_CHAR

from seawatch.sources.ais_convert import LAT_NA, LON_NA, MIN_BITS, MIN_MMSI, plain
from seawatch.sources.ais_scan import ScanResult

log = logging.getLogger(__name__)

U64 = np.uint64
TABLE_MAX_BITS = 16

_SIXBIT_ASCII = np.frombuffer("".join(_SIXBIT_CHAR).encode("ascii"), dtype=np.uint8)

_KIND_INT, _KIND_FLOAT, _KIND_BOOL, _KIND_STR, _KIND_BYTES = pm.INT, pm.FLOAT, pm.BOOL, pm.STR, pm.BYTES


def _plan_class(msg_type: int) -> type[pm.Payload] | None:
    """pyais class for a type when it decodes by its plan (no dispatch on sub-types)."""
    cls = pm.MSG_CLASS.get(msg_type)
    if cls is None or not 1 <= msg_type <= 27:
        return None
    func = getattr(cls.from_vector, "__func__", None)
    return cls if func is vars(pm.Payload)["from_vector"].__func__ else None


PLAN_TYPES: dict[int, type[pm.Payload]] = {t: c for t in range(1, 28) if (c := _plan_class(t)) is not None}
# Type 24 dispatches on its part number (and auxiliary-craft MMSI) exactly as
# `MessageType24.from_vector`; variant codes: 1 part A, 2 part B, 3 part B of an auxiliary craft.
VARIANT_CLASSES: dict[tuple[int, int], type[pm.Payload]] = {
    (24, 1): pm.MessageType24PartA,
    (24, 2): pm.MessageType24PartB,
    (24, 3): pm.MessageType24PartBAuxiliaryCraft,
}


# -- field operations ------------------------------------------------------------------------------


@dataclass
class _FieldOp:
    name: str
    kind: int
    offset: int
    width: int  # available width (pyais returns only the bits present at the end of a payload)
    signed: bool
    table: np.ndarray | None = None  # lookup by raw value (offset by 2**(w-1) when signed)
    vector: Callable[[np.ndarray], np.ndarray] | None = None
    convert: Callable[[Any], Any] | None = None  # per-element fallback
    present: bool = True  # False: offset beyond the payload -> None


def _convert_value(raw: int, kind: int, to_conv: Any, attr_conv: Any) -> Any:
    val: Any = raw
    if kind == _KIND_FLOAT:
        val = float(raw)
    elif kind == _KIND_BOOL:
        val = bool(raw)
    if to_conv is not None:
        val = to_conv(val)
    if attr_conv is not None:
        val = attr_conv(val)
    return plain(val)


def _table(values: list[Any]) -> np.ndarray:
    if all(type(v) is bool for v in values):
        return np.array(values, dtype=bool)
    if all(type(v) is int for v in values):  # the smallest integer type: `tolist()` gives the same ints
        dtype = np.result_type(np.min_scalar_type(min(values)), np.min_scalar_type(max(values)))
        return np.array(values, dtype=dtype)
    if all(type(v) is float for v in values):
        return np.array(values, dtype=np.float64)
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _scaled(num: int) -> Callable[[np.ndarray], np.ndarray]:
    """pyais `to_lat_lon*`: ((num * v + 3) // 6) / 1e6, in place on the (scratch) raw values."""

    def convert(v: np.ndarray) -> np.ndarray:
        v *= num
        v += 3
        v //= 6
        return v / 1e6

    return convert


def _narrow_int(width: int, signed: bool) -> np.dtype[Any]:
    """The smallest integer type holding every raw value of a field (`tolist()` gives the same ints)."""
    for bits in (8, 16, 32):
        if width <= bits:
            return np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
    return np.dtype(np.int64)


_VECTOR_CONVERTERS: dict[Any, tuple[Callable[[np.ndarray], np.ndarray], int]] = {
    pm.to_lat_lon: (_scaled(10), 27),
    pm.to_lat_lon_600: (_scaled(10000), 24),
    pm.to_lat_lon_60000: (_scaled(100), 24),
    pm.to_speed: (lambda v: v / 10.0, 62),
    pm.to_10th: (lambda v: v / 10.0, 62),
    pm.to_100th: (lambda v: v / 100.0, 62),
}


def _compile(cls: type[pm.Payload], nbits: int) -> list[_FieldOp] | None:
    """Operations for one class at one payload length, or None when this path cannot do it."""
    attr_fields = {f.name: f for f in cls.fields()}
    ops: list[_FieldOp] = []
    for name, offset, width, signed, kind, to_conv in cls.decoder_plan():
        fld = attr_fields[name]
        if fld.metadata.get("is_spare"):
            continue
        attr_conv = fld.converter
        if offset >= nbits:
            ops.append(_FieldOp(name, kind, offset, 0, signed, present=False))
            continue
        aw = min(width, nbits - offset)
        op = _FieldOp(name, kind, offset, aw, bool(signed))
        if kind == _KIND_STR:
            op.convert = to_conv if to_conv is not None else None
            if attr_conv is not None:
                return None
        elif aw > 62:
            return None
        elif kind == _KIND_INT and to_conv is None and attr_conv is None:
            narrow = _narrow_int(aw, bool(signed))
            op.vector = lambda v, dt=narrow: v.astype(dt)
        elif kind in (_KIND_FLOAT, _KIND_BOOL) and to_conv is None and attr_conv is None:
            op.vector = _PLAIN_VECTOR[kind]
        elif aw <= TABLE_MAX_BITS:
            if kind == _KIND_BYTES:
                vals: list[Any] = [_bytes_value(r, aw) for r in range(1 << aw)]
            else:
                raws = range(-(1 << (aw - 1)), 1 << (aw - 1)) if signed else range(1 << aw)
                vals = [_convert_value(r, kind, to_conv, attr_conv) for r in raws]
            op.table = _table(vals)
        elif kind == _KIND_BYTES:
            op.convert = lambda r, aw=aw: _bytes_value(int(r), aw)
        elif attr_conv is None and to_conv in _VECTOR_CONVERTERS and aw <= _VECTOR_CONVERTERS[to_conv][1] + 1:
            op.vector = _VECTOR_CONVERTERS[to_conv][0]
        else:
            op.convert = lambda r, k=kind, tc=to_conv, ac=attr_conv: _convert_value(int(r), k, tc, ac)
        ops.append(op)
    return ops


# each makes a new array: the raw values live in a scratch array that the next field reuses
_PLAIN_VECTOR: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    _KIND_FLOAT: lambda v: v.astype(np.float64),
    _KIND_BOOL: lambda v: v != 0,
}


def _bytes_value(raw: int, width: int) -> bytes:
    num_bytes = (width + 7) // 8
    return (raw << (num_bytes * 8 - width)).to_bytes(num_bytes, "big")


_PLANS: dict[tuple[int, int, int], list[_FieldOp] | None] = {}
DERIVED_FIELDS = frozenset({"full_name"})  # pyais cached properties that asdict() includes (type 21)


def _full_name(name: str | None, name_ext: str | None) -> str:
    """pyais MessageType21.full_name."""
    if name:
        return f"{name}{name_ext}" if name_ext else str(name)
    return ""


def plan_for(msg_type: int, nbits: int, variant: int = 0) -> list[_FieldOp] | None:
    key = (msg_type, nbits, variant)
    if key not in _PLANS:
        cls = VARIANT_CLASSES.get((msg_type, variant)) if variant else PLAN_TYPES.get(msg_type)
        plan_names: set[str] = set() if cls is None else {p[0] for p in cls.decoder_plan()}
        extra: set[str] = set() if cls is None else set(cls.__slots__) - plan_names
        ok = cls is not None and extra <= DERIVED_FIELDS
        _PLANS[key] = _compile(cls, nbits) if ok and cls is not None else None
    return _PLANS[key]


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
    words: list[np.ndarray], n: int, msg_type: int, nbits: int, ops: list[_FieldOp]
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
        group.columns["full_name"] = [_full_name(a, b) for a, b in zip(names, exts, strict=True)]
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
