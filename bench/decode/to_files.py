"""Benchmark: AIS file -> JSON Lines / Parquet file, as users run it, beside the open decoders.

Input: the same replicated real receiver recordings as `bench/decode/run.py` (~1 M lines).
Each variant is one whole process, file in, file out (start-up and imports included), timed by the
parent with `os.wait4` (wall, user + system CPU, peak RSS):
- `seawatch decode FILE --out OUT.jsonl` and `seawatch decode FILE --format parquet --out OUT.parquet`
- AIS-catcher's decoder (PyPI `aiscat`, GPL-3: a benchmark peer only, never a seawatch dependency;
  `pip install aiscat` to include it): `aiscat.from_file(FILE, format="json")`, one line each
- `gpsdecode` (Debian gpsd-clients, gpsd's AIS decoder, JSON by default): `gpsdecode < FILE > OUT`
- the pyais loop: `IterMessages` + `decode()` + `asdict()` + orjson, one line each
Each runs `--repeat` times, alternating; the best wall time is reported, with CPU.
Run: `.venv/bin/python -m bench.decode.to_files [--lines N] [--repeat N] [--record]`.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.decode.run import REPO, build_input

AISCAT = """
import sys, aiscat
with open(sys.argv[2], "wb") as out:
    for m in aiscat.from_file(sys.argv[1], format="json"):
        out.write(m + b"\\n")
"""
PYAIS = """
import sys, orjson
from pyais import IterMessages
with open(sys.argv[1], "rb") as fh, open(sys.argv[2], "wb") as out:
    for msg in IterMessages(fh.read().splitlines()):
        try:
            out.write(orjson.dumps(msg.decode().asdict(enum_as_int=True), default=lambda v: v.hex()) + b"\\n")
        except Exception:
            pass
"""


def _variants(path: Path, out_dir: Path) -> dict[str, tuple[list[str], Path | None, Path]]:
    """name -> (argv, stdin file or None, output file)."""
    py = sys.executable
    out: dict[str, tuple[list[str], Path | None, Path]] = {
        "seawatch jsonl": ([py, "-m", "seawatch", "decode", str(path), "--out", str(out_dir / "s.jsonl")],
                           None, out_dir / "s.jsonl"),
        "seawatch parquet": ([py, "-m", "seawatch", "decode", str(path), "--format", "parquet",
                              "--out", str(out_dir / "s.parquet")], None, out_dir / "s.parquet"),
        "pyais loop jsonl": ([py, "-c", PYAIS, str(path), str(out_dir / "p.jsonl")], None,
                             out_dir / "p.jsonl"),
    }  # fmt: skip
    if importlib.util.find_spec("aiscat") is not None:
        out["AIS-catcher (aiscat) json"] = ([py, "-c", AISCAT, str(path), str(out_dir / "a.jsonl")], None,
                                            out_dir / "a.jsonl")  # fmt: skip
    if shutil.which("gpsdecode"):
        out["gpsdecode json"] = (["gpsdecode"], path, out_dir / "g.jsonl")
    return out


def _timed(argv: list[str], stdin: Path | None, output: Path) -> dict[str, float]:
    """One whole process: wall s, CPU s (user + system), peak RSS MB, output lines and MB."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(stdin or os.devnull, "rb") as fin, open(output if stdin else os.devnull, "wb") as fout:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL, cwd=REPO, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:4]} exited {proc.returncode}")
    lines = _count_lines(output) if output.suffix != ".parquet" else _parquet_rows(output)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "records": lines, "out_mb": output.stat().st_size / 1e6}  # fmt: skip


def _count_lines(path: Path) -> int:
    """Newlines, a block at a time (reading a whole output would grow this process, and its children
    inherit the peak RSS figure across exec)."""
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--record", action="store_true", help="write to bench/RESULTS.md (## decode to files)"
    )
    args = parser.parse_args()
    # as installed: pip compiles the package to bytecode (a checkout run with PYTHONDONTWRITEBYTECODE
    # would compile seawatch's modules in every process)
    compileall.compile_dir(REPO / "seawatch", quiet=1)
    with tempfile.TemporaryDirectory(prefix="seawatch-bench-decode-files-") as tmp:
        path, n_lines = build_input(args.lines, Path(tmp))
        variants = _variants(path, Path(tmp))
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, (argv, stdin, output) in variants.items():
                runs[name].append(_timed(argv, stdin, output))
        load_after = os.getloadavg()[0]
        size_mb = path.stat().st_size / 1e6
    best = {name: min(r, key=lambda x: x["wall_s"]) for name, r in runs.items()}
    cpu = {name: min(x["cpu_s"] for x in r) for name, r in runs.items()}
    lines = [f"- input: {n_lines:,} lines ({size_mb:.1f} MB), the real receiver recordings replicated; "
             "whole processes, file in, file out (start-up and imports included)"]  # fmt: skip
    for name, b in best.items():
        lines.append(
            f"- {name}: {b['wall_s']:.2f} s wall, {cpu[name]:.2f} s CPU, {b['records']:,} records "
            f"({b['records'] / b['wall_s']:,.0f} rec/s wall, {b['records'] / cpu[name]:,.0f} rec/s CPU), "
            f"{b['out_mb']:.1f} MB out, peak RSS {b['peak_rss_mb']:.0f} MB"
        )
    peer = "AIS-catcher (aiscat) json"
    if peer in best:
        mine, theirs = best["seawatch jsonl"], best[peer]
        rate = (mine["records"] / cpu["seawatch jsonl"]) / (theirs["records"] / cpu[peer])
        wall_rate = (mine["records"] / mine["wall_s"]) / (theirs["records"] / theirs["wall_s"])
        lines.append(
            f"- seawatch JSON Lines vs AIS-catcher's file -> JSON: x{rate:.2f} records/s by CPU, "
            f"x{wall_rate:.2f} by wall (target x1.0; best of {args.repeat}). AIS-catcher writes more "
            "records: it decodes lines seawatch rejects (bad tag-block checksums, type 15 with a bad "
            "MMSI...), and longer ones (its JSON carries the NMEA and text fields)"
        )
    lines.append(
        f"- load average (1 min) {load_before:.1f} before, {load_after:.1f} after, 2 cores shared with "
        "other jobs: CPU is the fairer figure"
    )
    text = "\n".join(lines)
    print(text)
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        machine = f"{platform.machine()}, Python {platform.python_version()}"
        _record(f"## decode to files\n\n`bench/decode/to_files.py`, {stamp}, {machine}\n\n{text}\n")
    return 0


def _record(section: str) -> None:
    path = REPO / "bench" / "RESULTS.md"
    parts = re.split(r"(?m)^(?=## )", path.read_text())
    index = next((i for i, p in enumerate(parts) if p.startswith("## decode to files")), None)
    if index is None:
        parts.append("\n" + section)
    else:
        parts[index] = section + "\n"
    path.write_text("".join(parts))


if __name__ == "__main__":
    sys.exit(main())
