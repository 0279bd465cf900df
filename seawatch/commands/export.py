"""`seawatch export KIND [--format F] [--out FILE] (--data-dir DIR | --config TOML | --input FILE...)`:
tracks, positions, events, zones or sightings for a window, an area and filters, as GeoJSON, KML,
CSV or GeoParquet.

KIND is one of positions, tracks, events, zones, sightings. The data comes from a node's store
(`--data-dir`, or the one `--config` names; read only, the node may be running) or from input files
(`--input`: AIS NMEA or CSV, radar NMEA, satellite detections; positions and tracks only).
The window is `--start`/`--end` (ISO 8601 UTC; default the 24 hours before `--end`, which defaults to
now; for files, the whole input when neither is given). The area is `--bbox minlon,minlat,maxlon,maxlat`
(minlon > maxlon crosses the antimeridian) or `--zone ZONE_ID` (a zone of the store). `--mmsi`,
`--track` and `--type` (event types) filter, and may be repeated.
The format is `--format`, else the extension of `--out`, else GeoJSON. Output streams to `--out` (or
stdout, except Parquet); progress goes to stderr on a terminal, and a one-line summary at the end.
An empty selection is a valid, empty file.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from seawatch.errors import InputError

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: Any) -> None:
    from seawatch.export.query import FORMATS, KINDS

    parser = subparsers.add_parser(
        "export",
        help="export tracks, positions, events, zones or sightings (GeoJSON, KML, CSV, Parquet)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", choices=KINDS, help="what to export")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from --out, else geojson)")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write here (default stdout; Parquet needs a file)"
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", type=Path, help="a node's store folder")
    where.add_argument("--config", type=Path, help="a node's settings file (TOML): its store")
    where.add_argument("--input", nargs="+", metavar="FILE", help="input files instead of a store")
    parser.add_argument("--start", help="window start, ISO 8601 UTC")
    parser.add_argument("--end", help="window end, ISO 8601 UTC (default now)")
    area = parser.add_mutually_exclusive_group()
    area.add_argument("--bbox", help="minlon,minlat,maxlon,maxlat (minlon > maxlon crosses the antimeridian)")
    area.add_argument("--zone", metavar="ZONE_ID", help="a zone of the store")
    parser.add_argument("--mmsi", type=int, action="append", help="only this vessel (repeatable)")
    parser.add_argument("--track", action="append", metavar="TRACK_ID", help="only this track (repeatable)")
    parser.add_argument(
        "--type", action="append", metavar="EVENT_TYPE", help="only this event type (repeatable)"
    )
    parser.set_defaults(func=run)


def _format(args: argparse.Namespace) -> str:
    from seawatch.export.query import parse_format

    if args.format:
        return str(args.format)
    if args.out is not None and args.out.suffix:
        suffix = args.out.suffix.lstrip(".").lower()
        return parse_format({"json": "geojson"}.get(suffix, suffix))
    return "geojson"


def _open_store(args: argparse.Namespace) -> Any:
    from seawatch.store.sqlite import SqliteStore

    data_dir = args.data_dir
    if data_dir is None:
        from seawatch.node.settings import load_settings

        data_dir = load_settings(args.config).data_dir
    if not (Path(data_dir) / "seawatch.db").is_file():
        raise InputError(f"--data-dir: no Seawatch store in {data_dir} (seawatch.db missing)")
    return SqliteStore(Path(data_dir))


def _file_window(source: Any) -> tuple[str | None, str | None]:
    from seawatch.timeutil import iso_utc

    t = source.positions["t"]
    if t.is_empty():
        return None, None
    return iso_utc(float(t.min())), iso_utc(float(t.max()))


def _out(path: Path | None, fmt: str) -> IO[bytes]:
    if path is None:
        if fmt == "parquet":
            raise InputError(
                "--format parquet needs --out FILE (Parquet is not written to a terminal or pipe)"
            )
        return sys.stdout.buffer
    try:
        return open(path, "wb")
    except OSError as exc:
        raise InputError(f"--out: cannot write {path}: {exc.strerror or exc}") from exc


def run(args: argparse.Namespace) -> int:
    from seawatch.export import FileSource, StoreSource, build_query
    from seawatch.export.query import parse_bbox, zone_area
    from seawatch.export.tables import chunks
    from seawatch.export.writers import write

    fmt = _format(args)
    start, end = args.start, args.end
    if args.input:
        source: Any = FileSource(args.input)
        if start is None and end is None:
            start, end = _file_window(source)
    else:
        source = StoreSource(_open_store(args))
    area = None
    if args.bbox:
        area = parse_bbox(args.bbox)
    elif args.zone:
        area = zone_area(source.zone(args.zone), args.zone)
    query = build_query(args.kind, start, end, datetime.now(UTC), area, args.mmsi, args.type, args.track)
    counted = _Counted(chunks(source, query))
    out = _out(args.out, fmt)
    written = 0
    t0 = time.perf_counter()
    try:
        with _progress(args.kind) as update:
            for block in write(fmt, query.kind, counted):
                out.write(block)
                written += len(block)
                update(counted.rows, written)
    finally:
        out.flush()
        if out is not sys.stdout.buffer:
            out.close()
    where = args.out or "stdout"
    print(
        f"seawatch export: {counted.rows:,} {args.kind} ({fmt}, {written / 1e6:.1f} MB) to {where} "
        f"in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


class _Counted:
    def __init__(self, chunks: Iterator[Any]) -> None:
        self.chunks = chunks
        self.rows = 0

    def __iter__(self) -> Iterator[Any]:
        for chunk in self.chunks:
            self.rows += len(chunk)
            yield chunk


class _progress:
    """Rows and bytes so far on stderr while exporting (only on a terminal)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.progress: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return lambda rows, size: None
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self.progress.start()
        task = self.progress.add_task(f"export {self.kind}")

        def update(rows: int, size: int) -> None:
            self.progress.update(task, description=f"export {self.kind}: {rows:,} rows, {size / 1e6:.1f} MB")

        return update

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
