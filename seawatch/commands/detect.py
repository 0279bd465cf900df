"""`seawatch detect INPUT... [--zones GEOJSON] [--ports FILE] [--watchlist FILE] [--config TOML]
[--format jsonl] [--print-config] [--live]`: batch event detection.

Writes one JSON object per event to stdout (JSON Lines, the shape of `Event.to_json()`): `id`, `type`,
`mmsi` (a list; two entries for encounters and rendezvous), `start`, `end` (ISO 8601 UTC), `lat`,
`lon`, `details` (type-specific: distance, duration, median speed, zone or port name...), `params`
(the thresholds that fired it), `track_ids` (fused tracks only). Events are sorted by start time.
A summary of events by type, fixes used and flagged, rejected input lines and duplicate reports goes to
stderr. With several inputs (receivers), an AIS report heard by more than one within 2 s is one
observation (`feeders/dedupe.py`; counted as duplicate reports).

Inputs: AIS NMEA (tag-block times), AIS CSV (MarineCadastre or generic), radar NMEA and satellite
detections (fused into tracks first when the fusion engine is installed). Zones default to the bundled
Caribbean territorial waters (© OpenStreetMap contributors, ODbL); ports to the World Port Index.
`--live` runs the same definitions through the incremental detector (time-ordered replay) instead of
the vectorised bulk path; both give the same events.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seawatch.errors import InputError
from seawatch.model.severity import SEVERITIES

# the engine (polars, numpy, shapely, scipy) is imported by `run`, not here: `--help` stays instant
if TYPE_CHECKING:
    import polars as pl

    from seawatch.detect.config import DetectConfig
    from seawatch.detect.context import DetectContext
    from seawatch.model.event import Event

log = logging.getLogger(__name__)

QUICK_EXIT = True  # a batch command: see seawatch.cli
CONTACT_SENSORS = ("radar", "satellite")
PROGRESS_MIN_BYTES = 5_000_000


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="detect events (gaps, encounters, loitering, zones, go-fast...) in AIS/radar/satellite inputs",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="input files (plain or .gz), - for stdin")
    parser.add_argument("--zones", type=Path, metavar="GEOJSON", help="zones (Polygon/MultiPolygon features)")
    parser.add_argument(
        "--no-default-zones", action="store_true", help="without --zones, use no zones at all"
    )
    parser.add_argument("--ports", type=Path, metavar="FILE", help="ports CSV/GeoJSON (default: WPI)")
    parser.add_argument("--watchlist", type=Path, metavar="FILE", help="watchlist CSV: kind,value[,label]")
    parser.add_argument("--config", type=Path, metavar="TOML", help="thresholds over the defaults")
    parser.add_argument("--sensors", type=Path, metavar="FILE", help="radar sites TOML (for radar inputs)")
    parser.add_argument("--format", choices=("jsonl",), default="jsonl", help="output format (jsonl)")
    parser.add_argument("--print-config", action="store_true", help="print the thresholds in force and exit")
    parser.add_argument("--live", action="store_true", help="use the live (incremental) detector")
    parser.set_defaults(func=run)


def fuse_contacts(
    positions: pl.DataFrame, counts: Counter[str], revisit_s: dict[str, float] | None = None
) -> tuple[pl.DataFrame, list[Event]]:
    """Turn radar / satellite rows into tracks before detection: with any such row, every row (AIS
    included) goes through `fusion.pipeline.fuse_frame` and detection runs on the fused tracks
    (`track_id` set; AIS tracks keep their MMSI), with its `dark_target` events added.
    """
    import polars as pl

    sensor = pl.col("sensor").fill_null("ais")
    contacts = positions.filter(sensor.is_in(CONTACT_SENSORS))
    if contacts.height == 0:
        return positions, []
    from seawatch.fusion.config import FusionConfig
    from seawatch.fusion.pipeline import fuse_frame

    # each radar's report interval from its sites file (sensors.toml) when given; else it is learned
    result = fuse_frame(positions, FusionConfig(revisit_s=dict(revisit_s or {})))
    tracks = result.tracks
    cols = tracks.columns
    # positions: the filtered estimate (radar noise smoothed); speed: what the sensor reported (AIS SOG,
    # a radar's TTM speed), which fuse_frame fills with the estimate only where nothing was reported
    coalesce = [
        pl.coalesce([pl.col(est), pl.col(raw)]).alias(raw)
        for est, raw in (("est_lat", "lat"), ("est_lon", "lon"))
        if est in cols and raw in cols
    ]
    if coalesce:
        tracks = tracks.with_columns(coalesce)
    for key, value in result.counts.items():
        counts[f"fusion:{key}"] += value
    return tracks, list(result.events)


def _load(args: argparse.Namespace, counts: Counter[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    from seawatch.sources.inputs import load_inputs
    from seawatch.sources.sensors import sensors_for_inputs

    sensors = sensors_for_inputs(args.inputs, args.sensors)
    args.revisit_s = sensors.revisit_s()
    loaded = load_inputs(args.inputs, sensors)
    positions = loaded.positions
    # a report delivered twice within 2 s (two receivers, or one twice) is one observation, as in the node
    from seawatch.feeders.dedupe import drop_duplicate_rows

    positions, counts["duplicate"] = drop_duplicate_rows(positions)
    counts["input_rows"] += positions.height
    counts["rejected_lines"] += len(loaded.rejects)
    for r in loaded.rejects[:5]:
        log.info("rejected %s:%s: %s", r.source, r.line_no, r.reason)
    return positions, loaded.statics


def _progress(args: argparse.Namespace) -> AbstractContextManager[Any]:
    big = sum(Path(p).stat().st_size for p in args.inputs if p != "-" and Path(p).is_file())
    if not sys.stderr.isatty() or big < PROGRESS_MIN_BYTES:
        return nullcontext(None)
    from rich.console import Console

    return Console(stderr=True).status("loading inputs...")


def build_context(args: argparse.Namespace, config: DetectConfig) -> DetectContext:
    from seawatch.detect.context import DetectContext
    from seawatch.detect.watchlist import Watchlist
    from seawatch.geo.ports import load_ports
    from seawatch.geo.zones import default_zones, load_zones

    if args.zones is not None:
        zones = load_zones(args.zones)
    else:
        zones = [] if args.no_default_zones else list(default_zones())
    ports = load_ports(args.ports) if args.ports is not None else None
    watchlist = Watchlist.from_file(args.watchlist) if args.watchlist is not None else Watchlist()
    return DetectContext(config=config, zones=zones, ports=ports, watchlist=watchlist, now_s=time.time())


def run(args: argparse.Namespace) -> int:
    from seawatch.detect.config import DetectConfig

    config = DetectConfig.from_file(args.config) if args.config is not None else DetectConfig.defaults()
    if args.print_config:
        sys.stdout.write(config.to_toml())
        return 0
    if not args.inputs:
        raise InputError("no input given (seawatch detect INPUT...; - reads stdin)")
    import orjson

    from seawatch.detect.bulk import run_bulk, sort_events

    ctx = build_context(args, config)
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    with _progress(args) as status:
        positions, statics = _load(args, counts)
        if status is not None:
            status.update(f"fusing / detecting over {positions.height:,} rows...")
        positions, fused_events = fuse_contacts(positions, counts, getattr(args, "revisit_s", None))
        if args.live:
            from seawatch.detect.replay import replay_live

            events, track_counts = replay_live(positions, statics, ctx)
        else:
            result = run_bulk(positions, statics, ctx)
            events, track_counts = result.events, result.counts
    from seawatch.detect.severity import with_severity

    events = sort_events(events + with_severity(fused_events, ctx))
    out = sys.stdout.buffer
    for event in events:
        out.write(orjson.dumps(event.to_json(), option=orjson.OPT_APPEND_NEWLINE))
    out.flush()
    _summary(events, counts, track_counts, time.perf_counter() - started)
    return 0


def _summary(
    events: list[Event], counts: Counter[str], track_counts: dict[str, int], elapsed_s: float
) -> None:
    by_type = Counter(e.type for e in events)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) or "none"
    by_severity = Counter(e.severity for e in events)
    levels = ", ".join(f"{by_severity[s]} {s}" for s in SEVERITIES)
    flagged = {k: v for k, v in track_counts.items() if k not in ("used", "tracks")}
    flagged_text = ", ".join(f"{k} {v}" for k, v in sorted(flagged.items())) or "none"
    extra = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k.startswith(("rejected:", "fusion:")))
    print(
        f"{len(events)} events ({kinds}) = {levels}; {counts['input_rows']} rows,"
        f" {track_counts.get('used', 0)} fixes used in {track_counts.get('tracks', 0) or 'n/a'} tracks;"
        f" flagged: {flagged_text};"
        f" rejected input lines: {counts['rejected_lines']}; duplicate reports: {counts['duplicate']}"
        f"{'; ' + extra if extra else ''};"
        f" {elapsed_s:.1f} s",
        file=sys.stderr,
    )
