"""Benchmark: simulate 24 h of 2,000 vessels with 3 coastal radars (and 6 AIS receivers, one SAR pass),
write every file, and report wall time, speed-up over real time and output size.

Usage: .venv/bin/python -m bench.sim.run [--vessels 2000] [--hours 24] [--record]
`--record` replaces the `## sim` section of bench/RESULTS.md with the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from seawatch.sim.engine import run_simulation
from seawatch.sim.geodata import sim_geo
from seawatch.sim.scenario import parse_scenario
from seawatch.sim.writers import write_outputs

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"


def bench_scenario(vessels: int, hours: float) -> dict[str, Any]:
    receivers = [
        ("AW", 12.52, -69.99),
        ("CW", 12.33, -69.13),
        ("BQ", 12.27, -68.38),
        ("DO", 18.45, -69.90),
        ("PR", 18.46, -66.10),
        ("JM", 17.95, -76.80),
    ]
    return {
        "name": "bench-2000",
        "start": "2026-06-30T00:00:00Z",
        "duration_h": hours,
        "seed": 1,
        "area": [-80.0, 9.0, -60.0, 20.0],
        "ais": {
            "min_report_interval_s": 30.0,
            "receivers": [{"id": i, "lat": la, "lon": lo, "range_m": 90000} for i, la, lo in receivers],
        },
        "radars": [
            {"id": "R-CW", "lat": 12.33, "lon": -69.13, "range_m": 60000},
            {"id": "R-PR", "lat": 18.46, "lon": -66.10, "range_m": 60000, "sentence": "TLL"},
            {"id": "R-DO", "lat": 18.45, "lon": -69.90, "range_m": 60000},
        ],
        "sar_passes": [{"scene_id": "BENCH-SAR", "start_h": 6.0, "area": [-70.5, 11.5, -68.0, 13.5]}],
        "traffic": {"vessels": vessels, "anchored": vessels // 20, "moored": vessels // 10},
    }


def _dir_size(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir())}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vessels", type=int, default=2000)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    sim_geo()  # land and ports load once per process; not part of the simulation's cost
    scenario = parse_scenario(bench_scenario(args.vessels, args.hours), "bench")
    out = Path(tempfile.mkdtemp(prefix="seawatch-bench-sim-"))
    prof = cProfile.Profile() if args.profile else None
    proc = psutil.Process()
    try:
        t0 = time.perf_counter()
        c0 = time.process_time()
        if prof:
            prof.enable()
        result = run_simulation(scenario)
        t1 = time.perf_counter()
        manifest = write_outputs(result, out)
        t2 = time.perf_counter()
        cpu = time.process_time() - c0
        if prof:
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        sizes = _dir_size(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    wall = t2 - t0
    sim_s = args.hours * 3600.0
    figures = {
        "vessels": len(result.vessels),
        "hours": args.hours,
        "simulate_s": round(t1 - t0, 1),
        "write_s": round(t2 - t1, 1),
        "wall_s": round(wall, 1),
        "x_realtime": round(sim_s / wall),
        "cpu_s": round(cpu, 1),
        "x_realtime_cpu": round(sim_s / cpu),
        "ais_lines": manifest["ais_lines"],
        "radar_lines": manifest["radar_lines"],
        "truth_events": sum(manifest["truth_events"].values()),
        "output_mb": round(sum(sizes.values()) / 1e6, 1),
        "ais_mb": round(sizes.get("ais.nmea", 0) / 1e6, 1),
        "radar_mb": round(sizes.get("radar.nmea", 0) / 1e6, 1),
        "max_rss_mb": round(proc.memory_info().rss / 1e6),
        "load": round(os.getloadavg()[0], 1),
    }
    print(figures)
    if args.record:
        _record(figures)
    return 0


def _record(f: dict[str, Any]) -> None:
    body = (
        "## sim\n\n"
        f"`python -m bench.sim.run` — simulate {f['hours']:.0f} h of {f['vessels']} vessels "
        "(background transits on searoute lanes between WPI ports, fishing, anchored, moored), "
        "6 AIS receivers, 3 coastal radars, one SAR pass, ground truth, all files written. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs "
        f"(load average {f['load']}), Python {platform.python_version()}.\n\n"
        "| vessels | sim time | simulate | write | wall | × real time | AIS lines | radar lines "
        "| truth events | output | ais.nmea | radar.nmea | RSS | CPU time | × real time per CPU s |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        f"| {f['vessels']} | {f['hours']:.0f} h | {f['simulate_s']} s | {f['write_s']} s | {f['wall_s']} s "
        f"| {f['x_realtime']}× | {f['ais_lines']:,} | {f['radar_lines']:,} | {f['truth_events']} "
        f"| {f['output_mb']} MB | {f['ais_mb']} MB | {f['radar_mb']} MB | {f['max_rss_mb']} MB "
        f"| {f['cpu_s']} s | {f['x_realtime_cpu']}× |\n\n"
        "Target: faster than 100× real time. AIS is thinned to one position per vessel per 30 s "
        "(`ais.min_report_interval_s`); a report heard by several receivers is written once per receiver.\n"
    )
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## sim\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(body + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + body
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
