"""Building events the same way in the bulk and live forms (rounding included, so both agree)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from seawatch.model.event import Event
from seawatch.timeutil import utc_from_epoch


def clean(value: Any) -> Any:
    """JSON-safe detail values: floats rounded (metres/knots/seconds to 0.001), NaN/inf as None."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return round(value, 3) if math.isfinite(value) else None
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 3)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return clean(value.item())
    return value


def _clean_dict(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        kind = type(value)
        if kind is float:
            out[key] = round(value, 3) if math.isfinite(value) else None
        elif kind is str or kind is int or kind is bool or value is None:
            out[key] = value
        else:
            out[key] = clean(value)
    return out


def median(values: Sequence[float]) -> float:
    """The median as numpy computes it (mean of the two middle values), for the short lists of one event
    (pure Python: numpy's per-call overhead dominates at this size); NaN when any value is NaN."""
    ordered = sorted(values)
    n = len(ordered)
    total = sum(ordered)  # NaN when a value is NaN (or +inf and -inf meet: then look closer)
    if n == 0 or (total != total and any(v != v for v in ordered)):
        return math.nan
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (float(ordered[mid - 1]) + float(ordered[mid])) / 2.0


def make_event(
    kind: str,
    mmsis: tuple[int, ...] | list[int],
    start_s: float,
    end_s: float,
    lat: float,
    lon: float,
    details: dict[str, Any],
    params: dict[str, Any],
    track_ids: tuple[str | None, ...] = (),
) -> Event:
    return Event(
        type=kind,
        mmsi=tuple([int(m) for m in mmsis if m is not None and m >= 0]),
        start=utc_from_epoch(float(start_s)),
        end=utc_from_epoch(float(end_s)),
        lat=float(lat),
        lon=float(lon),
        details=_clean_dict(details),
        params=params,  # DetectContext.params is JSON-safe already
        track_ids=tuple([t for t in track_ids if t is not None]),
    )
