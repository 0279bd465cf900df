"""`LiveIndex`: the live picture as parallel arrays, updated in place at each commit.

A bbox query is one vectorised mask over the arrays and a join of the tracks' pre-encoded GeoJSON
features, so it costs the same at 50,000 tracks whether or not the picture just changed.
"""

from __future__ import annotations

import numpy as np

from seawatch.store.base import TrackState

BBox = tuple[float, float, float, float]


class LiveIndex:
    def __init__(self, capacity: int = 1024) -> None:
        self._row: dict[str, int] = {}
        self.states: list[TrackState | None] = []
        self.features: list[bytes] = []
        self._lon = np.zeros(capacity)
        self._lat = np.zeros(capacity)
        self._t = np.full(capacity, -np.inf)

    def __len__(self) -> int:
        return len(self._row)

    def upsert(self, state: TrackState, feature: bytes) -> None:
        row = self._row.get(state.track_id)
        if row is None:
            row = len(self.states)
            if row >= len(self._t):
                grow = len(self._t)
                self._lon = np.concatenate([self._lon, np.zeros(grow)])
                self._lat = np.concatenate([self._lat, np.zeros(grow)])
                self._t = np.concatenate([self._t, np.full(grow, -np.inf)])
            self._row[state.track_id] = row
            self.states.append(state)
            self.features.append(feature)
        else:
            self.states[row] = state
            self.features[row] = feature
        self._lon[row] = state.lon
        self._lat[row] = state.lat
        self._t[row] = state.time.timestamp()

    def remove(self, track_id: str) -> None:
        row = self._row.pop(track_id, None)
        if row is not None:
            self._t[row] = -np.inf  # the row stays, never matches again
            self.states[row] = None

    def rows(self, bbox: BBox | None, min_time_s: float) -> np.ndarray:
        n = len(self.states)
        t, lon, lat = self._t[:n], self._lon[:n], self._lat[:n]
        mask = t >= min_time_s
        if bbox is not None:
            mask &= (lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3])
        return np.flatnonzero(mask)

    def query_states(self, bbox: BBox | None, min_time_s: float) -> list[TrackState]:
        states = self.states
        return [s for s in (states[i] for i in self.rows(bbox, min_time_s).tolist()) if s is not None]

    def query_features(self, bbox: BBox | None, min_time_s: float) -> list[bytes]:
        features = self.features
        return [features[i] for i in self.rows(bbox, min_time_s).tolist()]
