"""Satellite SAR passes: vessels inside a scene footprint at the pass time are detected with probability
`detection_probability` (halved below 15 m: small boats are hard to see), with position, length and
heading noise, plus `false_alarms` detections at sea. Output: the generic detection CSV and GeoJSON of
docs/INTERFACES.md, and the scene footprints (sar_scenes.geojson)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from seawatch.sim.geodata import SimGeo, destination
from seawatch.sim.scenario import Scenario
from seawatch.sim.vessel import SimVessel
from seawatch.timeutil import iso_utc

SAR_COLUMNS = ("detection_id", "scene_id", "time", "lat", "lon", "length_m", "heading_deg", "confidence")


def simulate_sar(
    sc: Scenario, vessels: list[SimVessel], geo: SimGeo, rng: np.random.Generator
) -> pl.DataFrame:
    """All detections; columns SAR_COLUMNS plus `t` (epoch s) and `vid` (null for false alarms)."""
    rows: list[dict[str, Any]] = []
    for scene in sc.sar_passes:
        t = sc.start_epoch_s + scene.start_h * 3600.0
        lon0, lat0, lon1, lat1 = scene.area
        k = 0
        for v in vessels:
            st = v.states_at(np.array([t]))
            lon, lat = float(st.lon[0]), float(st.lat[0])
            if not (st.present[0] and lon0 <= lon <= lon1 and lat0 <= lat <= lat1):
                continue
            pd = scene.detection_probability * (0.5 if v.identity.length_m < 15 else 1.0)
            if rng.random() >= pd:
                continue
            d_lon, d_lat = destination(
                lon, lat, float(rng.uniform(0, 360)), abs(float(rng.normal(0, scene.position_sigma_m)))
            )
            k += 1
            rows.append(
                {
                    "detection_id": f"{scene.scene_id}-{k:04d}",
                    "scene_id": scene.scene_id,
                    "time": iso_utc(t),
                    "lat": round(d_lat, 6),
                    "lon": round(d_lon, 6),
                    "length_m": round(max(3.0, v.identity.length_m * (1 + rng.normal(0, 0.15))), 1),
                    "heading_deg": round((float(st.cog_deg[0]) + rng.normal(0, 8)) % 360.0, 1),
                    "confidence": round(float(rng.uniform(0.6, 0.99)), 2),
                    "t": t,
                    "vid": v.vid,
                }
            )
        for _ in range(scene.false_alarms):
            for _try in range(20):
                f_lon, f_lat = float(rng.uniform(lon0, lon1)), float(rng.uniform(lat0, lat1))
                if not geo.on_land(np.array([f_lon]), np.array([f_lat]))[0]:
                    break
            k += 1
            rows.append(
                {
                    "detection_id": f"{scene.scene_id}-{k:04d}",
                    "scene_id": scene.scene_id,
                    "time": iso_utc(t),
                    "lat": round(f_lat, 6),
                    "lon": round(f_lon, 6),
                    "length_m": round(float(rng.uniform(5, 40)), 1),
                    "heading_deg": round(float(rng.uniform(0, 360)), 1),
                    "confidence": round(float(rng.uniform(0.3, 0.6)), 2),
                    "t": t,
                    "vid": None,
                }
            )
    schema = {
        "detection_id": pl.Utf8,
        "scene_id": pl.Utf8,
        "time": pl.Utf8,
        "lat": pl.Float64,
        "lon": pl.Float64,
        "length_m": pl.Float64,
        "heading_deg": pl.Float64,
        "confidence": pl.Float64,
        "t": pl.Float64,
        "vid": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema)


def detections_geojson(frame: pl.DataFrame) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {k: row[k] for k in SAR_COLUMNS},
        }
        for row in frame.iter_rows(named=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def scenes_geojson(sc: Scenario) -> dict[str, Any]:
    features = []
    for scene in sc.sar_passes:
        lon0, lat0, lon1, lat1 = scene.area
        ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "scene_id": scene.scene_id,
                    "time": iso_utc(sc.start_epoch_s + scene.start_h * 3600.0),
                    "area_km2": round(
                        abs(lon1 - lon0)
                        * abs(lat1 - lat0)
                        * 111.32**2
                        * math.cos(math.radians((lat0 + lat1) / 2)),
                        1,
                    ),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
