"""`seawatch fuse INPUT... [--sensors FILE] [--config TOML] [--format jsonl|csv] [--events FILE]`.

Fuses AIS, radar and satellite inputs into one track per vessel and writes the fused track states,
one per kept observation in time order: `track_id, time, lat, lon` (filtered estimate), `sog_kn,
cog_deg` (estimate), `mmsi` (null for unidentified tracks), `sensor` (this observation's sensor kind),
`sensors` (every sensor that fed the track), `source`, `target_ref`, `dark`, `nearest_ais_m`.
Dark-target events go to `--events FILE` (JSON lines, the `seawatch detect` shape); a summary goes to
stderr. Radar sites come from `--sensors` and from any `sensors.toml` beside a radar input. With several
inputs, an AIS report heard by more than one receiver within 2 s is fused once (counted as duplicate).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

import polars as pl

from seawatch.errors import ConfigError
from seawatch.feeders.dedupe import drop_duplicate_rows
from seawatch.fusion.config import FusionConfig
from seawatch.fusion.pipeline import FusedResult, fuse_frame
from seawatch.sources.sensors import sensors_for_inputs
from seawatch.timeutil import iso_utc

QUICK_EXIT = True  # a batch command: see seawatch.cli
STATE_COLUMNS = (
    "track_id", "time", "lat", "lon", "sog_kn", "cog_deg", "mmsi", "sensor", "sensors", "source",
    "target_ref", "dark", "nearest_ais_m",
)  # fmt: skip


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("fuse", help="fuse AIS, radar and satellite inputs into tracks (dark targets)")
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="AIS NMEA/CSV, radar NMEA, satellite CSV/GeoJSON"
    )
    p.add_argument(
        "--sensors", type=Path, help="sensor-site TOML (radar sites); sensors.toml beside inputs too"
    )
    p.add_argument("--config", type=Path, help="TOML with a [fusion] table overriding FusionConfig")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--events", type=Path, help="write dark-target events here (JSON lines)")
    p.add_argument("--rejects", type=Path, help="write rejected lines here (JSON lines)")
    p.set_defaults(func=run)


def load_fusion_config(path: Path | None) -> FusionConfig:
    if path is None:
        return FusionConfig()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return FusionConfig.from_dict(dict(doc.get("fusion", {})), str(path))


def fuse_inputs(inputs: list[str], sensors: Path | None, config: FusionConfig) -> tuple[FusedResult, Any]:
    """Load inputs through the format registry (with the radar sites) and fuse them; an AIS report
    delivered twice within 2 s (two receivers, or one twice) is fused once (`loaded.counts["duplicate"]`)."""
    from seawatch.sources.inputs import load_inputs

    sites = sensors_for_inputs(inputs, sensors)
    loaded = load_inputs(inputs, sites)
    if sites.revisit_s():  # report intervals from the sites file, under any given in the config
        config = config.model_copy(update={"revisit_s": {**sites.revisit_s(), **config.revisit_s}})
    positions = loaded.positions
    positions, loaded.counts["duplicate"] = drop_duplicate_rows(positions)  # the node's rule (feeders)
    return fuse_frame(positions, config), loaded


def state_frame(result: FusedResult) -> pl.DataFrame:
    """The fused track states in their documented output columns."""
    t = result.tracks
    cols = [
        pl.col("track_id"),
        pl.col("t").alias("time"),
        pl.col("est_lat").alias("lat"),
        pl.col("est_lon").alias("lon"),
        pl.col("est_sog_kn").alias("sog_kn"),
        pl.col("est_cog_deg").alias("cog_deg"),
        pl.col("mmsi"),
        pl.col("sensor"),
        pl.col("track_sensors").alias("sensors"),
        pl.col("source"),
        (pl.col("target_ref") if "target_ref" in t.columns else pl.lit(None, pl.Utf8)).alias("target_ref"),
        pl.col("dark"),
        pl.col("nearest_ais_m"),
    ]
    return t.select(cols)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    return value


def run(args: argparse.Namespace) -> int:
    config = load_fusion_config(args.config)
    result, loaded = fuse_inputs(list(args.inputs), args.sensors, config)
    states = state_frame(result)
    out = sys.stdout
    if args.format == "csv":
        states.with_columns(
            pl.col("time").map_elements(iso_utc, return_dtype=pl.Utf8), pl.col("sensors")
        ).write_csv(out)
    else:
        for row in states.iter_rows(named=True):
            row["time"] = iso_utc(row["time"])
            out.write(json.dumps({k: _clean(v) for k, v in row.items()}) + "\n")
    if args.events:
        with args.events.open("w", encoding="utf-8") as fh:
            for ev in result.events:
                fh.write(json.dumps(ev.to_json()) + "\n")
    if args.rejects:
        with args.rejects.open("w", encoding="utf-8") as fh:
            for r in loaded.rejects:
                fh.write(
                    json.dumps({"raw": r.raw, "reason": r.reason, "source": r.source, "line": r.line_no})
                    + "\n"
                )
    n_tracks = result.counts.get("tracks", 0)
    print(
        f"fused {states.height} states into {n_tracks} tracks; {len(result.events)} dark targets; "
        f"{len(loaded.rejects)} rejected; {loaded.counts.get('duplicate', 0)} duplicate reports",
        file=sys.stderr,
    )
    return 0
