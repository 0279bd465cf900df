"""Benchmark: `seawatch detect` vs movingpandas and polars on real AIS tracks.

Inputs: the real US coastal day (236 k fixes, tracktable CSV) and a ≥ 1 M-fix input made of five
copies of it, each copy with shifted MMSIs (+7919·k) and positions shifted 0.02°·k east so copies never
meet one another. Measured:
- `seawatch detect` end to end (subprocess: load + all detectors + JSON output) and its peak RSS,
- the bulk detection alone (in process, input already loaded),
- polars: gap splitting (6 h) + speeds alone (the lower bound the issue compares against),
- movingpandas: ObservationGapSplitter(6 h) + add_speed (on a subset of vessels when the whole input
  would take too long; its time is then scaled per fix and said so),
- live: LiveDetector sustained observations/s on one core (time-ordered replay of the real day).
Run: `.venv/bin/python -m bench.detect.run [--quick]`; replaces the `## detect` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from seawatch.detect.bulk import run_bulk
from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.geo.zones import default_zones
from seawatch.shared_data import REPO_ROOT, shared_data_path
from seawatch.sources.inputs import load_inputs

DAY = shared_data_path("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
COPIES = 5
GAP_S = 6 * 3600.0


def replicate(day: pl.DataFrame, copies: int) -> pl.DataFrame:
    parts = [
        day.with_columns(
            (pl.col("mmsi") + 7919 * k).alias("mmsi"),
            (pl.col("lon") + 0.02 * k).alias("lon"),
        )
        for k in range(copies)
    ]
    return pl.concat(parts)


def write_tracktable_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.select(
        pl.lit("bench").alias("traj_id"),
        "mmsi",
        pl.from_epoch(pl.col("t").cast(pl.Int64)).dt.strftime("%Y-%m-%d %H:%M:%S").alias("timestamp_utc"),
        "lon",
        "lat",
    ).write_csv(path)


def polars_gaps_speeds(frame: pl.DataFrame) -> pl.DataFrame:
    """The peer a polars user writes: sort, split on 6 h gaps, speed from consecutive fixes."""
    r = 6_371_008.8
    rad = np.pi / 180.0
    same = pl.col("mmsi") == pl.col("mmsi").shift(1)
    return (
        frame.lazy()
        .select("mmsi", "t", "lat", "lon")
        .sort(["mmsi", "t"])
        .with_columns(
            dt=pl.when(same).then(pl.col("t") - pl.col("t").shift(1)),
            a=((pl.col("lat") - pl.col("lat").shift(1)) * rad / 2).sin() ** 2
            + (pl.col("lat").shift(1) * rad).cos()
            * (pl.col("lat") * rad).cos()
            * ((pl.col("lon") - pl.col("lon").shift(1)) * rad / 2).sin() ** 2,
        )
        .with_columns(dist_m=2 * r * pl.col("a").sqrt().arcsin())
        .with_columns(
            speed_kn=pl.col("dist_m") / pl.col("dt") / (1852 / 3600),
            segment=((pl.col("dt") > GAP_S) | ~same).fill_null(True).cum_sum(),
        )
        .collect()
    )


def movingpandas_gaps_speeds(frame: pl.DataFrame) -> tuple[float, float]:
    """(wall s, CPU s) for movingpandas: TrajectoryCollection, ObservationGapSplitter(6 h), add_speed."""
    import geopandas as gpd
    import movingpandas as mpd
    import pandas as pd

    pdf = frame.select("mmsi", "t", "lat", "lon").to_pandas()
    pdf["time"] = pd.to_datetime(pdf["t"], unit="s")
    start, cpu = time.perf_counter(), time.process_time()
    gdf = gpd.GeoDataFrame(pdf, geometry=gpd.points_from_xy(pdf["lon"], pdf["lat"]), crs="EPSG:4326")
    tc = mpd.TrajectoryCollection(gdf, "mmsi", t="time")
    split = mpd.ObservationGapSplitter(tc).split(gap=pd.Timedelta(hours=6))
    split.add_speed(overwrite=True, units=("nm", "h"))
    return time.perf_counter() - start, time.process_time() - cpu


def timed(fn, *args, repeat: int = 3):  # type: ignore[no-untyped-def]
    """(best wall s, best CPU s of this process, result): CPU time is less hurt by a busy machine."""
    best, best_cpu = float("inf"), float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, result


def cli_end_to_end(path: Path) -> tuple[float, float, float, int]:
    """Wall s, CPU s, peak RSS (MiB) and event count of `seawatch detect` as a user runs it."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"p = subprocess.run([sys.executable, '-m', 'seawatch', 'detect', {str(path)!r}],"
        " stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(time.perf_counter() - t0, u.ru_utime + u.ru_stime, u.ru_maxrss, p.stdout.count(b'\\n'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    wall, cpu, rss_kb, n = out.stdout.split()
    return float(wall), float(cpu), int(rss_kb) / 1024.0, int(n)


def live_rate(day: pl.DataFrame, ctx: DetectContext) -> tuple[float, float, int]:
    """Observations per wall second and per CPU second through LiveDetector (one thread)."""
    rows = list(day.sort("t").select("t", "mmsi", "lat", "lon", "sog_kn").iter_rows())
    det = LiveDetector(ctx)
    n_events = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for t, m, la, lo, sog in rows:
        n_events += len(det.observe_values(t, m, la, lo, sog))
    n_events += len(det.flush())
    return len(rows) / (time.perf_counter() - t0), len(rows) / (time.process_time() - c0), n_events


def record(section: str) -> None:
    """Replace this benchmark's `## detect` section of bench/RESULTS.md (or append it)."""
    path = REPO_ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"(?m)^(?=## )", text)
    kept = [p for p in parts if not p.startswith("## detect")]
    new = section.strip("\n") + "\n\n"
    index = next((i for i, p in enumerate(parts) if p.startswith("## detect")), len(parts))
    kept.insert(min(index, len(kept)), new)
    path.write_text(re.sub(r"\n{3,}", "\n\n", "".join(kept)).rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller movingpandas subset")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    os.environ.setdefault("POLARS_MAX_THREADS", "2")

    day = load_inputs([DAY]).positions
    big = replicate(day, COPIES)
    ctx = DetectContext(zones=default_zones())
    _ = ctx.land_mask, ctx.port_list
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory(prefix="seawatch-bench-") as tmp:
        big_path = Path(tmp) / "big.csv"
        write_tracktable_csv(big, big_path)
        results = {}
        for name, frame, path in (("US coastal day", day, DAY), (f"{COPIES}× day", big, big_path)):
            e2e, e2e_cpu, rss, n_events = cli_end_to_end(path)
            det_s, det_cpu, res = timed(run_bulk, frame, None, ctx, repeat=repeat)
            pol_s, pol_cpu, _ = timed(polars_gaps_speeds, frame, repeat=repeat)
            results[name] = (frame.height, e2e, e2e_cpu, det_s, det_cpu)
            say(
                f"- {name}: {frame.height:,} fixes, {res.counts['tracks']:,} tracks → {n_events:,} events.\n"
                f"  - `seawatch detect` end to end (process start, load, all detectors, JSON out): "
                f"{e2e:.2f} s wall / {e2e_cpu:.2f} s CPU, peak RSS {rss:.0f} MiB\n"
                f"  - detection alone (input loaded, all types): {det_s:.2f} s wall / {det_cpu:.2f} s CPU; "
                f"polars gap split + speeds alone: {pol_s:.3f} s wall / {pol_cpu:.3f} s CPU → ratio "
                f"{det_s / pol_s:.1f}× wall, {det_cpu / pol_cpu:.1f}× CPU"
            )
            slow = sorted(res.timings_s.items(), key=lambda kv: -kv[1])[:4]
            say("  - slowest stages (wall): " + ", ".join(f"{k} {v:.2f} s" for k, v in slow))

        # movingpandas takes minutes on the whole day here: run it on the first vessels, scale per fix
        mmsis = day["mmsi"].unique().sort()
        subset = day.filter(pl.col("mmsi").is_in(mmsis.head(60 if args.quick else 200).to_list()))
        mp_s, mp_cpu = movingpandas_gaps_speeds(subset)
        for name, (n, e2e, e2e_cpu, det_s, det_cpu) in results.items():
            scale = n / subset.height
            say(
                f"- movingpandas gap split + speeds, {name} (scaled per fix from {subset.height:,} fixes: "
                f"{mp_s:.1f} s wall / {mp_cpu:.1f} s CPU): {mp_s * scale:.0f} s wall / "
                f"{mp_cpu * scale:.0f} s CPU → seawatch detect end to end {mp_s * scale / e2e:.0f}× (wall) / "
                f"{mp_cpu * scale / e2e_cpu:.0f}× (CPU) faster; detection alone "
                f"{mp_s * scale / det_s:.0f}× / {mp_cpu * scale / det_cpu:.0f}×"
            )
        rate, rate_cpu, n_live = live_rate(day, ctx)
        say(
            f"- live: LiveDetector sustained {rate:,.0f} observations per wall second ({rate_cpu:,.0f} per "
            f"CPU second) on one core over the real day ({day.height:,} fixes, {n_live:,} event emissions "
            f"incl. updates)"
        )

    if not args.no_record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        load = os.getloadavg()[0]
        header = (
            f"\n## detect\n\n`bench/detect/run.py`{' --quick' if args.quick else ''}, {stamp}, load average "
            f"{load:.1f} on 2 cores (other work was running). Inputs: real US coastal day 2020-06-30 and "
            f"{COPIES} copies of it with shifted MMSIs and positions.\n\n"
        )
        record(header + "\n".join(lines) + "\n")
    print("peak RSS of this process:", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "MiB")


if __name__ == "__main__":
    main()
