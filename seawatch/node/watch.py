"""`WatchlistStage`: a `watchlist_hit` event when a watched MMSI is observed (grows while it is seen)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from seawatch.model import AisStatic, Event, Observation
from seawatch.model.zone import Zone

REFRESH_S = 60.0  # an ongoing hit is re-published at most this often (data time)
NEW_HIT_AFTER_S = 3600.0  # unseen this long, the next report starts a new hit


class WatchlistStage:
    """An `EventStage` keyed on MMSI only."""

    def __init__(self) -> None:
        self._watched: dict[int, dict[str, object]] = {}
        self._hits: dict[int, tuple[datetime, datetime]] = {}  # mmsi -> (start, last published end)

    def set_entries(self, entries: Iterable[dict[str, object]]) -> None:
        watched: dict[int, dict[str, object]] = {}
        for entry in entries:
            mmsi = entry.get("mmsi")
            if isinstance(mmsi, int):
                watched[mmsi] = entry
        self._watched = watched

    def observe_fix(self, obs: Observation, track_id: str | None) -> list[Event]:
        return self.observe(obs)

    def observe_static(self, static: AisStatic) -> None:
        pass

    def replace_zones(self, zones: Sequence[Zone]) -> None:
        pass

    def flush(self) -> list[Event]:
        return []

    def observe(self, obs: Observation) -> list[Event]:
        if obs.mmsi is None or obs.mmsi not in self._watched:
            return []
        hit = self._hits.get(obs.mmsi)
        if hit is not None and (obs.time - hit[1]).total_seconds() < REFRESH_S:
            return []
        fresh = hit is None or (obs.time - hit[1]).total_seconds() > NEW_HIT_AFTER_S
        start = obs.time if fresh or hit is None else hit[0]
        self._hits[obs.mmsi] = (start, obs.time)
        entry = self._watched[obs.mmsi]
        return [
            Event(
                type="watchlist_hit",
                mmsi=(obs.mmsi,),
                start=start,
                end=obs.time,
                lat=obs.lat,
                lon=obs.lon,
                details={
                    "watch_id": entry.get("id"),
                    "reason": entry.get("reason"),
                    "sensor": obs.sensor.value,
                },
                params={},
            )
        ]
