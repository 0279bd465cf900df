"""Severity of each event: the `[severity]` config per type, then the overrides of the zones it is in.

`zone_entry` is an alert when the zone entered is of a watched kind; zone events take the severity
override of their own zone, every other event those of the zones its position lies in (the last zone
in the file wins, as for thresholds). Bulk and live call the same function, so both agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from seawatch.detect.context import DetectContext
from seawatch.model.event import Event
from seawatch.model.explain import explain
from seawatch.model.zone import ZONE_KIND_ALIASES

_ZONE_EVENTS = ("zone_entry", "zone_exit")


def severity_of(event: Event, ctx: DetectContext) -> str:
    cfg = ctx.config.severity
    level = cfg.of(event.type)
    overriding = ctx.severity_zones.get(event.type, [])
    if event.type in _ZONE_EVENTS:
        j = ctx.zone_position.get(str(event.details.get("zone_id")))
        zone = ctx.zones[j] if j is not None else None
        kind = ZONE_KIND_ALIASES.get(zone.kind, zone.kind) if zone is not None else None
        if event.type == "zone_entry" and kind in cfg.watched_zone_kinds:
            level = "alert"
        if zone is not None and j in overriding:
            level = zone.overrides["severity"][event.type]
        return level
    if overriding:
        inside = ctx.zone_index.zones_at(event.lon, event.lat)
        for j in overriding:  # file order: the last zone containing the event wins
            if j in inside:
                level = ctx.zones[j].overrides["severity"][event.type]
    return level


def with_severity(events: Iterable[Event], ctx: DetectContext) -> list[Event]:
    """The events with the severity the config and zones give them, and `details["why"]` (explain.py)."""
    out = []
    for event in events:
        level = severity_of(event, ctx)
        if "why" not in event.details:
            event.details["why"] = explain(event)  # details is a fresh dict per event (make_event)
        out.append(event if level == event.severity else dataclasses.replace(event, severity=level))
    return out
