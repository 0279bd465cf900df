"""Replay a columnar archive through the live detector in time order (statics interleaved by time)."""

from __future__ import annotations

from typing import Any

import polars as pl

from seawatch.detect.bulk import sort_events
from seawatch.detect.context import DetectContext
from seawatch.detect.jumps import sigma_column
from seawatch.detect.live import LiveDetector
from seawatch.model.event import Event
from seawatch.model.observation import AisStatic

_COLUMNS = ("t", "mmsi", "lat", "lon", "sog_kn", "track_id", "sensor", "sigma_m")


def _static(row: dict[str, Any]) -> AisStatic:
    return AisStatic(
        mmsi=int(row["mmsi"]),
        msg_type=5,
        shipname=row.get("shipname"),
        callsign=row.get("callsign"),
        imo=row.get("imo"),
        ship_type=row.get("ship_type"),
        source=row.get("source") or "",
    )


def keep_latest(latest: dict[str, Event], event: Event) -> None:
    """Keep an event's last version by id; the events it supersedes are gone."""
    for gone in event.supersedes:
        latest.pop(gone, None)
    latest[event.event_id] = event


def replay_live(
    positions: pl.DataFrame, statics: pl.DataFrame | None, ctx: DetectContext
) -> tuple[list[Event], dict[str, int]]:
    """The last version of every event the live detector emits, and its track-building counts.

    A static report is observed before the positions at or after its time (unknown time: first).
    """
    detector = LiveDetector(ctx)
    latest: dict[str, Event] = {}
    pos = positions.sort("t", nulls_last=True, maintain_order=True)
    pos = pos.with_columns(sigma_column(pos))
    pos = pos.select([pl.col(c) if c in pos.columns else pl.lit(None).alias(c) for c in _COLUMNS])
    st_rows: list[dict[str, Any]] = []
    if statics is not None and statics.height:
        st_rows = list(
            statics.filter(pl.col("mmsi").is_not_null()).sort("t", nulls_last=False).iter_rows(named=True)
        )
    si = 0
    for t, mmsi, lat, lon, sog, track_id, sensor, sigma in pos.iter_rows():
        while si < len(st_rows) and (st_rows[si]["t"] is None or (t is not None and st_rows[si]["t"] <= t)):
            detector.observe_static(_static(st_rows[si]))
            si += 1
        for event in detector.observe_values(
            t, mmsi, lat, lon, sog, track_id, (sensor or "ais") == "ais", sigma
        ):
            keep_latest(latest, event)
    for event in detector.flush():
        keep_latest(latest, event)
    counts = detector.counts
    counts["tracks"] = len(detector.builder.tracks)
    return sort_events(list(latest.values())), counts
