"""Benchmark: bulk AIS decode, seawatch's vectorised path against a plain pyais loop, same input.

Input: every line of the real AIS receiver recordings in ../shared/data (Kystverket tag-block feed,
pyais's raw samples, libais's ORBCOMM tag-block sample), replicated to ~1 M lines and written to a
temporary directory. libais's curated one-of-each-type test files are left out: they are not traffic.

(a) pyais: `for msg in IterMessages(file lines): msg.decode()` (bad messages caught and counted).
(b) seawatch: `decode_file(path)` (the compiled one-pass scan, every field of every message numpy
    covers, pyais for the rest, rejects kept) then `positions_frame()` (a polars frame in
    POSITION_SCHEMA): file -> decoded records.
Each variant runs in its own child process (so peak RSS is its own), `--repeat` times; the best wall
time is reported, with CPU time. Run: `.venv/bin/python -m bench.decode.run [--lines N] [--record]`.
File -> JSON Lines / Parquet as users run `seawatch decode`, beside AIS-catcher's decoder, gpsdecode and
a pyais loop: `bench/decode/to_files.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from seawatch.shared_data import shared_data_path

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = [
    ("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea"),
    ("ais-vectors-pyais", "raw", "nmea_data_sample.txt"),
    ("ais-vectors-pyais", "raw", "ais_test_messages"),
    ("ais-vectors-pyais", "raw", "examples_sample.ais"),
    ("ais-vectors-pyais", "raw", "messages.ais"),
    ("ais-vectors-pyais", "raw", "mixed.txt"),
    ("ais-vectors-pyais", "raw", "timestamped.ais"),
    ("ais-vectors-libais", "tagblock.nmea"),
]


def build_input(target_lines: int, out_dir: Path) -> tuple[Path, int]:
    lines: list[bytes] = []
    for parts in RECORDINGS:
        lines += [x for x in shared_data_path(*parts).read_bytes().splitlines() if x.strip()]
    copies = max(1, round(target_lines / len(lines)))
    path = out_dir / "ais_real_replicated.nmea"
    path.write_bytes(b"\n".join(lines * copies) + b"\n")
    return path, len(lines) * copies


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_pyais(path: Path) -> dict[str, float]:
    from pyais import IterMessages

    t0, c0 = time.perf_counter(), time.process_time()
    decoded = failed = 0
    with open(path, "rb") as fh:
        for msg in IterMessages(fh.read().splitlines()):
            try:
                msg.decode()
                decoded += 1
            except Exception:
                failed += 1
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "decoded": decoded,
            "failed": failed, "peak_rss_mb": _peak_rss_mb()}  # fmt: skip


def run_seawatch(path: Path) -> dict[str, float]:
    from seawatch.sources.ais_bulk import decode_file

    t0, c0 = time.perf_counter(), time.process_time()
    result = decode_file(path)
    t_cols = time.perf_counter() - t0
    frame = result.positions_frame()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_rejected = result.n_rejected  # rejects are kept as arrays until asked for
    c1 = time.process_time()
    assert len(result.rejects) == n_rejected
    return {"wall_s": wall, "cpu_s": cpu, "columns_wall_s": t_cols,
            "decoded": result.n_decoded, "fast": result.n_fast, "rejected": n_rejected,
            "rejects_list_cpu_s": time.process_time() - c1,
            "positions": frame.height, "peak_rss_mb": _peak_rss_mb()}  # fmt: skip


def _child(variant: str, path: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.decode.run", "--child", variant, str(path)],
        capture_output=True, check=True, cwd=REPO, text=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--record", action="store_true", help="write the result to bench/RESULTS.md (## decode)"
    )
    parser.add_argument(
        "--input", type=Path, metavar="FILE", help="decode this NMEA file instead (not recorded)"
    )
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, path = args.child
        print(json.dumps((run_pyais if variant == "pyais" else run_seawatch)(Path(path))))
        return 0
    with tempfile.TemporaryDirectory(prefix="seawatch-bench-decode-") as tmp:
        if args.input is None:
            path, n_lines = build_input(args.lines, Path(tmp))
            what = "the real receiver recordings replicated"
        else:
            path, what = args.input, f"{args.input}"
            n_lines = path.read_bytes().count(b"\n")
        size_mb = path.stat().st_size / 1e6
        print(f"input: {n_lines:,} lines, {size_mb:.1f} MB ({what})")
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict[str, float]]] = {"pyais": [], "seawatch": []}
        for _ in range(args.repeat):
            for variant in runs:
                runs[variant].append(_child(variant, path))
        from seawatch.sources.ais_bulk import decode_file

        mix = Counter(decode_file(path).fast.msg_type.tolist())  # types decoded through numpy
        load_after = os.getloadavg()[0]
    best = {v: min(r, key=lambda x: x["wall_s"]) for v, r in runs.items()}
    p, s = best["pyais"], best["seawatch"]
    ratio_wall = p["wall_s"] / s["wall_s"]
    ratio_cpu = min(r["cpu_s"] for r in runs["pyais"]) / min(r["cpu_s"] for r in runs["seawatch"])
    lines = [
        f"- input: {n_lines:,} lines ({size_mb:.1f} MB) = {what}; "
        f"seawatch decoded {s['decoded']:,} messages ({s['fast']:,} through numpy), rejected "
        f"{s['rejected']:,} bad lines; pyais decoded {p['decoded']:,} (+{p['failed']:,} raised)",
        f"- pyais IterMessages + decode(): {p['wall_s']:.2f} s wall, {p['cpu_s']:.2f} s CPU, "
        f"{p['decoded'] / p['wall_s']:,.0f} msg/s, peak RSS {p['peak_rss_mb']:.0f} MB",
        f"- seawatch decode_file + positions_frame: {s['wall_s']:.2f} s wall ({s['columns_wall_s']:.2f} s to "
        f"columns), {s['cpu_s']:.2f} s CPU, {s['decoded'] / s['wall_s']:,.0f} msg/s, "
        f"peak RSS {s['peak_rss_mb']:.0f} MB (+{s['rejects_list_cpu_s']:.2f} s CPU if the {s['rejected']:,} "
        "rejects are then asked for as `Rejected` objects)",
        f"- ratio: x{ratio_wall:.1f} wall, x{ratio_cpu:.1f} CPU (best of {args.repeat}; target x15); "
        f"CPU per run: pyais {_cpus(runs['pyais'])} s, seawatch {_cpus(runs['seawatch'])} s",
        f"- load average (1 min) {load_before:.1f} before, {load_after:.1f} after, on 2 cores shared "
        "with the other engineers' jobs: wall times are inflated, CPU is the fairer figure",
        f"- types decoded through numpy: {dict(sorted(mix.items()))}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.record and args.input is None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        machine = f"{platform.machine()}, 2 cores shared with other jobs, Python {platform.python_version()}"
        record_section(f"## decode\n\n`bench/decode/run.py`, {stamp}, {machine}\n\n{text}\n")
    return 0


def _cpus(runs: list[dict[str, float]]) -> str:
    return ", ".join(f"{r['cpu_s']:.2f}" for r in runs)


def record_section(section: str) -> None:
    """Replace the section of bench/RESULTS.md whose heading is `section`'s first line (or append it)."""
    heading = section.split("\n", 1)[0]
    path = REPO / "bench" / "RESULTS.md"
    parts = re.split(r"(?m)^(?=## )", path.read_text())
    index = next((i for i, p in enumerate(parts) if p.split("\n", 1)[0] == heading), None)
    if index is None:
        parts.append("\n" + section)
    else:
        parts[index] = section + "\n"
    path.write_text("".join(parts))


if __name__ == "__main__":
    sys.exit(main())
