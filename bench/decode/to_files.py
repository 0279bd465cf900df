"""Benchmark: AIS file -> JSON Lines / Parquet file, as users run it, beside the open decoders.

Input: the same replicated real receiver recordings as `bench/decode/run.py` (~1 M lines).
Each variant is one whole process, file in, file out (start-up and imports included), timed by the
parent with `os.wait4` (wall, user + system CPU, peak RSS):
- `seawatch decode FILE --out OUT.jsonl` and `seawatch decode FILE --format parquet --out DIR`
- the bulk decoder to columns and nothing written (`decode_file` + `positions_frame`, the figure of
  `bench/decode/run.py`, here as a whole process with the same start-up and exit as `seawatch decode`):
  what `--format parquet` is measured against (target: at most ~1.1x its time)
- AIS-catcher's decoder, PyPI `aiscat`: `aiscat.from_file(FILE, format="json")`, one line each. It is
  GPL-3: a benchmark peer only, never a seawatch dependency, so it is not in pyproject.toml; install
  it by hand into the venv the benchmark runs with: `.venv/bin/pip install aiscat` (a wheel with the
  compiled decoder; left out, with a note, when it is not installed)
- `gpsdecode` (Debian gpsd-clients, gpsd's AIS decoder, JSON by default): `gpsdecode < FILE > OUT`
- the pyais loop: `IterMessages` + `decode()` + `asdict()` + orjson, one line each
Each runs `--repeat` times, alternating; the best wall time is reported, with CPU (the machine's 2
cores are shared with other jobs: CPU is the fairer figure, and the load average is reported).
`--callgrind` also runs seawatch JSON Lines and AIS-catcher once each under
`valgrind --tool=callgrind` and reports the instructions each executed (the same count whatever else
the machine is doing; `perf stat` counters are not available on this machine).
Run: `.venv/bin/python -m bench.decode.to_files [--lines N] [--repeat N] [--only NAME...] [--callgrind]
[--record]` (`--only` runs some variants, e.g. `--only "seawatch parquet" "seawatch columns"`).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.decode.run import REPO, build_input, record_section

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
COLUMNS = """
import os, sys
from pathlib import Path
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as seawatch.cli, before numpy
from seawatch.sources.ais_bulk import decode_file
decode_file(Path(sys.argv[1])).positions_frame()
os._exit(0)  # as `seawatch decode` leaves (QUICK_EXIT: no interpreter teardown)
"""
MINE, PEER = "seawatch jsonl", "AIS-catcher (aiscat) json"
PARQUET, BULK = "seawatch parquet", "seawatch columns"
Variant = tuple[list[str], Path | None, Path]  # argv, stdin file or None, output file or directory


def _variants(path: Path, out_dir: Path) -> dict[str, Variant]:
    py = sys.executable
    out: dict[str, Variant] = {
        MINE: ([py, "-m", "seawatch", "decode", str(path), "--out", str(out_dir / "s.jsonl")], None,
               out_dir / "s.jsonl"),
        PARQUET: ([py, "-m", "seawatch", "decode", str(path), "--format", "parquet",
                   "--out", str(out_dir / "tables")], None, out_dir / "tables"),
        BULK: ([py, "-c", COLUMNS, str(path)], None, out_dir / "none"),
        "pyais loop jsonl": ([py, "-c", PYAIS, str(path), str(out_dir / "p.jsonl")], None,
                             out_dir / "p.jsonl"),
    }  # fmt: skip
    if importlib.util.find_spec("aiscat") is not None:
        out[PEER] = ([py, "-c", AISCAT, str(path), str(out_dir / "a.jsonl")], None, out_dir / "a.jsonl")
    else:
        print(f"aiscat not installed: `{py} -m pip install aiscat` to include AIS-catcher", file=sys.stderr)
    if shutil.which("gpsdecode"):
        out["gpsdecode json"] = (["gpsdecode"], path, out_dir / "g.jsonl")
    return out


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _timed(argv: list[str], stdin: Path | None, output: Path) -> dict[str, float]:
    """One whole process: wall s, CPU s (user + system), peak RSS MB, output records and MB."""
    with open(stdin or os.devnull, "rb") as fin, open(output if stdin else os.devnull, "wb") as fout:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL, cwd=REPO, env=_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:4]} exited {proc.returncode}")
    if not output.exists():  # the bulk decoder to columns writes nothing
        records, size = 0, 0
    elif output.is_dir():
        files = list(output.glob("*.parquet"))
        records, size = _parquet_rows(files), sum(f.stat().st_size for f in files)
    else:
        records, size = _count_lines(output), output.stat().st_size
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "records": records, "out_mb": size / 1e6}  # fmt: skip


def _instructions(argv: list[str], stdin: Path | None, output: Path) -> int:
    """Instructions the process executed, counted by callgrind (all its threads)."""
    with open(stdin or os.devnull, "rb") as fin, open(output if stdin else os.devnull, "wb") as fout:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
            stdin=fin, stdout=fout, stderr=subprocess.PIPE, cwd=REPO, env=_env(), text=True, check=True,
        )  # fmt: skip
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if match is None:
        raise RuntimeError(f"no callgrind total for {argv[:4]}: {proc.stderr[-500:]}")
    return int(match.group(1))


def _count_lines(path: Path) -> int:
    """Newlines, a block at a time (reading a whole output would grow this process, and its children
    inherit the peak RSS figure across exec)."""
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


def _parquet_rows(paths: list[Path]) -> int:
    import pyarrow.parquet as pq

    return sum(int(pq.ParquetFile(p).metadata.num_rows) for p in paths)


def _ratio_lines(runs: dict[str, list[dict[str, float]]], repeat: int) -> list[str]:
    """seawatch JSON Lines against AIS-catcher: records per CPU second and per wall second, best and
    run by run (the runs alternate, so run i of each shared the machine's load of that moment)."""
    mine, theirs = runs[MINE], runs[PEER]

    def rate(r: dict[str, float], key: str) -> float:
        return r["records"] / r[key]

    cpu = [rate(a, "cpu_s") / rate(b, "cpu_s") for a, b in zip(mine, theirs, strict=True)]
    wall = [rate(a, "wall_s") / rate(b, "wall_s") for a, b in zip(mine, theirs, strict=True)]
    best_cpu = rate(min(mine, key=lambda r: r["cpu_s"]), "cpu_s") / rate(
        min(theirs, key=lambda r: r["cpu_s"]), "cpu_s"
    )
    best_wall = rate(min(mine, key=lambda r: r["wall_s"]), "wall_s") / rate(
        min(theirs, key=lambda r: r["wall_s"]), "wall_s"
    )
    return [
        f"- seawatch JSON Lines vs AIS-catcher's file -> JSON, records/s: x{best_cpu:.2f} by CPU, "
        f"x{best_wall:.2f} by wall (best of {repeat} each; target x1.0); run by run x{min(cpu):.2f}-"
        f"{max(cpu):.2f} by CPU (median x{statistics.median(cpu):.2f}), x{min(wall):.2f}-{max(wall):.2f} "
        "by wall. AIS-catcher writes more records: it decodes lines seawatch rejects (bad tag-block "
        "checksums, type 15 with a bad MMSI...), and longer ones (its JSON carries the NMEA and text fields)"
    ]


def _parquet_lines(runs: dict[str, list[dict[str, float]]], repeat: int) -> list[str]:
    """seawatch Parquet against the bulk decoder to columns (the same decode, nothing written): time
    ratios, best and run by run (the runs alternate)."""
    tables, bulk = runs[PARQUET], runs[BULK]
    parts = []
    for key, what in (("wall_s", "wall"), ("cpu_s", "CPU")):
        best = min(r[key] for r in tables) / min(r[key] for r in bulk)
        each = [a[key] / b[key] for a, b in zip(tables, bulk, strict=True)]
        parts.append(
            f"x{best:.2f} by {what} (run by run x{min(each):.2f}-{max(each):.2f}, "
            f"median x{statistics.median(each):.2f})"
        )
    return [
        f"- seawatch file -> Parquet tables vs the bulk decoder to columns (decode_file + positions_frame, "
        f"nothing written; whole processes, best of {repeat}): " + ", ".join(parts) + "; target <= x1.1"
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these variants")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions (callgrind)")
    parser.add_argument(
        "--record", action="store_true", help="write to bench/RESULTS.md (## decode to files)"
    )
    args = parser.parse_args()
    if args.only and args.record:
        parser.error("--record replaces the whole section: run every variant (no --only)")
    # as installed: pip compiles the package to bytecode (a checkout run with PYTHONDONTWRITEBYTECODE
    # would compile seawatch's modules in every process)
    compileall.compile_dir(REPO / "seawatch", quiet=1)
    with tempfile.TemporaryDirectory(prefix="seawatch-bench-decode-files-") as tmp:
        path, n_lines = build_input(args.lines, Path(tmp))
        variants = _variants(path, Path(tmp))
        if args.only:
            unknown = set(args.only) - variants.keys()
            if unknown:
                parser.error(f"unknown variants {sorted(unknown)}; known: {sorted(variants)}")
            variants = {name: v for name, v in variants.items() if name in args.only}
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, (argv, stdin, output) in variants.items():
                runs[name].append(_timed(argv, stdin, output))
        load_after = os.getloadavg()[0]
        counted = {}
        if args.callgrind:
            for name in (MINE, PEER):  # gpsdecode: ~170 k instructions a record, too slow to count
                if name in variants:
                    counted[name] = _instructions(*variants[name])
        size_mb = path.stat().st_size / 1e6
    best = {name: min(r, key=lambda x: x["wall_s"]) for name, r in runs.items()}
    cpu = {name: min(x["cpu_s"] for x in r) for name, r in runs.items()}
    lines = [f"- input: {n_lines:,} lines ({size_mb:.1f} MB), the real receiver recordings replicated; "
             "whole processes, file in, file out (start-up and imports included)"]  # fmt: skip
    for name, b in best.items():
        made = (
            f"{b['records']:,} records ({b['records'] / b['wall_s']:,.0f} rec/s wall, "
            f"{b['records'] / cpu[name]:,.0f} rec/s CPU), {b['out_mb']:.1f} MB out"
            if b["records"]
            else "nothing written"
        )
        lines.append(
            f"- {name}: {b['wall_s']:.2f} s wall, {cpu[name]:.2f} s CPU, {made}, peak RSS "
            f"{b['peak_rss_mb']:.0f} MB; CPU per run " + ", ".join(f"{r['cpu_s']:.2f}" for r in runs[name])
        )
    if MINE in best and PEER in best:
        lines += _ratio_lines(runs, args.repeat)
    if PARQUET in best and BULK in best:
        lines += _parquet_lines(runs, args.repeat)
    if counted:
        per = {name: counted[name] / best[name]["records"] for name in counted}
        lines.append(
            "- instructions (callgrind, one run each, whole process): "
            + ", ".join(f"{n} {counted[n] / 1e9:.2f} G ({per[n]:,.0f} per record)" for n in counted)
        )
        if PEER in counted:
            lines.append(
                f"- by instructions per record, seawatch JSON Lines is x{per[PEER] / per[MINE]:.2f} "
                "AIS-catcher (a count, not time: it does not depend on the machine's load)"
            )
    lines.append(
        f"- load average (1 min) {load_before:.1f} before, {load_after:.1f} after the timed runs, "
        f"{os.cpu_count()} cores shared with other jobs: CPU is the fairer figure"
    )
    text = "\n".join(lines)
    print(text)
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        machine = f"{platform.machine()}, Python {platform.python_version()}"
        record_section(f"## decode to files\n\n`bench/decode/to_files.py`, {stamp}, {machine}\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
