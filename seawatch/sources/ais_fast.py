r"""Vectorised (numpy) AIS decoder for whole files: exactly pyais's field values, many times faster.

How: the file is one numpy byte array. Line ends, commas, `*` and tag-block backslashes are found
with vector ops; lines that are plain single-sentence `!xxVDM/!xxVDO` with a valid 6-bit payload (and,
by default, a valid checksum) are grouped by (message type, bit length). For each group the payload
characters are de-armoured column by column into 60-bit words, and every field of pyais's own decoder
plan (`Payload.decoder_plan()`: offset, width, signedness, kind, converter) is extracted with shifts
and masks over the whole group at once. Converters are reproduced exactly:
- fields of up to 16 bits go through a lookup table built by running pyais's converters on every
  possible raw value (so enums, turn rate, scaling... are pyais's by construction);
- wider fields use the same integer arithmetic as pyais (`to_lat_lon*`: `((10 * v + 3) // 6) / 1e6`,
  `to_speed`/`to_10th`/`to_100th`: `v / 10.0`...), anything else falls back to pyais's converter
  per element;
- text fields map 6-bit codes through pyais's character table and strip as pyais does.

Handled here: single-sentence messages of every type whose pyais class decodes by plan (1, 2, 3, 4, 5,
7, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 23, 27), and two-sentence messages whose fragments are on
consecutive lines (the usual type 5) when the pyais path could not be holding an older first half
that such a pair would restart. Everything else (types 6, 8, 16, 17, 22, 25, 26, other multi-sentence
messages, trailers after the checksum, bad or doubtful lines) is returned as line numbers for the pyais
path. Values the pyais path would reject (MMSI below 100000, impossible lat/lon, truncated payloads) are
sent there too, so both paths accept exactly the same messages.

Rejects made here, with the pyais path's reasons and raw text: lines that are not NMEA, bad tag blocks,
empty payloads, and first halves of two-sentence messages that nothing within the pyais path's
`max_age_lines` could complete (`orphan_fragment`). They are kept as arrays (`FastRejects`); the raw
text is cut out of the input only when asked for.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyais import messages as pm
from pyais.bit_vector import _SIXBIT_CHAR

from seawatch.sources.nmea import _ARMOUR_OK, LAT_NA, LON_NA, MAX_PAYLOAD_LEN, MIN_BITS, MIN_MMSI, plain
from seawatch.sources.tagblock import TagBlockError, parse_tag_block

log = logging.getLogger(__name__)

U64 = np.uint64
TABLE_MAX_BITS = 16

_ARMOUR = np.full(256, 255, dtype=np.uint8)
for _c in range(256):
    if 48 <= _c <= 87 or 96 <= _c <= 119:
        _ARMOUR[_c] = _c - 48 if _c - 48 <= 40 else _c - 56
_HEX = np.full(256, -1, dtype=np.int16)
for _i, _ch in enumerate(b"0123456789ABCDEF"):
    _HEX[_ch] = _i
for _i, _ch in enumerate(b"abcdef"):
    _HEX[_ch] = 10 + _i
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
    if all(type(v) is int for v in values):
        return np.array(values, dtype=np.int64)
    if all(type(v) is float for v in values):
        return np.array(values, dtype=np.float64)
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _scaled(num: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda v: ((num * v + 3) // 6) / 1e6


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
        elif kind in (_KIND_INT, _KIND_FLOAT, _KIND_BOOL) and to_conv is None and attr_conv is None:
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
        elif attr_conv is None and to_conv is None:
            op.vector = (lambda v: v.astype(np.float64)) if kind == _KIND_FLOAT else (lambda v: v)
        elif attr_conv is None and to_conv in _VECTOR_CONVERTERS and aw <= _VECTOR_CONVERTERS[to_conv][1] + 1:
            op.vector = _VECTOR_CONVERTERS[to_conv][0]
        else:
            op.convert = lambda r, k=kind, tc=to_conv, ac=attr_conv: _convert_value(int(r), k, tc, ac)
        ops.append(op)
    return ops


_PLAIN_VECTOR: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    _KIND_INT: lambda v: v,
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


def _words(padded: np.ndarray, n_chars: int) -> list[np.ndarray]:
    """Pack a (rows, chars) matrix of 6-bit values into big-endian 64-bit words (plus one zero word):
    4 characters make 3 bytes, the bytes are read as '>u8'. `padded` is zero after `n_chars` columns,
    up to a multiple of 4 columns at least."""
    n_rows = padded.shape[0]
    quads = -(-n_chars // 4)
    n_bytes = 3 * quads
    n_words = -(-n_bytes // 8) + 1
    q = padded[:, : quads * 4].reshape(n_rows, quads, 4)
    raw = np.zeros((n_rows, n_words * 8), dtype=np.uint8)
    tri = raw[:, : 3 * quads].reshape(n_rows, quads, 3)
    tri[:, :, 0] = (q[:, :, 0] << 2) | (q[:, :, 1] >> 4)
    tri[:, :, 1] = ((q[:, :, 1] & 15) << 4) | (q[:, :, 2] >> 2)
    tri[:, :, 2] = ((q[:, :, 2] & 3) << 6) | q[:, :, 3]
    words = raw.view(">u8").astype(U64)
    return [words[:, k] for k in range(n_words)]


def _extract(words: list[np.ndarray], offset: int, width: int, signed: bool) -> np.ndarray:
    j, off = divmod(offset, WORD_BITS)
    avail = WORD_BITS - off
    if width <= avail:
        val = words[j] >> U64(avail - width)
        val &= U64((1 << width) - 1)
    else:
        lo = width - avail
        val = words[j] & U64((1 << avail) - 1)
        val <<= U64(lo)
        val |= words[j + 1] >> U64(WORD_BITS - lo)
    out = val.view(np.int64)  # width <= 62 bits here: the same values, no copy
    if signed:
        out = np.where(out >= (1 << (width - 1)), out - (1 << width), out)
    return out


def _text(sextets: list[np.ndarray], nbits: int, offset: int, width: int) -> list[str]:
    """pyais `get_str`: one character per 6 bits (partial last character = its available bits)."""
    cols = []
    for i in range(offset, offset + width, 6):
        if i >= nbits:
            cols.append(np.full(len(sextets[0]), _SIXBIT_ASCII[0], dtype=np.uint8))
            continue
        aw = min(6, nbits - i)
        k, bit = divmod(i, 6)
        if bit == 0 and aw == 6:
            v = sextets[k]
        else:  # straddles two characters or is cut by the end of the payload
            v16 = sextets[k].astype(np.uint16) << 6
            if k + 1 < len(sextets):
                v16 = v16 | sextets[k + 1]
            v = ((v16 >> (12 - bit - aw)) & ((1 << aw) - 1)).astype(np.uint8)
        cols.append(_SIXBIT_ASCII[v])
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
    bad_chars: np.ndarray | None = None  # rows with characters outside the armour (left to pyais)
    chunk: int = 0  # which slice of the input it came from (rows of one slice are contiguous)


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

    def column(self, name: str, dtype: Any = np.float64, fill: Any = np.nan) -> np.ndarray:
        """One field over the whole batch (fill where a group lacks it)."""
        out = np.full(len(self.line), fill, dtype=dtype)
        for g in self.groups:
            col = g.columns.get(name)
            if col is not None and not isinstance(col, list):
                out[g.rows] = col
        return out

    def has(self, name: str) -> np.ndarray:
        out = np.zeros(len(self.line), dtype=bool)
        for g in self.groups:
            if g.columns.get(name) is not None:
                out[g.rows] = True
        return out


def empty_batch() -> FastBatch:
    return FastBatch(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int32), [])


def _group_dicts(g: FastGroup) -> list[dict[str, Any]]:
    names = g.order
    lists = [c.tolist() if isinstance(c, np.ndarray) else c for c in (g.columns[n] for n in names)]
    none = [None] * len(g.rows)
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
    """pyais field dicts (plus `received_at` epoch s or None, `station`) in line order."""
    t_list = batch.t.tolist()
    names: list[str | None] = [*batch.stations, None]  # code -1 -> None
    codes = batch.station_code.tolist()
    # one input slice at a time, so that only its records are held in memory
    for _, chunk_groups in itertools.groupby(batch.groups, key=lambda g: g.chunk):
        part: dict[int, dict[str, Any]] = {}
        for g in chunk_groups:
            part.update(zip(g.rows.tolist(), _group_dicts(g), strict=True))
        for row in sorted(part):
            rec = part[row]
            t = t_list[row]
            rec["received_at"] = None if t != t else t
            rec["station"] = names[codes[row]]
            yield rec


# -- line scanning ---------------------------------------------------------------------------------


PAD = 256  # zero bytes after each chunk: reads past a line end (and 2-D windows) need no bounds checks


def _char(buf: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """buf[pos]; `buf` carries PAD zero bytes after the data, which covers every position read here."""
    return buf[pos]


@dataclass
class _Lines:
    start: np.ndarray  # sentence start (after any tag block)
    line_start: np.ndarray
    end: np.ndarray  # exclusive, without \r
    line_no: np.ndarray


def _scan_lines(buf: np.ndarray) -> _Lines:
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(buf)]))
    if len(buf) and buf[-1] == 10:  # no empty last line
        starts, ends = starts[:-1], ends[:-1]
    cr = (ends > starts) & (_char(buf, np.maximum(ends - 1, 0)) == 13)
    ends = ends - cr
    line_no = np.arange(1, len(starts) + 1, dtype=np.int64)
    return _Lines(starts.copy(), starts, ends, line_no)


CHUNK_BYTES = 1 << 21  # work in ~2 MB slices: big fresh numpy arrays are slow to allocate


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


_Spans = tuple[np.ndarray, np.ndarray, np.ndarray]  # line number, start, end of some lines
_RejectArrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # line, start, end, code


def _reject_arrays(lines: _Lines, rows: np.ndarray, codes: np.ndarray) -> _RejectArrays:
    return lines.line_no[rows], lines.line_start[rows], lines.end[rows], codes


@dataclass
class FastResult:
    """What the fast path did with a whole text: decoded `batch`, the 1-based `slow_lines` left for the
    pyais path, the `rejects` it found itself (`empty_payload`) and `counts` (`skipped:comment`,
    `skipped:foreign_sentence`)."""

    batch: FastBatch
    slow_lines: list[int]
    rejects: FastRejects
    counts: Counter[str]
    slow_spans: list[tuple[int, int]] = field(default_factory=list)  # byte (start, end) of each slow line
    n_lines: int = 0


ORPHAN_REASON = "orphan_fragment: multi-sentence message incomplete (1/2)"


def decode_lines(data: bytes, enforce_checksum: bool = True, max_age_lines: int | None = None) -> FastResult:
    """Decode what the fast path can (see `FastResult`). With `max_age_lines` (the pyais path's
    `NmeaAisDecoder.max_age_lines`, which must not exceed its `max_pending`), first fragments that
    certainly end as orphans there are rejected here (`orphan_fragment`) instead of left to it."""
    batches: list[FastBatch] = []
    slow_parts: list[np.ndarray] = []
    rejects: list[_RejectArrays] = []
    reasons: dict[str, int] = {}
    counts: Counter[str] = Counter()
    stations: dict[str, int] = {}
    span_parts: list[np.ndarray] = []
    frag_keys: list[np.ndarray] = []
    window = np.iinfo(np.int64).max // 4 if max_age_lines is None else max_age_lines
    none = np.zeros(0, dtype=np.int64)
    history: _History = (none, none)
    pos = 0
    line_offset = 0
    while pos < len(data):
        end = data.find(b"\n", min(pos + CHUNK_BYTES, len(data)) - 1)
        end = len(data) if end < 0 else end + 1
        chunk = data[pos:end]
        batch, chunk_slow, chunk_rejects, keys, history = _decode_chunk(
            chunk, enforce_checksum, stations, reasons, counts, history, line_offset, window, end == len(data)
        )
        frag_keys.append(keys)
        slow_parts.append(chunk_slow[0] + line_offset)
        span_parts.append(np.stack((chunk_slow[1], chunk_slow[2]), axis=1) + pos)
        if line_offset:
            batch.line += line_offset
        r_line, r_start, r_end, r_code = chunk_rejects
        rejects.append((r_line + line_offset, r_start + pos, r_end + pos, r_code))
        batches.append(batch)
        line_offset += chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
        pos = end
    merged = _merge(batches)
    merged.stations = list(stations)
    slow = np.concatenate(slow_parts) if slow_parts else np.zeros(0, dtype=np.int64)
    spans = np.concatenate(span_parts) if span_parts else np.zeros((0, 2), dtype=np.int64)
    if max_age_lines is not None and len(slow):
        lone = _lone_firsts(slow, np.concatenate(frag_keys), max_age_lines)
        if lone.any():
            gone = np.flatnonzero(lone)
            code = reasons.setdefault(ORPHAN_REASON, len(reasons))
            rejects.append((slow[gone], spans[gone, 0], spans[gone, 1], np.full(len(gone), code)))
            slow, spans = slow[~lone], spans[~lone]
    return FastResult(
        merged,
        slow.tolist(),
        _all_rejects(rejects, reasons),
        counts,
        [(a, b) for a, b in spans.tolist()],
        line_offset,
    )


def _all_rejects(parts: list[_RejectArrays], reasons: dict[str, int]) -> FastRejects:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return FastRejects(empty, empty, empty, empty, list(reasons))
    line, start, end, code = (np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(4))
    order = np.argsort(line, kind="stable")
    return FastRejects(line[order], start[order], end[order], code[order], list(reasons))


def _with_unchecked(
    lines: _Lines, mask: np.ndarray, line_offset: int, history: _History, window: int
) -> _History:
    """`history` plus the masked lines as unchecked ones, limited to the last `window` lines."""
    new_lines = np.concatenate((history[0], lines.line_no[mask] + line_offset))
    new_keys = np.concatenate((history[1], np.full(int(mask.sum()), ANY_FRAGMENT)))
    recent = new_lines >= (lines.line_no[-1] + line_offset) - window
    return new_lines[recent], new_keys[recent]


def _merge(batches: list[FastBatch]) -> FastBatch:
    batches = [b for b in batches if len(b)]
    if not batches:
        return empty_batch()
    if len(batches) == 1:
        return batches[0]
    groups: list[FastGroup] = []
    offset = 0
    for k, b in enumerate(batches):
        for g in b.groups:
            g.rows = g.rows + offset
            g.chunk = k
            groups.append(g)
        offset += len(b)
    return FastBatch(
        line=np.concatenate([b.line for b in batches]),
        msg_type=np.concatenate([b.msg_type for b in batches]),
        t=np.concatenate([b.t for b in batches]),
        station_code=np.concatenate([b.station_code for b in batches]),
        groups=groups,
    )


def _tag_blocks(
    buf: np.ndarray,
    data: bytes,
    rows: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    t_line: np.ndarray,
    station_line: np.ndarray,
    tag_ok: np.ndarray,
    station_codes: dict[str, int],
    tag_fail: np.ndarray,
) -> np.ndarray:
    """Parse each distinct tag block once (feeds repeat the same `s:`/`c:` on many lines).
    `tag_fail` gets the reject reason of rows whose block is certainly bad; returns those rows."""
    if not len(rows):
        return rows
    unsure = np.zeros(len(rows), dtype=bool)
    lens = end - start
    width = int(lens.max())
    if width == 0 or width > 160:  # unusual: parse one by one
        uniq_keys = [data[a:b] for a, b in zip(start.tolist(), end.tolist(), strict=True)]
        inverse = np.arange(len(rows))
    else:
        cols = np.arange(width)
        inside = cols[None, :] < lens[:, None]
        mat = np.where(inside, np.lib.stride_tricks.sliding_window_view(buf, width)[start], 0).astype(
            np.uint8
        )
        has_nul = ((mat == 0) & inside).any(axis=1)
        tag_ok[rows[has_nul]] = False  # let the pyais path judge such lines
        unsure |= has_nul
        # group identical blocks by a 64-bit hash of the bytes, then verify each row against the
        # first row of its group (a collision just sends the row to the pyais path)
        width8 = -(-width // 8) * 8
        padded = np.zeros((len(rows), width8), dtype=np.uint8)
        padded[:, :width] = mat
        lanes = padded.view(np.uint64)
        mix = np.uint64(0x9E3779B97F4A7C15)
        hashes = np.zeros(len(rows), dtype=np.uint64)
        for k in range(lanes.shape[1]):
            hashes = (hashes ^ lanes[:, k]) * mix
        _, first_idx, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        same = (padded == padded[first_idx[inverse]]).all(axis=1)
        tag_ok[rows[~same]] = False
        unsure |= ~same
        uniq_keys = [
            data[a:b] for a, b in zip(start[first_idx].tolist(), end[first_idx].tolist(), strict=True)
        ]
    ts = np.full(len(uniq_keys), np.nan)
    stations = np.full(len(uniq_keys), -1, dtype=np.int32)
    ok = np.ones(len(uniq_keys), dtype=bool)
    fails = np.full(len(uniq_keys), None, dtype=object)
    for k, content in enumerate(uniq_keys):
        try:
            block = parse_tag_block(content)
        except TagBlockError as exc:
            ok[k] = False
            fails[k] = f"{exc.reason}: {exc}"
            continue
        if block.received_at is not None:
            ts[k] = block.received_at.timestamp()
        if block.station is not None:
            stations[k] = station_codes.setdefault(block.station, len(station_codes))
    inverse = inverse.ravel()
    t_line[rows] = ts[inverse]
    station_line[rows] = stations[inverse]
    tag_ok[rows] &= ok[inverse]
    failed = ~ok[inverse] & ~unsure
    tag_fail[rows[failed]] = fails[inverse[failed]]
    return rows[failed]


def _decode_chunk(
    data: bytes,
    enforce_checksum: bool,
    station_codes: dict[str, int],
    reasons: dict[str, int],
    counts: Counter[str],
    history: _History,
    line_offset: int,
    window: int,
    last_chunk: bool = True,
) -> tuple[FastBatch, _Spans, _RejectArrays, np.ndarray, _History]:
    """Decoded batch, slow lines (line number, start, end), rejects, and which slow lines are first
    fragments of two-sentence messages the pyais path would hold as pending (see `_fragment_keys`)."""
    buf = np.frombuffer(data + bytes(PAD), dtype=np.uint8)
    lines = _scan_lines(buf[: len(data)])
    n_lines = len(lines.line_no)
    if n_lines == 0:
        none = np.zeros(0, dtype=np.int64)
        return empty_batch(), (none, none, none), (none, none, none, none), none, history
    nonempty = lines.end > lines.line_start
    first = _char(buf, lines.line_start)

    # Tag blocks: the sentence starts after the second backslash; parse each distinct block once.
    t_line = np.full(n_lines, np.nan)
    station_line = np.full(n_lines, -1, dtype=np.int32)
    tag_ok = np.ones(n_lines, dtype=bool)
    tag_fail = np.full(n_lines, None, dtype=object)
    tag_failed = np.zeros(n_lines, dtype=bool)
    has_tag = nonempty & (first == 92)
    if has_tag.any():
        bs = np.flatnonzero(buf == 92)
        idx = np.flatnonzero(has_tag)
        nxt = np.searchsorted(bs, lines.line_start[idx], side="right")
        close = np.where(nxt < len(bs), bs[np.minimum(nxt, len(bs) - 1)], len(buf))
        closed = close < lines.end[idx]
        tag_ok[idx[~closed]] = False
        tag_fail[idx[~closed]] = "bad_tag_block: tag block not terminated by a backslash"
        tag_failed[idx[~closed]] = True
        good = idx[closed]
        lines.start[good] = close[closed] + 1
        tag_failed[
            _tag_blocks(
                buf,
                data,
                good,
                lines.line_start[good] + 1,
                close[closed],
                t_line,
                station_line,
                tag_ok,
                station_codes,
                tag_fail,
            )
        ] = True

    s = lines.start
    e = lines.end
    lead = _char(buf, s)
    upper_tail = (
        (_char(buf, s + 3) & 0xDF).astype(np.uint32) << 16
        | (_char(buf, s + 4) & 0xDF).astype(np.uint32) << 8
        | (_char(buf, s + 5) & 0xDF)
    )
    vdm_vdo = (upper_tail == (ord("V") << 16 | ord("D") << 8 | ord("M"))) | (
        upper_tail == (ord("V") << 16 | ord("D") << 8 | ord("O"))
    )
    comment = nonempty & (first == 35)
    foreign = nonempty & tag_ok & ~comment & ((lead == 33) | (lead == 36)) & ~vdm_vdo & (e - s >= 6)
    foreign_rows = np.flatnonzero(foreign)
    if len(foreign_rows):  # the pyais path would reject a non-ASCII line before looking at its type
        ascii_ok = [
            data[a:b].isascii()
            for a, b in zip(lines.line_start[foreign_rows].tolist(), e[foreign_rows].tolist(), strict=True)
        ]
        foreign[foreign_rows[~np.array(ascii_ok, dtype=bool)]] = False
    skipped = comment | foreign
    line_rejects, rejected_rows = _line_rejects(
        data, buf, lines, first, nonempty, tag_fail, tag_failed, reasons
    )
    counts["skipped:comment"] += int(comment.sum())
    counts["skipped:foreign_sentence"] += int(foreign.sum())
    cand = nonempty & tag_ok & (lead == 33)
    tail = (
        _char(buf, s + 3).astype(np.uint32) << 16
        | _char(buf, s + 4).astype(np.uint32) << 8
        | _char(buf, s + 5)
    )
    cand &= (tail == (ord("V") << 16 | ord("D") << 8 | ord("M"))) | (
        tail == (ord("V") << 16 | ord("D") << 8 | ord("O"))
    )
    commas = np.flatnonzero(buf == 44)
    k0 = np.searchsorted(commas, s)
    k_last = k0 + 5
    cand &= k_last < len(commas)
    kl = np.minimum(k_last, max(len(commas) - 1, 0))
    if len(commas) == 0:
        slow_mask = ~(skipped | rejected_rows)
        return (
            empty_batch(),
            _spans(lines, slow_mask),
            line_rejects,
            np.full(int(slow_mask.sum()), ANY_FRAGMENT),
            _with_unchecked(lines, slow_mask, line_offset, history, window),
        )

    def comma(k: int) -> np.ndarray:
        return commas[np.minimum(k0 + k, len(commas) - 1)]

    c0, c1, c2, c3, c4, c5 = (comma(k) for k in range(6))
    cand &= (c0 == s + 6) & (commas[kl] < e)
    # sentence end: `,F*HH` right after the sixth comma, then the end of line (no trailer)
    cand &= e == c5 + 5
    cand &= _char(buf, c5 + 2) == 42
    fill = _char(buf, c5 + 1).astype(np.int64) - 48
    cand &= (fill >= 0) & (fill <= 5)
    cnt = _char(buf, c0 + 1)
    num = _char(buf, c1 + 1)
    cand &= (c1 == c0 + 2) & (c2 == c1 + 2) & (cnt >= 49) & (cnt <= 50) & (num >= 49) & (num <= 50)
    cand &= num <= cnt
    cand &= c3 - c2 <= 2  # sequence id: empty or one digit
    cand &= c4 - c3 <= 2  # channel: empty or one letter
    # every other byte of an accepted line is checked below; these four must be ASCII too
    cand &= (_char(buf, s + 1) < 128) & (_char(buf, s + 2) < 128)
    cand &= (_char(buf, c2 + 1) < 128) & (_char(buf, c3 + 1) < 128)
    hex_ok = (_HEX[_char(buf, c5 + 3)] >= 0) & (_HEX[_char(buf, c5 + 4)] >= 0)
    cand &= hex_ok
    if enforce_checksum:
        given = _HEX[_char(buf, c5 + 3)].astype(np.int32) * 16 + _HEX[_char(buf, c5 + 4)]
        idx = np.flatnonzero(cand)
        if len(idx):
            bounds = np.empty(2 * len(idx), dtype=np.int64)
            bounds[0::2] = s[idx] + 1
            bounds[1::2] = c5[idx] + 2
            xor = np.bitwise_xor.reduceat(buf, bounds)[0::2]
            cand[idx] &= xor.astype(np.int32) == given[idx]

    # Two-sentence messages on consecutive lines: pair fragment 1 with the next line's fragment 2.
    single = cand & (cnt == 49)
    # An empty single-sentence payload is a reject the pyais path would give the same way.
    empty = single & (c5 == c4 + 1)
    single &= ~empty
    empty_rows = np.flatnonzero(empty)
    empty_rejects = _reject_arrays(
        lines, empty_rows, np.full(len(empty_rows), reasons.setdefault("empty_payload", len(reasons)))
    )
    rejects: _RejectArrays = (
        np.concatenate((line_rejects[0], empty_rejects[0])),
        np.concatenate((line_rejects[1], empty_rejects[1])),
        np.concatenate((line_rejects[2], empty_rejects[2])),
        np.concatenate((line_rejects[3], empty_rejects[3])),
    )
    first_of_two = cand & (cnt == 50) & (num == 49)
    pair = np.zeros(n_lines, dtype=bool)
    if n_lines > 1:
        a = np.flatnonzero(first_of_two[:-1])
        b = a + 1
        ok = cand[b] & (cnt[b] == 50) & (num[b] == 50) & (fill[a] == 0)
        ok &= (c3[a] - c2[a]) == (c3[b] - c2[b])
        ok &= _char(buf, c2[a] + 1) == _char(buf, c2[b] + 1)
        ok &= (c4[a] - c3[a]) == (c4[b] - c3[b])
        ok &= _char(buf, c3[a] + 1) == _char(buf, c3[b] + 1)
        # a second fragment without a station of its own joins the pending first one of its key on the
        # pyais path: paired here only when no other may be pending (checked below)
        ok &= (station_line[a] == station_line[b]) | (station_line[b] == -1)
        seq_a = _char(buf, c2[a] + 1)
        ok &= (c3[a] == c2[a] + 1) | ((seq_a >= 48) & (seq_a <= 57))  # pyais: int(sequence id)
        ok &= (c5[a] - c4[a] - 1 <= MAX_PAYLOAD_LEN) & (c5[b] - c4[b] - 1 <= MAX_PAYLOAD_LEN)
        pair[a[ok]] = True
    key = _sentence_keys(buf, c2, c3, c4)
    # A pair restarts (orphans) a first fragment of its key the pyais path may hold pending: when a
    # later line might still complete that fragment there, the pair is left to that path too. Leaving
    # a pair to that path turns its lines into pending fragments and completers for the others, so
    # repeat until no pair changes (it only ever shrinks the set of pairs).
    wild = nonempty & ~(cand | skipped | rejected_rows)
    history_before = history
    unknown = np.iinfo(np.int64).max // 2 if last_chunk else int(lines.line_no[-1]) + line_offset + 1
    while True:
        maybe_pending = (first_of_two & ~pair) | wild
        history = (
            np.concatenate((history_before[0], lines.line_no[maybe_pending] + line_offset)),
            np.concatenate((history_before[1], np.where(wild, ANY_FRAGMENT, key)[maybe_pending])),
        )
        pair_second = np.zeros(n_lines, dtype=bool)
        pair_second[1:] = pair[:-1]
        completer = (cand & (cnt == 50) & (num == 50) & ~pair_second) | wild
        completers = (lines.line_no[completer] + line_offset, np.where(wild, ANY_FRAGMENT, key)[completer])
        pair_rows = np.flatnonzero(pair)
        demote, pending_before = _restart_matters(
            lines.line_no[pair_rows] + line_offset, key[pair_rows], history, completers, unknown, window
        )
        loose = station_line[pair_rows] != station_line[np.minimum(pair_rows + 1, n_lines - 1)]
        demote |= loose & pending_before
        if not demote.any():
            break
        pair[pair_rows[demote]] = False
    last = (lines.line_no[-1] + line_offset) if n_lines else 0
    recent = history[0] >= last - window
    history = (history[0][recent], history[1][recent])
    # (paired lines are decoded here; should one go to the pyais path after all, its second half does too)
    held = _held_firsts(
        data, buf, first_of_two & ~pair & (fill == 0), enforce_checksum, lines, c2, c3, c4, c5
    )
    frag_key = _fragment_keys(cand, held, cnt, num, key)

    # Payload spans: (start, length) of up to two pieces per message.
    msg_rows = np.flatnonzero(single | pair)
    p1_start = c4[msg_rows] + 1
    p1_len = c5[msg_rows] - c4[msg_rows] - 1
    is_pair = pair[msg_rows]
    nxt_rows = np.minimum(msg_rows + 1, n_lines - 1)
    p2_start = np.where(is_pair, c4[nxt_rows] + 1, 0)
    p2_len = np.where(is_pair, c5[nxt_rows] - c4[nxt_rows] - 1, 0)
    m_fill = np.where(is_pair, fill[nxt_rows], fill[msg_rows])
    n_chars = p1_len + p2_len
    nbits = 6 * n_chars - m_fill
    first_char = _char(buf, p1_start)
    msg_type = np.where(p1_len > 0, _ARMOUR[first_char].astype(np.int64), -1)

    batch_rows: list[np.ndarray] = []
    groups: list[FastGroup] = []
    variant = _variants(buf, msg_type, p1_start, p1_len)
    keys = (msg_type << 20) | (variant << 16) | np.clip(nbits, 0, 65535)
    usable = (p1_len > 0) & (msg_type >= 1)
    for key in np.unique(keys[usable]).tolist():
        t, var, bits = key >> 20, (key >> 16) & 15, key & 0xFFFF
        ops = plan_for(t, bits, var)
        if ops is None or bits < MIN_BITS.get(t, 38):
            continue
        sel = np.flatnonzero(usable & (keys == key))
        group = _decode_group(buf, t, bits, ops, p1_start[sel], p1_len[sel], p2_start[sel], p2_len[sel])
        ok_rows = _acceptable(group)
        if not ok_rows.all():
            group = _subset(group, ok_rows)
            sel = sel[ok_rows]
        if len(sel):
            batch_rows.append(sel)
            groups.append(group)

    if not batch_rows:
        slow_mask = ~(empty | skipped | rejected_rows)
        return empty_batch(), _spans(lines, slow_mask), rejects, frag_key[slow_mask], history
    all_sel = np.concatenate(batch_rows)
    order = np.argsort(msg_rows[all_sel], kind="stable")
    position = np.empty(len(all_sel), dtype=np.int64)
    position[order] = np.arange(len(all_sel))
    offset = 0
    for sel, g in zip(batch_rows, groups, strict=True):
        g.rows = position[offset : offset + len(sel)]
        offset += len(sel)
    done_msgs = all_sel[order]
    first_lines = msg_rows[done_msgs]
    done_lines = np.zeros(n_lines, dtype=bool)
    done_lines[first_lines] = True
    done_lines[first_lines[is_pair[done_msgs]] + 1] = True
    t_msg = t_line[first_lines]
    st_msg = station_line[first_lines]
    if is_pair[done_msgs].any():  # time/station from either fragment
        second = first_lines + 1
        t_msg = np.where(np.isnan(t_msg) & is_pair[done_msgs], t_line[np.minimum(second, n_lines - 1)], t_msg)
    batch = FastBatch(
        line=lines.line_no[first_lines],
        msg_type=msg_type[done_msgs],
        t=t_msg,
        station_code=st_msg,
        groups=groups,
    )
    done_lines |= empty | skipped | rejected_rows
    return batch, _spans(lines, ~done_lines), rejects, frag_key[~done_lines], history


def _held_firsts(
    data: bytes,
    buf: np.ndarray,
    mask: np.ndarray,
    enforce_checksum: bool,
    lines: _Lines,
    c2: np.ndarray,
    c3: np.ndarray,
    c4: np.ndarray,
    c5: np.ndarray,
) -> np.ndarray:
    """Lines the pyais path would accept as the first fragment of a two-sentence message and hold
    pending: `mask` (valid sentence, fragment 1 of 2, no fill bits) with a checksum that was checked, a
    numeric sequence id, a payload of valid characters within pyais's size limit, and ASCII bytes."""
    held = mask.copy()
    if not enforce_checksum:  # the pyais path would count checksum mismatches
        held[:] = False
        return held
    seq = _char(buf, c2 + 1)
    held &= (c3 == c2 + 1) | ((seq >= 48) & (seq <= 57))
    held &= c5 - c4 - 1 <= MAX_PAYLOAD_LEN
    rows = np.flatnonzero(held)
    for row, a, p0, p1 in zip(
        rows.tolist(),
        lines.line_start[rows].tolist(),
        (c4[rows] + 1).tolist(),
        c5[rows].tolist(),
        strict=True,
    ):
        if not data[a:p1].isascii() or data[p0:p1].translate(_ARMOUR_OK).count(0):
            held[row] = False
    return held


ANY_FRAGMENT = -2  # a slow line that might be any fragment (not fully checked here)
NO_FRAGMENT = -1  # a checked sentence the pyais path never holds or completes a message with
HELD = 1 << 16  # + key: a first fragment it holds pending; key alone: a second fragment


def _sentence_keys(buf: np.ndarray, c2: np.ndarray, c3: np.ndarray, c4: np.ndarray) -> np.ndarray:
    """Per line, (channel, sequence id) characters as one number, 0 for an empty one: the pyais path's
    fragment key without the station (so matches here are wider than there)."""
    seq = np.where(c3 == c2 + 2, _char(buf, c2 + 1), 0).astype(np.int64)
    chan = np.where(c4 == c3 + 2, _char(buf, c3 + 1), 0).astype(np.int64)
    return chan << 8 | seq


def _fragment_keys(
    cand: np.ndarray, held: np.ndarray, cnt: np.ndarray, num: np.ndarray, key: np.ndarray
) -> np.ndarray:
    """Per line, what it can be to the pyais path's fragment assembly (see the constants above)."""
    out = np.where(cand, NO_FRAGMENT, ANY_FRAGMENT).astype(np.int64)
    second = cand & (cnt == 50) & (num == 50)
    out[second] = key[second]
    out[held] = key[held] + HELD
    return out


_History = tuple[np.ndarray, np.ndarray]  # line numbers and keys (or ANY_FRAGMENT) of maybe-pending lines


def _restart_matters(
    line: np.ndarray, key: np.ndarray, pending: _History, completers: _History, unknown: int, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mask over pairs (first `line`, `key`): a fragment of the same key (or an unchecked line) may be
    pending on the pyais path within `window` lines before the pair, and a line of the same key (or an
    unchecked one) after the pair, while that fragment is still pending, might complete it there. Lines
    from `unknown` on are not known yet: as if they might. Also returns the first condition alone."""
    hit = np.zeros(len(line), dtype=bool)
    any_pending = np.zeros(len(line), dtype=bool)
    if not len(line) or not len(pending[0]):
        return hit, any_pending
    never = np.iinfo(np.int64).max // 2

    def first_in(lines_sorted: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """First of `lines_sorted` at or after each `lo` (never when none)."""
        return np.append(lines_sorted, never)[np.searchsorted(lines_sorted, lo, side="left")]

    p_line, p_key = pending
    order = np.argsort(p_line, kind="stable")
    p_line, p_key = p_line[order], p_key[order]
    c_line, c_key = completers
    for k in np.unique(key).tolist():
        rows = np.flatnonzero(key == k)
        p_sel = p_line[(p_key == k) | (p_key == ANY_FRAGMENT)]
        c_sel = c_line[(c_key == k) | (c_key == ANY_FRAGMENT)]
        before = np.searchsorted(p_sel, line[rows], side="left") - 1  # the latest pending before
        latest = np.where(before >= 0, np.append(p_sel, -never)[before], -never)
        pending_before = latest >= line[rows] - window
        nxt = np.minimum(first_in(c_sel, line[rows] + 2), unknown)
        hit[rows] = pending_before & (nxt <= latest + window)
        any_pending[rows] = pending_before
    return hit, any_pending


def _lone_firsts(slow_lines: np.ndarray, frag_key: np.ndarray, max_age_lines: int) -> np.ndarray:
    """Held first fragments that must end as orphans on the pyais path: no slow line that might
    complete them (a second fragment of the same channel and sequence id, or any unchecked line)
    within the `max_age_lines` lines after them, so they expire (or are restarted) first. Returns a
    mask over `slow_lines` (sorted line numbers)."""
    held = frag_key >= HELD
    lone = np.zeros(len(slow_lines), dtype=bool)
    if not held.any():
        return lone
    # Pending fragments are capped at `max_age_lines`; beyond that the pyais path evicts the oldest,
    # which removing some of them here could change: then leave everything to it.
    span = max_age_lines
    if len(slow_lines) > span and (slow_lines[span:] - slow_lines[:-span] <= max_age_lines).any():
        return lone
    never = np.iinfo(np.int64).max

    def next_after(lines: np.ndarray, rows: np.ndarray) -> np.ndarray:
        padded = np.append(lines, never)
        return padded[np.searchsorted(lines, slow_lines[rows], side="right")]

    idx = np.flatnonzero(held)
    following = next_after(slow_lines[frag_key == ANY_FRAGMENT], idx)
    for key in np.unique(frag_key[idx] - HELD).tolist():
        rows = idx[frag_key[idx] == key + HELD]
        pos = np.searchsorted(idx, rows)
        following[pos] = np.minimum(following[pos], next_after(slow_lines[frag_key == key], rows))
    lone[idx] = following - slow_lines[idx] > max_age_lines
    return lone


_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[list(b" \t\n\r\x0b\x0c")] = True
_NOT_NMEA_START = np.ones(256, dtype=bool)
_NOT_NMEA_START[list(b"#\\!$")] = False
_NOT_NMEA_START[list(b" \t\n\r\x0b\x0c")] = False


def _line_rejects(
    data: bytes,
    buf: np.ndarray,
    lines: _Lines,
    first: np.ndarray,
    nonempty: np.ndarray,
    tag_fail: np.ndarray,
    tag_failed: np.ndarray,
    reasons: dict[str, int],
) -> tuple[_RejectArrays, np.ndarray]:
    """Lines the pyais path would reject before looking at any sentence: not NMEA at all, or a bad
    tag block. Only lines without surrounding whitespace (which that path strips) are judged here."""
    last = buf[np.maximum(lines.end - 1, 0)]
    clean = nonempty & ~_WHITESPACE[last]
    not_nmea = clean & _NOT_NMEA_START[first]
    bad_tag = clean & (first == 92) & tag_failed
    rows = np.flatnonzero(not_nmea | bad_tag)
    codes = []
    for row, a, b in zip(
        rows.tolist(), lines.line_start[rows].tolist(), lines.end[rows].tolist(), strict=True
    ):
        if not data[a:b].isascii():
            reason = "not_nmea: non-ASCII bytes"
        elif not_nmea[row]:
            reason = "not_nmea: no ! or $ sentence start"
        else:
            reason = str(tag_fail[row])
        codes.append(reasons.setdefault(reason, len(reasons)))
    mask = np.zeros(len(first), dtype=bool)
    mask[rows] = True
    return _reject_arrays(lines, rows, np.array(codes, dtype=np.int64)), mask


def _spans(lines: _Lines, mask: np.ndarray) -> _Spans:
    """(line number, start, end) of the masked lines."""
    rows = np.flatnonzero(mask)
    return lines.line_no[rows], lines.line_start[rows], lines.end[rows]


def _variants(buf: np.ndarray, msg_type: np.ndarray, p1_start: np.ndarray, p1_len: np.ndarray) -> np.ndarray:
    """Sub-class code per message (0: the type's own class); 15: not for this path."""
    variant = np.zeros(len(msg_type), dtype=np.int64)
    rows = np.flatnonzero(msg_type == 24)
    if not len(rows):
        return variant
    enough = p1_len[rows] >= 7
    variant[rows[~enough]] = 15
    rows = rows[enough]
    sext = [_ARMOUR[buf[p1_start[rows] + k]].astype(np.int64) & 63 for k in range(7)]
    bits42 = np.zeros(len(rows), dtype=np.int64)
    for col in sext:
        bits42 = (bits42 << 6) | col
    mmsi = (bits42 >> 4) & 0x3FFFFFFF
    partno = (bits42 >> 2) & 3
    aux = (mmsi >= 980_000_000) & (mmsi <= 989_999_999)
    variant[rows] = np.where(partno == 0, 1, np.where(partno == 1, np.where(aux, 3, 2), 15))
    return variant


def _decode_group(
    buf: np.ndarray,
    msg_type: int,
    nbits: int,
    ops: list[_FieldOp],
    p1_start: np.ndarray,
    p1_len: np.ndarray,
    p2_start: np.ndarray,
    p2_len: np.ndarray,
) -> FastGroup:
    n_chars = int(p1_len[0] + p2_len[0])
    width = -(-n_chars // 8) * 8  # read up to 7 bytes more (PAD covers them), zeroed below
    if p2_len.any():
        cols = np.arange(width)
        first = cols[None, :] < p1_len[:, None]
        idx = np.where(first, p1_start[:, None] + cols, p2_start[:, None] + (cols - p1_len[:, None]))
        chars = buf[idx]
    else:  # rows of a strided view: no index matrix to build
        chars = np.lib.stride_tricks.sliding_window_view(buf, width)[p1_start]
    armour = _ARMOUR[chars]
    armour[:, n_chars:] = 0
    # a character outside the armour maps to 255: test the high bit of 8 characters at a time
    bad = (armour.view(np.uint64) & U64(0x8080808080808080)).any(axis=1)
    armour &= 63
    words = _words(armour, n_chars)
    sextets = [armour[:, k] for k in range(n_chars)]
    group = FastGroup(msg_type, nbits, np.zeros(0, np.int64), bad_chars=bad)
    for op in ops:
        group.order.append(op.name)
        if not op.present:
            group.columns[op.name] = None
            continue
        if op.kind == _KIND_STR:
            texts = _text(sextets, nbits, op.offset, op.width)
            group.columns[op.name] = [op.convert(x) for x in texts] if op.convert else texts
            continue
        raw = _extract(words, op.offset, op.width, op.signed)
        if op.table is not None:
            index = raw + (1 << (op.width - 1)) if op.signed else raw
            col: Any = op.table[index]
            if col.dtype == object:
                col = col.tolist()
        elif op.vector is not None:
            col = op.vector(raw)
        else:
            assert op.convert is not None
            col = [op.convert(r) for r in raw.tolist()]
        group.columns[op.name] = col
    if "name" in group.columns and msg_type == 21:
        names = group.columns["name"] or [None] * len(p1_start)
        exts = group.columns.get("name_ext") or [None] * len(p1_start)
        group.columns["full_name"] = [_full_name(a, b) for a, b in zip(names, exts, strict=True)]
        group.order.append("full_name")
    return group


def _acceptable(group: FastGroup) -> np.ndarray:
    """Rows the pyais path would accept (else it must produce the reject)."""
    n = len(next(iter(c for c in group.columns.values() if c is not None)))
    ok = np.ones(n, dtype=bool) if group.bad_chars is None else ~group.bad_chars
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


def _subset(group: FastGroup, mask: np.ndarray) -> FastGroup:
    idx = np.flatnonzero(mask)
    cols: dict[str, Any] = {}
    for name, col in group.columns.items():
        if col is None:
            cols[name] = None
        elif isinstance(col, np.ndarray):
            cols[name] = col[idx]
        else:
            cols[name] = [col[i] for i in idx.tolist()]
    return FastGroup(group.msg_type, group.nbits, group.rows, cols, group.order)
