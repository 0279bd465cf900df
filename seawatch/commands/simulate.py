"""`seawatch simulate`: run an exercise scenario, write sensor files and ground truth, or stream it live."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from seawatch.errors import ConfigError

log = logging.getLogger(__name__)

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="simulate a scenario: AIS/radar/satellite files + truth.jsonl, or a live stream",
        description=(
            "Simulate an exercise scenario (shipped name or TOML file). With --out, writes ais.nmea, "
            "radar.nmea, sensors.toml, sar_detections.csv/.geojson, truth.jsonl, states.parquet... With "
            "--stream, sends AIS and radar lines live: '-' (stdout), tcp://host:port (serves clients that "
            "connect) or udp://host:port, paced by --speed."
        ),
    )
    p.add_argument("--scenario", help="shipped scenario name or path to a scenario TOML file")
    p.add_argument("--out", type=Path, help="output folder for the files")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument(
        "--speed", default=None, help="stream pacing: realtime or xN (default: as fast as possible)"
    )
    p.add_argument("--stream", default=None, metavar="TARGET", help="-, tcp://host:port or udp://host:port")
    p.add_argument("--list", action="store_true", help="list the shipped scenarios and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seawatch.sim.scenario import load_scenario, scenario_names

    if args.list:
        for name in scenario_names():
            sc = load_scenario(name, check_geo=False)
            print(f"{name:20s} {sc.duration_h:5.1f} h  {sc.description}")
        return 0
    if not args.scenario:
        raise ConfigError("--scenario is required (a shipped name, see --list, or a TOML file)")
    if not args.out and not args.stream:
        raise ConfigError("give --out DIR (files) and/or --stream TARGET (live)")
    scenario = load_scenario(args.scenario)
    if args.out:
        from seawatch.sim.engine import run_simulation
        from seawatch.sim.writers import write_outputs

        result = run_simulation(scenario, args.seed)
        manifest = write_outputs(result, args.out)
        summary = {
            k: manifest[k]
            for k in (
                "scenario",
                "seed",
                "vessels",
                "ais_lines",
                "radar_lines",
                "sar_detections",
                "truth_events",
            )
        }
        print(json.dumps(summary), file=sys.stderr)
    if args.stream:
        from seawatch.sim.stream import open_sink, parse_speed, stream_scenario

        speed = parse_speed(args.speed) if args.speed else None
        sent = stream_scenario(scenario, args.seed, open_sink(args.stream), speed)
        log.info("streamed %d lines", sent)
    return 0
