"""`seawatch decode INPUT... [--format jsonl|csv|parquet] [--out FILE|DIR] [--rejects FILE]`: AIS to records.

One record per decoded AIS message with pyais's field names (`msg_type`, `mmsi`, `lat`, `lon`,
`speed`, `course`, `heading`, `status`, `shipname`, ...; values exactly as pyais gives them, so
"not available" stays 91 / 181 / 511 / 102.3), plus `received_at` (ISO 8601 UTC, null when unknown),
`station` (receiver, null when unknown) and `source` (the input). Bytes fields are hex strings.
Files go through the vectorised bulk decoder; `-` (stdin) is decoded line by line as it arrives.
AIS CSV inputs (MarineCadastre or the generic mapping) give one record per row.

`--format csv` writes fixed columns (other fields are only in JSON Lines): msg_type, mmsi, lat, lon,
speed, course, heading, status, turn, accuracy, second, shipname, callsign, imo, ship_type, to_bow,
to_stern, to_port, to_starboard, draught, destination, received_at, station, source.
`--format parquet` writes one table per message family into the directory `--out DIR` (required):
DIR/position_a.parquet (types 1-3), base_station (4, 11), static_voyage (5), position_b (18),
position_b_extended (19), aid_to_navigation (21), static_b (24), interrogation (15), data_link (20),
... (every family in seawatch.sources.ais_records.FAMILIES; AIS CSV rows: csv_positions). A table's
columns are its types' fields (null where a type of the family has no such field), then received_at,
station, source (categorical columns); rows in input order; the same values as JSON Lines (bytes as hex
text); zstd level 1, no column statistics. Tables an earlier run left in DIR are replaced; other files
are left alone.
Sentences with a wrong NMEA checksum are rejected unless `--no-checksum` is given.
`--rejects FILE` writes one JSON object per rejected line: `source`, `line_no`, `reason`, `raw`.
A summary of decoded and rejected counts (by reason) goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import polars as pl

from seawatch.errors import InputError
from seawatch.model.observation import Rejected
from seawatch.sources.ais_bulk import decode_file
from seawatch.sources.ais_parquet import family_frames, tail_last, write_tables
from seawatch.sources.ais_records import family_of, is_family_name, write_jsonl
from seawatch.sources.csv_ais import load_csv
from seawatch.sources.inputs import resolve_input
from seawatch.sources.nmea import NmeaAisDecoder
from seawatch.timeutil import iso_utc

QUICK_EXIT = True  # a batch command: see seawatch.cli
CSV_COLUMNS = (
    "msg_type", "mmsi", "lat", "lon", "speed", "course", "heading", "status", "turn", "accuracy",
    "second", "shipname", "callsign", "imo", "ship_type", "to_bow", "to_stern", "to_port",
    "to_starboard", "draught", "destination", "received_at", "station", "source",
)  # fmt: skip
PROGRESS_MIN_BYTES = 5_000_000
AIS_FORMATS = ("ais_nmea", "ais_csv")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode AIS NMEA (or AIS CSV) to JSON Lines or CSV",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="NMEA or CSV file (plain or .gz), or - for stdin"
    )
    parser.add_argument(
        "--format", choices=("jsonl", "csv", "parquet"), default="jsonl", help="output format (jsonl)"
    )
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write here, not stdout (parquet: a directory, required)"
    )
    parser.add_argument("--rejects", type=Path, metavar="FILE", help="write rejected lines here (JSON Lines)")
    parser.add_argument(
        "--no-checksum", action="store_true", help="decode sentences whose NMEA checksum does not match"
    )
    parser.add_argument(
        "--no-fast", action="store_true", help="decode with the pyais path only (for comparison)"
    )
    parser.set_defaults(func=run)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__}")


_ISO_CACHE: dict[float, str] = {}  # receive times repeat (whole seconds of a feed): format each once


def _finish(rec: dict[str, Any]) -> dict[str, Any]:
    t = rec.get("received_at")
    if isinstance(t, float | int):
        text = _ISO_CACHE.get(t)
        if text is None:
            if len(_ISO_CACHE) > 100_000:
                _ISO_CACHE.clear()
            text = _ISO_CACHE[t] = iso_utc(float(t))
        rec["received_at"] = text
    return rec


class RecordWriter:
    """JSON Lines or CSV records to a binary stream."""

    def __init__(self, out: IO[bytes], fmt: str) -> None:
        self.out = out
        self.fmt = fmt
        self.count = 0
        self._text = io.StringIO()
        self._csv = csv.DictWriter(self._text, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        if fmt == "csv":
            self._csv.writeheader()
            self._flush_text()

    def _flush_text(self) -> None:
        self.out.write(self._text.getvalue().encode("utf-8"))
        self._text.seek(0)
        self._text.truncate()

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        buffer: list[bytes] = []
        for rec in records:
            rec = _finish(rec)
            self.count += 1
            if self.fmt == "jsonl":
                buffer.append(orjson.dumps(rec, default=_json_default))
                if len(buffer) >= 4096:
                    self.out.write(b"\n".join(buffer) + b"\n")
                    buffer.clear()
            else:
                self._csv.writerow({k: (v.hex() if isinstance(v, bytes) else v) for k, v in rec.items()})
                if self._text.tell() > 1 << 20:
                    self._flush_text()
        if buffer:
            self.out.write(b"\n".join(buffer) + b"\n")
        if self.fmt == "csv":
            self._flush_text()
        self.out.flush()


class RejectWriter:
    def __init__(self, path: Path | None) -> None:
        self.fh: IO[bytes] | None = None
        if path is not None:
            try:
                self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise InputError(f"cannot write rejects file {path}: {exc.strerror or exc}") from exc

    def write(self, rejects: Iterable[Rejected]) -> None:
        if self.fh is None:
            return
        for r in rejects:
            self.fh.write(
                orjson.dumps({"source": r.source, "line_no": r.line_no, "reason": r.reason, "raw": r.raw})
                + b"\n"
            )

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _progress(records: Iterator[dict[str, Any]], total: int, label: str) -> Iterator[dict[str, Any]]:
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task(f"decode {label}", total=total)
        for i, rec in enumerate(records, start=1):
            yield rec
            if i % 20000 == 0:
                progress.update(task, completed=i)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _csv_records(path: Path) -> tuple[Iterator[dict[str, Any]], list[Rejected], Counter[str], int]:
    result = load_csv(path)
    pos = result.positions
    src = str(path)

    def records() -> Iterator[dict[str, Any]]:
        cols = {c: pos[c].to_list() for c in pos.columns}
        status = cols.get("status")
        for i in range(pos.height):
            heading = cols["heading_deg"][i]
            yield {
                "mmsi": cols["mmsi"][i],
                "lat": cols["lat"][i],
                "lon": cols["lon"][i],
                "speed": cols["sog_kn"][i],
                "course": cols["cog_deg"][i],
                "heading": None if heading is None else int(heading),
                "status": None if status is None else status[i],
                "received_at": cols["t"][i],
                "station": None,
                "source": src,
            }

    counts = Counter(result.counts)
    counts["decoded"] = pos.height
    return records(), result.rejects, counts, pos.height


def _decode_stdin(
    writer: RecordWriter | ParquetCollector, rejects: RejectWriter, enforce: bool
) -> Counter[str]:
    decoder = NmeaAisDecoder(source="-", enforce_checksum=enforce)
    for line_no, line in enumerate(sys.stdin.buffer, start=1):
        out = decoder.feed_decoded(line, line_no=line_no)
        rejects.write(r for r in out if isinstance(r, Rejected))
        writer.write_many(
            {**d.fields, "received_at": d.received_at.timestamp() if d.received_at else None,
             "station": d.station, "source": d.source}
            for d in out
            if not isinstance(d, Rejected)
        )  # fmt: skip
    rejects.write(decoder.flush())
    return decoder.counts


def _summary(counts: Counter[str]) -> str:
    decoded = counts.get("decoded", 0)
    rejected = counts.get("rejected", 0)
    parts = [f"decoded {decoded}", f"rejected {rejected}"]
    reasons = sorted((k.split(":", 1)[1], v) for k, v in counts.items() if k.startswith("rejected:") and v)
    if reasons:
        parts.append("(" + ", ".join(f"{k} {v}" for k, v in reasons) + ")")
    skipped = sorted((k.split(":", 1)[1], v) for k, v in counts.items() if k.startswith("skipped:") and v)
    if skipped:
        parts.append("skipped " + ", ".join(f"{k} {v}" for k, v in skipped))
    return "seawatch decode: " + " ".join(parts)


class ParquetCollector:
    """Records of every input gathered by message family; one Parquet file per family at the end.
    An input's tables are built as they are written (one input: the largest table is being written
    while the others are built)."""

    def __init__(self) -> None:
        self.parts: list[Iterable[tuple[str, pl.DataFrame]]] = []  # (family, frame) of each input

    def add_frames(self, frames: Iterable[tuple[str, pl.DataFrame]]) -> None:
        self.parts.append(frames)

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        rows: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            rec = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in _finish(r).items()}
            rows.setdefault(family_of(rec.get("msg_type")), []).append(rec)
        self.add_frames([(f, pl.from_dicts(part, infer_schema_length=None)) for f, part in rows.items()])

    def _tables(self) -> Iterable[tuple[str, pl.DataFrame]]:
        if len(self.parts) == 1:
            return ((family, tail_last(frame)) for family, frame in self.parts[0])
        frames: dict[str, list[pl.DataFrame]] = {}
        for part in self.parts:
            for family, frame in part:
                frames.setdefault(family, []).append(frame)
        return ((family, _one_table(fs)) for family, fs in frames.items())

    def write(self, directory: Path) -> list[str]:
        """Each family's table as DIRECTORY/FAMILY.parquet (tables of an earlier run there are
        replaced); returns what was written."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for old in directory.glob("*.parquet"):
                if is_family_name(old.stem):
                    old.unlink()
            written = write_tables(self._tables(), directory)
        except OSError as exc:
            raise InputError(f"cannot write {directory}: {exc.strerror or exc}") from exc
        return [f"{family} {rows}" for family, rows in written]


def _one_table(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return tail_last(frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed"))


def _open_out(path: Path | None) -> IO[bytes]:
    if path is None:
        return sys.stdout.buffer
    try:
        return open(path, "wb")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def run(args: argparse.Namespace) -> int:
    if args.format == "parquet" and args.out is None:
        raise InputError("--format parquet needs --out DIR (one Parquet file per message family)")
    if args.format == "parquet" and args.out.exists() and not args.out.is_dir():
        raise InputError(f"--format parquet writes a directory of tables: {args.out} is a file")
    specs = {}
    for name in args.inputs:  # check every input before writing anything
        if name == "-":
            continue
        path, spec = resolve_input(name)
        if spec.name not in AIS_FORMATS:
            raise InputError(f"{name}: {spec.name} input is not AIS (decode reads AIS NMEA or AIS CSV)")
        specs[name] = (path, spec)
    parquet = ParquetCollector() if args.format == "parquet" else None
    out = _open_out(None if parquet else args.out)
    writer: RecordWriter | ParquetCollector = parquet or RecordWriter(out, args.format)
    rejects = RejectWriter(args.rejects)
    total: Counter[str] = Counter()
    enforce = not args.no_checksum
    try:
        for name in args.inputs:
            if name == "-":
                total.update(_decode_stdin(writer, rejects, enforce))
                continue
            path, spec = specs[name]
            if spec.name == "ais_csv":
                records, rej, counts, n = _csv_records(path)
            else:
                result = decode_file(path, enforce_checksum=enforce, fast=not args.no_fast)
                jsonl = args.format == "jsonl"
                columnar = not args.no_fast and (parquet is not None or jsonl)  # columns out, no dicts
                if columnar and parquet is not None:
                    parquet.add_frames(family_frames(result))  # built as they are written
                elif columnar:
                    write_jsonl(result, out)
                if rejects.fh is not None:  # building the Rejected objects costs (~1 us each)
                    rejects.write(result.rejects)
                total.update(result.counts)
                if columnar:
                    continue
                records, rej, counts, n = result.iter_records(), [], Counter(), result.n_decoded
            rejects.write(rej)
            if out.isatty() and path.stat().st_size >= PROGRESS_MIN_BYTES:
                records = _progress(records, n, path.name)
            writer.write_many(records)
            total.update(counts)
        if parquet is not None:
            written = parquet.write(args.out)
    finally:
        rejects.close()
        out.flush()
        if out is not sys.stdout.buffer:
            out.close()
    print(_summary(total), file=sys.stderr)
    if parquet is not None:
        print(f"seawatch decode: tables in {args.out}: {', '.join(written) or 'none'}", file=sys.stderr)
    return 0
