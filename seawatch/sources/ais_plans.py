"""Decoder plans for the batch AIS decoder (`ais_fast.py`): each field of pyais's own plan
(`Payload.decoder_plan()`) compiled into a `FieldOp` (offset, width, signedness, kind, and a lookup table
or the exact arithmetic that reproduces pyais's converter), per message type, bit length and variant
(`plan_for`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyais import messages as pm

from seawatch.sources.ais_convert import plain

TABLE_MAX_BITS = 16
U64 = np.uint64

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
class FieldOp:
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


def _compile(cls: type[pm.Payload], nbits: int) -> list[FieldOp] | None:
    """Operations for one class at one payload length, or None when this path cannot do it."""
    attr_fields = {f.name: f for f in cls.fields()}
    ops: list[FieldOp] = []
    for name, offset, width, signed, kind, to_conv in cls.decoder_plan():
        fld = attr_fields[name]
        if fld.metadata.get("is_spare"):
            continue
        attr_conv = fld.converter
        if offset >= nbits:
            ops.append(FieldOp(name, kind, offset, 0, signed, present=False))
            continue
        aw = min(width, nbits - offset)
        op = FieldOp(name, kind, offset, aw, bool(signed))
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


_PLANS: dict[tuple[int, int, int], list[FieldOp] | None] = {}
DERIVED_FIELDS = frozenset({"full_name"})  # pyais cached properties that asdict() includes (type 21)


def full_name(name: str | None, name_ext: str | None) -> str:
    """pyais MessageType21.full_name."""
    if name:
        return f"{name}{name_ext}" if name_ext else str(name)
    return ""


def plan_for(msg_type: int, nbits: int, variant: int = 0) -> list[FieldOp] | None:
    key = (msg_type, nbits, variant)
    if key not in _PLANS:
        cls = VARIANT_CLASSES.get((msg_type, variant)) if variant else PLAN_TYPES.get(msg_type)
        plan_names: set[str] = set() if cls is None else {p[0] for p in cls.decoder_plan()}
        extra: set[str] = set() if cls is None else set(cls.__slots__) - plan_names
        ok = cls is not None and extra <= DERIVED_FIELDS
        _PLANS[key] = _compile(cls, nbits) if ok and cls is not None else None
    return _PLANS[key]
