"""The case list's filters, checked once for every caller (`GET /api/cases`, `seawatch case list`):
`case_query(...)` turns what a user typed into a `store.cases.CaseQuery`, or raises `CaseFieldError`
naming the field (the API answers 422, the command exits 1 with the message). Each refusal carries a
stable code and its values (`kind`, `ctx`: the 422's `errors[0].type` / `.ctx`) so the page words it in
its reader's language: `literal_error` {expected} (status), `not_iso_time` {value} (a time),
`empty_window` {after, before} (a window that ends before it starts), `string_too_long` {max_length},
`not_mmsi` {value} (digits that are not a 9-digit MMSI), `vessel_too_short` {min_length} (a name),
`greater_than_equal` {ge} / `less_than_equal` {le} (limit).

- `status`: statuses, comma-separated or several (`open`, `monitoring`, `interdiction`, `closed`);
- `text`: in the id, title, summary, a note or a link's label;
- `opened_after` / `opened_before` / `updated_after` / `updated_before`: ISO 8601 times (UTC when
  naive), a window on when the case was opened or last changed; a window that ends before it starts
  is refused;
- `vessel`: a 9-digit MMSI (the case links that vessel: its track, an event or a sighting of it) or at
  least two characters of a vessel's name (a link's label or the vessel's name the node knows);
- `track`, `event`, `asset`: the case links that track, event or patrol asset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from seawatch.cases.model import STATUSES
from seawatch.cases.service import CaseFieldError
from seawatch.store.cases import CaseQuery
from seawatch.timeutil import parse_utc

MAX_TEXT = 100
MAX_REF = 200
MAX_LIMIT = 1000
_MMSI = re.compile(r"^\d{9}$")


def _statuses(given: Iterable[str] | str | None) -> tuple[str, ...]:
    parts = [given] if isinstance(given, str) else list(given or ())
    found = tuple(dict.fromkeys(s.strip() for p in parts for s in p.split(",") if s.strip()))
    bad = [s for s in found if s not in STATUSES]
    if bad:
        raise CaseFieldError(
            "status",
            f"unknown status {', '.join(bad)}: use {', '.join(STATUSES)}",
            "literal_error",
            {"expected": ", ".join(STATUSES)},
        )
    return found


def _time(field: str, value: str | datetime | None) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return parse_utc(value.isoformat()).timestamp()
    try:
        return parse_utc(value.strip()).timestamp()
    except ValueError:
        raise CaseFieldError(
            field,
            f"{value!r} is not an ISO 8601 time (e.g. 2026-12-07T09:30Z)",
            "not_iso_time",
            {"value": str(value)[:40]},
        ) from None


def _window(name: str, start: float | None, end: float | None) -> None:
    if start is not None and end is not None and end < start:
        raise CaseFieldError(
            f"{name}_before",
            f"ends before {name}_after: an empty window",
            "empty_window",
            {"after": f"{name}_after", "before": f"{name}_before"},
        )


def _text(field: str, value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise CaseFieldError(
            field, f"{len(text)} characters, at most {limit}", "string_too_long", {"max_length": limit}
        )
    return text or None


def _vessel(value: str | None) -> tuple[int | None, str | None]:
    text = _text("vessel", value, MAX_TEXT)
    if text is None:
        return None, None
    if text.isdigit():
        if not _MMSI.match(text) or int(text) < 100_000_000:
            raise CaseFieldError(
                "vessel",
                f"{text!r}: an MMSI has 9 digits (or give a vessel's name)",
                "not_mmsi",
                {"value": text},
            )
        return int(text), None
    if len(text) < 2:
        raise CaseFieldError(
            "vessel", "a vessel's name: at least 2 characters", "vessel_too_short", {"min_length": 2}
        )
    return None, text


def case_query(
    *,
    status: Iterable[str] | str | None = None,
    text: str | None = None,
    opened_after: str | datetime | None = None,
    opened_before: str | datetime | None = None,
    updated_after: str | datetime | None = None,
    updated_before: str | datetime | None = None,
    vessel: str | None = None,
    track: str | None = None,
    event: str | None = None,
    asset: str | None = None,
    limit: int = 200,
) -> CaseQuery:
    """The checked query (see the module's text); raises `CaseFieldError` naming the first bad field."""
    times = {
        name: _time(name, value)
        for name, value in (
            ("opened_after", opened_after),
            ("opened_before", opened_before),
            ("updated_after", updated_after),
            ("updated_before", updated_before),
        )
    }
    _window("opened", times["opened_after"], times["opened_before"])
    _window("updated", times["updated_after"], times["updated_before"])
    mmsi, name = _vessel(vessel)
    links = tuple(
        (kind, ref)
        for kind, ref in (
            ("track", _text("track", track, MAX_REF)),
            ("event", _text("event", event, MAX_REF)),
            ("asset", _text("asset", asset, MAX_REF)),
        )
        if ref
    )
    if limit < 1:
        raise CaseFieldError("limit", f"1 to {MAX_LIMIT}", "greater_than_equal", {"ge": 1})
    if limit > MAX_LIMIT:
        raise CaseFieldError("limit", f"1 to {MAX_LIMIT}", "less_than_equal", {"le": MAX_LIMIT})
    return CaseQuery(
        statuses=_statuses(status),
        text=_text("q", text, MAX_TEXT),
        opened_after=times["opened_after"],
        opened_before=times["opened_before"],
        updated_after=times["updated_after"],
        updated_before=times["updated_before"],
        mmsi=mmsi,
        vessel_name=name,
        links=links,
        limit=limit,
    )
