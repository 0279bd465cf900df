"""Time helpers: everything is tz-aware UTC; arrays carry epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_from_epoch(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=UTC)


def iso_utc(value: datetime | float | int) -> str:
    """ISO 8601 UTC with a trailing Z; sub-second precision only when present."""
    if isinstance(value, int | float):
        dt = utc_from_epoch(float(value))
    else:  # most datetimes here are UTC already (events, observations): no conversion then
        dt = value if value.tzinfo is UTC else value.astimezone(UTC)
    text = dt.isoformat(timespec="milliseconds" if dt.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """Parse ISO 8601; a naive time is taken as UTC (AIS archives are UTC by definition)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
