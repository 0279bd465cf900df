"""Benchmark: `seawatch detect` vs movingpandas and polars on real AIS tracks.

Inputs: the real US coastal day (236 k fixes, tracktable CSV) and a ≥ 1 M-fix input made of five
copies of it, each copy with shifted MMSIs (+7919·k) and positions shifted 0.02°·k east so copies never
meet one another. Measured:
- `seawatch detect` end to end (subprocess: load + all detectors + JSON output) and its peak RSS,
- the bulk detection alone (in process, input already loaded),
- polars: gap splitting (6 h) + speeds alone (the lower bound the issue compares against),
- movingpandas gap split + speeds, two ways: end to end as its own process, the script a user would
  write (`movingpandas_peer.py`: pandas CSV read, TrajectoryCollection, ObservationGapSplitter(6 h),
  add_speed, a small summary written), timed exactly like `seawatch detect`; and in process on an
  already loaded frame of the first 200 vessels, scaled per fix (the harder comparison: it leaves out
  movingpandas' imports and CSV read),
- live: LiveDetector sustained observations/s on one core (time-ordered replay of the real day).
Run: `.venv/bin/python -m bench.detect.run [--quick]` (about 5 minutes, most of it movingpandas; `--quick`
runs the movingpandas process on the day only and scales it per fix for the larger input); replaces the
`## detect` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import math
import os
import re
import resource
import statistics
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


def process_cost(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall s, CPU s (user + system), peak RSS (MiB) and stdout line count of one fresh process.

    Measured from a small parent process of its own, so that RUSAGE_CHILDREN holds that one child only."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"p = subprocess.run({argv!r}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(time.perf_counter() - t0, u.ru_utime + u.ru_stime, u.ru_maxrss, p.stdout.count(b'\\n'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    wall, cpu, rss_kb, n = out.stdout.split()
    return float(wall), float(cpu), int(rss_kb) / 1024.0, int(n)


def cli_end_to_end(path: Path) -> tuple[float, float, float, int]:
    """Wall s, CPU s, peak RSS (MiB) and event count of `seawatch detect` as a user runs it."""
    return process_cost([sys.executable, "-m", "seawatch", "detect", str(path)])


def movingpandas_end_to_end(path: Path, out: Path) -> tuple[float, float, float]:
    """Wall s, CPU s and peak RSS (MiB) of the movingpandas script a user would write, as its own process."""
    script = Path(__file__).with_name("movingpandas_peer.py")
    wall, cpu, rss, _ = process_cost([sys.executable, str(script), str(path), str(out)])
    return wall, cpu, rss


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


def spread(values: list[float]) -> str:
    """Median (min–max) of a few runs."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def ratio_text(peer_cpu: float, cpus: list[float]) -> str:
    """How many times less CPU `seawatch detect` took than the peer: median, then over all runs."""
    median, worst, best = (peer_cpu / f(cpus) for f in (statistics.median, max, min))
    return f"{median:.0f}× (median; {worst:.0f}–{best:.0f}× over {len(cpus)} runs)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller movingpandas subset")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--runs", type=int, default=5, help="`seawatch detect` processes per input")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    runs = 2 if args.quick else args.runs
    os.environ.setdefault("POLARS_MAX_THREADS", "2")
    # as installed: pip compiles the package to bytecode; a checkout run with PYTHONDONTWRITEBYTECODE
    # (as here) would otherwise compile seawatch's modules in every process (~0.05 s CPU)
    compileall.compile_dir(REPO_ROOT / "seawatch", quiet=1)

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
        inputs = (("US coastal day", day, DAY), (f"{COPIES}× day", big, big_path))
        results = {}
        for name, frame, path in inputs:
            cli = [cli_end_to_end(path) for _ in range(runs)]
            walls, cpus = [c[0] for c in cli], [c[1] for c in cli]
            rss, n_events = max(c[2] for c in cli), cli[0][3]
            det_s, det_cpu, res = timed(run_bulk, frame, None, ctx, repeat=repeat)
            pol_s, pol_cpu, _ = timed(polars_gaps_speeds, frame, repeat=repeat)
            results[name] = (frame.height, cpus, det_cpu)
            say(
                f"- {name}: {frame.height:,} fixes, {res.counts['tracks']:,} tracks → {n_events:,} events.\n"
                f"  - `seawatch detect` end to end (process start, load, all detectors, JSON out), median "
                f"(min–max) of {runs} processes: {spread(walls)} s wall / {spread(cpus)} s CPU, peak RSS "
                f"{rss:.0f} MiB\n"
                f"  - detection alone (input loaded, all types): {det_s:.2f} s wall / {det_cpu:.2f} s CPU; "
                f"polars gap split + speeds alone: {pol_s:.3f} s wall / {pol_cpu:.3f} s CPU → ratio "
                f"{det_s / pol_s:.1f}× wall, {det_cpu / pol_cpu:.1f}× CPU"
            )
            slow = sorted(res.timings_s.items(), key=lambda kv: -kv[1])[:4]
            say("  - slowest stages (wall): " + ", ".join(f"{k} {v:.2f} s" for k, v in slow))

        # movingpandas end to end: the script a user would write, a fresh process like seawatch's
        mp_day = movingpandas_end_to_end(DAY, Path(tmp) / "mp-day.csv")
        for name, _frame, path in inputs:
            n, cpus, _ = results[name]
            if path == DAY:
                mp_wall, mp_cpu, mp_rss = mp_day
                how = "whole input"
            elif args.quick:
                scale = n / day.height
                mp_wall, mp_cpu, mp_rss = mp_day[0] * scale, mp_day[1] * scale, math.nan
                how = f"--quick: the day's process scaled ×{scale:.0f} per fix, not run"
            else:
                mp_wall, mp_cpu, mp_rss = movingpandas_end_to_end(path, Path(tmp) / "mp-big.csv")
                how = "whole input"
            say(
                f"- movingpandas gap split + speeds end to end, {name} ({how}; own process: pandas CSV "
                "read, TrajectoryCollection, ObservationGapSplitter(6 h), add_speed, summary CSV): "
                f"{mp_wall:.1f} s wall / {mp_cpu:.1f} s CPU, peak RSS {mp_rss:.0f} MiB → `seawatch detect` "
                f"end to end used {ratio_text(mp_cpu, cpus)} less CPU"
            )

        # the harder comparison: movingpandas in process on a loaded frame (no imports, no CSV read);
        # it takes minutes on the whole day here, so run it on the first vessels and scale per fix
        mmsis = day["mmsi"].unique().sort()
        subset = day.filter(pl.col("mmsi").is_in(mmsis.head(60 if args.quick else 200).to_list()))
        mp_s, mp_cpu = movingpandas_gaps_speeds(subset)
        for name, (n, cpus, det_cpu) in results.items():
            scaled_cpu = mp_cpu * n / subset.height
            say(
                f"- movingpandas gap split + speeds in process, {name} (input already loaded; scaled per "
                f"fix from {subset.height:,} fixes: {mp_s:.1f} s wall / {mp_cpu:.1f} s CPU): "
                f"{scaled_cpu:.0f} s CPU → `seawatch detect` end to end used "
                f"{ratio_text(scaled_cpu, cpus)} less CPU; "
                f"detection alone {scaled_cpu / det_cpu:.0f}×"
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
            f"{load:.1f} on 2 cores (other work may be running). Inputs: real US coastal day 2020-06-30 and "
            f"{COPIES} copies of it with shifted MMSIs and positions. Processes are timed as users run "
            f"them (bytecode compiled, as pip installs it). {peer_versions()}\n\n"
        )
        record(header + "\n".join(lines) + "\n")
    print("peak RSS of this process:", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "MiB")


def peer_versions() -> str:
    from importlib.metadata import version

    names = ("movingpandas", "geopandas", "pandas", "polars")
    return "Versions: " + ", ".join(f"{n} {version(n)}" for n in names) + "."


if __name__ == "__main__":
    main()
