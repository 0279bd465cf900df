"""Dark targets: radar or satellite contacts with no AIS vessel within `dark_distance_m` (1,500 m).

A fusion decision (the tracker knows which AIS vessel is nearest): it lives here, since fusion never
imports detect (`tests/test_layers.py`).

A contact is dark when its track carried no AIS identity at that time and the nearest AIS vessel,
projected to the contact time by the tracker, is farther than the threshold (or there is none
reported within `ais_projection_max_s`). One event per fused track, growing while the track stays
dark (same `event_id`); a track later identified by AIS keeps its event, with `identified_mmsi` set.

The live form (`DarkTargetAccumulator.observe`) and the bulk form (`dark_target_events` over a fused
track frame) share the accumulator, so both give the same events on the same data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from seawatch.model.event import Event
from seawatch.model.explain import explain
from seawatch.model.thresholds import DARK_MIN_RADAR_CONTACTS
from seawatch.timeutil import utc_from_epoch

DEFAULT_DARK_DISTANCE_M = 1_500.0
DEFAULT_MIN_CONTACTS = {"radar": DARK_MIN_RADAR_CONTACTS}  # other sensor kinds: 1


@dataclass
class _DarkState:
    track_id: str
    start_t: float
    start_lat: float
    start_lon: float
    end_t: float = 0.0
    lat: float = 0.0
    lon: float = 0.0
    contacts: int = 0
    sensors: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    kind_counts: dict[str, int] = field(default_factory=dict)
    emitted: bool = False
    qualified_at: float | None = None  # data time at which it became an event (a live node raises it then)
    refs: list[str] = field(default_factory=list)
    nearest_ais_m: float | None = None
    nearest_ais_mmsi: int | None = None
    length_m: float | None = None
    max_sog_kn: float | None = None
    scene_ids: set[str] = field(default_factory=set)
    identified_mmsi: int | None = None


@dataclass
class DarkTargetAccumulator:
    """Per-track dark-contact state; `observe` returns the new or grown event, once the track has
    `min_contacts[sensor kind]` dark contacts of some kind (radar 3: no event from one stray plot)."""

    dark_distance_m: float = DEFAULT_DARK_DISTANCE_M
    params: dict[str, Any] = field(default_factory=dict)
    min_contacts: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIN_CONTACTS))
    _states: dict[str, _DarkState] = field(default_factory=dict)

    def is_dark(self, nearest_ais_m: float | None, identified: bool) -> bool:
        if identified:
            return False
        return (
            nearest_ais_m is None or not math.isfinite(nearest_ais_m) or nearest_ais_m > self.dark_distance_m
        )

    def observe(
        self,
        track_id: str,
        t: float,
        lat: float,
        lon: float,
        sensor_kind: str,
        sensor_id: str | None = None,
        target_ref: str | None = None,
        nearest_ais_m: float | None = None,
        nearest_ais_mmsi: int | None = None,
        length_m: float | None = None,
        sog_kn: float | None = None,
        scene_id: str | None = None,
    ) -> Event | None:
        """Record one dark contact of a track (the caller has checked `is_dark`); the event once due."""
        st = self._states.get(track_id)
        if st is None:
            st = self._states[track_id] = _DarkState(track_id, t, lat, lon)
        st.end_t, st.lat, st.lon = max(st.end_t, t), lat, lon
        st.contacts += 1
        st.kinds.add(sensor_kind)
        st.kind_counts[sensor_kind] = st.kind_counts.get(sensor_kind, 0) + 1
        if not st.emitted:
            st.emitted = any(n >= self.min_contacts.get(k, 1) for k, n in st.kind_counts.items())
            if st.emitted:
                st.qualified_at = st.end_t
        if sensor_id:
            st.sensors.add(sensor_id)
        if target_ref and target_ref not in st.refs and len(st.refs) < 20:
            st.refs.append(target_ref)
        if nearest_ais_m is not None and math.isfinite(nearest_ais_m):
            st.nearest_ais_m, st.nearest_ais_mmsi = float(nearest_ais_m), nearest_ais_mmsi or None
        if length_m is not None and math.isfinite(length_m):
            st.length_m = max(st.length_m or 0.0, float(length_m))
        if sog_kn is not None and math.isfinite(sog_kn):
            st.max_sog_kn = max(st.max_sog_kn or 0.0, float(sog_kn))
        if scene_id:
            st.scene_ids.add(scene_id)
        return self._event(st) if st.emitted else None

    def identify(self, track_id: str, mmsi: int) -> Event | None:
        """A dark track got an AIS identity: its event is updated (same id) with `identified_mmsi`."""
        st = self._states.get(track_id)
        if st is None:
            return None
        st.identified_mmsi = mmsi
        return self._event(st) if st.emitted else None

    def _event(self, st: _DarkState) -> Event:
        details: dict[str, Any] = {
            "sensor": ",".join(sorted(st.kinds)),
            "sensors": sorted(st.sensors),
            "contacts": st.contacts,
            "distance_to_nearest_ais_m": None if st.nearest_ais_m is None else round(st.nearest_ais_m, 1),
            "nearest_ais_mmsi": st.nearest_ais_mmsi,
            "length_m": st.length_m,
            "max_sog_kn": None if st.max_sog_kn is None else round(st.max_sog_kn, 2),
            "start_lat": round(st.start_lat, 6),
            "start_lon": round(st.start_lon, 6),
            "end_lat": round(st.lat, 6),
            "end_lon": round(st.lon, 6),
            "target_refs": list(st.refs),
            "qualified_at_s": st.qualified_at,
        }
        if st.scene_ids:
            details["scene_ids"] = sorted(st.scene_ids)
        if st.identified_mmsi is not None:
            details["identified_mmsi"] = st.identified_mmsi
        event = Event(
            type="dark_target",
            mmsi=(),
            start=utc_from_epoch(st.start_t),
            end=utc_from_epoch(st.end_t),
            lat=st.start_lat,  # every event's position is where it started (docs/INTERFACES.md)
            lon=st.start_lon,
            details=details,
            params={"dark_distance_m": self.dark_distance_m, **self.params},
            track_ids=(st.track_id,),
        )
        details["why"] = explain(event)
        return event


def _opt(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def dark_target_events(
    tracks: pl.DataFrame,
    dark_distance_m: float = DEFAULT_DARK_DISTANCE_M,
    params: dict[str, Any] | None = None,
    min_contacts: dict[str, int] | None = None,
) -> list[Event]:
    """Bulk form over a fused track frame (from `fuse_frame`): columns `t, lat, lon, sensor, track_id,
    nearest_ais_m, identified_at_contact` (+ optional `station, target_ref, nearest_ais_mmsi, length_m,
    sog_kn, scene_id, mmsi`). Rows must be in time order."""
    acc = DarkTargetAccumulator(
        dark_distance_m,
        dict(params or {}),
        dict(DEFAULT_MIN_CONTACTS if min_contacts is None else min_contacts),
    )
    if tracks.is_empty():
        return []
    contacts = tracks.filter((pl.col("sensor") != "ais") & pl.col("track_id").is_not_null())
    events: dict[str, Event] = {}
    for row in contacts.sort("t", maintain_order=True).iter_rows(named=True):
        near = _opt(row, "nearest_ais_m")
        if not acc.is_dark(near, bool(row.get("identified_at_contact"))):
            continue
        ev = acc.observe(
            row["track_id"],
            row["t"],
            row["lat"],
            row["lon"],
            row["sensor"],
            sensor_id=_opt(row, "station"),
            target_ref=_opt(row, "target_ref"),
            nearest_ais_m=near,
            nearest_ais_mmsi=_opt(row, "nearest_ais_mmsi"),
            length_m=_opt(row, "length_m"),
            sog_kn=_opt(row, "sog_kn"),
            scene_id=_opt(row, "scene_id"),
        )
        if ev is not None:
            events[row["track_id"]] = ev
    if "mmsi" in contacts.columns:
        final = contacts.filter(pl.col("mmsi").is_not_null()).group_by("track_id").agg(pl.col("mmsi").last())
        for track_id, mmsi in final.iter_rows():
            if track_id in events:
                updated = acc.identify(track_id, int(mmsi))
                if updated is not None:
                    events[track_id] = updated
    return sorted(events.values(), key=lambda e: (e.start, e.track_ids))
