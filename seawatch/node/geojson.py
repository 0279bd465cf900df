"""GeoJSON forms of track states (the API's and the live WebSocket's one shape)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seawatch.store.base import PositionRow, TrackState
from seawatch.timeutil import iso_utc


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def track_feature(s: TrackState) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": s.track_id,
        "geometry": {"type": "Point", "coordinates": [round(s.lon, 6), round(s.lat, 6)]},
        "properties": {
            "track_id": s.track_id,
            "mmsi": s.mmsi,
            "name": s.name,
            "ship_type": s.ship_type,
            "sources": list(s.sources),
            "sensors": list(s.sensors),
            "nodes": list(s.nodes),
            "dark": s.dark,
            "sog_kn": _r(s.sog_kn, 2),
            "cog_deg": _r(s.cog_deg, 1),
            "heading_deg": _r(s.heading_deg, 1),
            "time": iso_utc(s.time),
            "pos_sigma_m": _r(s.pos_sigma_m, 1),
            "vel_sigma_mps": _r(s.vel_sigma_mps, 2),
        },
    }


def feature_collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def history_feature(track_id: str, rows: list[PositionRow]) -> dict[str, Any]:
    """A LineString of the positions with per-vertex times and speeds in the properties."""
    return {
        "type": "Feature",
        "id": track_id,
        "geometry": {"type": "LineString", "coordinates": [[round(p.lon, 6), round(p.lat, 6)] for p in rows]},
        "properties": {
            "track_id": track_id,
            "times": [iso_utc(p.t) for p in rows],
            "sog_kn": [_r(p.sog_kn, 2) for p in rows],
            "sensors": [p.sensor for p in rows],
            "nodes": sorted({p.node for p in rows}),
            "count": len(rows),
        },
    }
