"""Write a simulation to a folder, in the formats real sensors give (docs/INTERFACES.md):

| file | content |
|---|---|
| `ais.nmea` | AIS as received: `\\s:<station>,c:<epoch>*hh\\!AIVDM,...` (time-ordered, all stations) |
| `radar.nmea` | radar targets: `\\s:<site>,c:<epoch>*hh\\$RATTM,...` / `$RATLL` |
| `sensors.toml` | `[[radar]]` site config (id, talker, lat, lon, range_m, bearing_sigma_deg, range_sigma_m) |
| `sar_detections.csv` / `.geojson` | generic satellite detections; `sar_scenes.geojson` footprints |
| `zones.geojson` | scenario zones (when any) |
| `watchlist.csv` | watched vessels, `seawatch detect --watchlist` format `kind,value,label` (when any) |
| `truth.jsonl` | ground-truth events, `Event.to_json()` per line |
| `states.parquet` | true 60 s states: t, vid, mmsi, lat, lon, sog_kn, cog_deg, ais_on, reported_lat/lon |
| `vessels.csv` | every simulated vessel's identity and role |
| `radar_truth.csv` | every radar contact with the vessel behind it (empty vid: clutter) |
| `manifest.json` | scenario, seed, counts, files |

Everything is deterministic for a given scenario and seed (no wall-clock time anywhere).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from seawatch.sim.engine import SimulationResult
from seawatch.sim.sar import SAR_COLUMNS, detections_geojson, scenes_geojson
from seawatch.sim.truth import truth_summary


def _json_dump(path: Path, obj: Any) -> None:
    path.write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def write_lines(path: Path, lines: list[str]) -> None:
    with path.open("w", encoding="ascii", newline="\n") as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def sensors_toml(result: SimulationResult) -> str:
    out = ["# Radar sites of the simulated scenario (read by seawatch detect / fuse --sensors)", ""]
    for r in result.scenario.radars:
        out += [
            "[[radar]]",
            f'id = "{r.id}"',
            f'talker = "{r.talker}"',
            f"lat = {r.lat}",
            f"lon = {r.lon}",
            f"range_m = {r.range_m}",
            f"bearing_sigma_deg = {r.bearing_sigma_deg}",
            f"range_sigma_m = {r.range_sigma_m}",
            f"report_interval_s = {r.report_interval_s}",
            "",
        ]
    return "\n".join(out)


def write_outputs(result: SimulationResult, out_dir: Path) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    sc = result.scenario
    _, ais_lines = result.ais_lines()
    _, radar_lines = result.radar_lines()
    write_lines(out_dir / "ais.nmea", ais_lines)
    files = ["ais.nmea"]
    if sc.radars:
        write_lines(out_dir / "radar.nmea", radar_lines)
        (out_dir / "sensors.toml").write_text(sensors_toml(result), encoding="utf-8")
        result.radar_contacts.write_csv(out_dir / "radar_truth.csv")
        files += ["radar.nmea", "sensors.toml", "radar_truth.csv"]
    if sc.sar_passes:
        result.sar.select(list(SAR_COLUMNS)).write_csv(out_dir / "sar_detections.csv")
        _json_dump(out_dir / "sar_detections.geojson", detections_geojson(result.sar))
        _json_dump(out_dir / "sar_scenes.geojson", scenes_geojson(sc))
        files += ["sar_detections.csv", "sar_detections.geojson", "sar_scenes.geojson"]
    if sc.zones:
        _json_dump(
            out_dir / "zones.geojson",
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": z.id,
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[list(p) for p in [*z.polygon, z.polygon[0]]]],
                        },
                        "properties": {"zone_id": z.id, "name": z.name or z.id, "kind": z.kind},
                    }
                    for z in sc.zones
                ],
            },
        )
        files.append("zones.geojson")
    watched = [v for v in result.vessels if v.watchlisted]
    if watched:
        with (out_dir / "watchlist.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["kind", "value", "label"])
            for v in watched:
                writer.writerow(["mmsi", v.mmsi, f"{v.identity.name} (exercise {sc.name}: {v.role})"])
        files.append("watchlist.csv")
    with (out_dir / "truth.jsonl").open("wb") as fh:
        for event in result.truth:
            fh.write(orjson.dumps(event.to_json()) + b"\n")
    result.grid.to_frame().write_parquet(out_dir / "states.parquet", statistics=False)
    pl.DataFrame(
        [
            {
                "vid": v.vid,
                "mmsi": v.mmsi,
                "name": v.identity.name,
                "callsign": v.identity.callsign,
                "imo": v.identity.imo,
                "category": v.category,
                "ship_type": v.identity.ship_type,
                "length_m": v.identity.length_m,
                "ais_class": v.identity.ais_class,
                "flag": v.identity.flag,
                "ais": v.ais,
                "watchlisted": v.watchlisted,
                "role": v.role,
            }
            for v in result.vessels
        ]
    ).write_csv(out_dir / "vessels.csv")
    files += ["truth.jsonl", "states.parquet", "vessels.csv"]
    manifest = {
        "scenario": sc.name,
        "seed": result.seed,
        "start": sc.start.isoformat().replace("+00:00", "Z"),
        "duration_h": sc.duration_h,
        "vessels": len(result.vessels),
        "ais_lines": len(ais_lines),
        "ais_garbage_lines": result.ais.garbage,
        "radar_lines": len(radar_lines),
        "sar_detections": result.sar.height,
        "truth_events": truth_summary(result.truth),
        "files": [*files, "manifest.json"],
    }
    _json_dump(out_dir / "manifest.json", manifest)
    return manifest
