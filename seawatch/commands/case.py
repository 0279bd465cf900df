"""`seawatch case export ID (--data-dir DIR | --config TOML) [--out FILE]` and `seawatch case list`:
a node's cases from its store (the node may be running).

`export` writes the case's evidence pack, the same zip `GET /api/cases/{id}/evidence` gives (GeoJSON
and KML of its tracks and events, CSV of positions, events as JSON, timeline, chat, attachments and
a manifest with the SHA-256 of every file), byte for byte the same from the same data; it is audited
(`case.evidence`, actor `cli:<user>`). `--out` defaults to `seawatch-case-ID-vVERSION.zip` here.
`list` prints one line per case (id, status, last change, title), most recently changed first,
filtered by `--status S` (repeatable), `--text TEXT`, `--opened-after/--opened-before ISO`,
`--updated-after/--updated-before ISO`, `--vessel MMSI|NAME`, `--track ID`, `--event ID`, `--asset ID`
(all given must hold; the same filters as `GET /api/cases`); a bad value exits 1 naming it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from seawatch.errors import InputError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "case",
        help="a node's cases: export a case's evidence pack, list cases",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write a case's evidence pack (zip)")
    export.add_argument("case_id", metavar="ID", help="the case id")
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="the zip to write (default: its own name here)"
    )
    _store_args(export)
    export.set_defaults(func=run_export)
    listing = actions.add_parser("list", help="list cases, most recently changed first")
    listing.add_argument(
        "--status", action="append", metavar="S", help="only this status (repeatable, or comma-separated)"
    )
    listing.add_argument("--text", metavar="TEXT", help="text in the id, title, summary, a note or a link")
    for name, what in (
        ("opened-after", "opened at or after"),
        ("opened-before", "opened at or before"),
        ("updated-after", "last changed at or after"),
        ("updated-before", "last changed at or before"),
    ):
        listing.add_argument(f"--{name}", metavar="ISO", help=f"{what} this time (ISO 8601, UTC if naive)")
    listing.add_argument("--vessel", metavar="MMSI|NAME", help="links this vessel (9-digit MMSI or name)")
    listing.add_argument("--track", metavar="ID", help="links this track")
    listing.add_argument("--event", metavar="ID", help="links this event")
    listing.add_argument("--asset", metavar="ID", help="links this patrol asset")
    listing.add_argument("--limit", type=int, default=1000, help="at most this many (1 to 1000; 1000)")
    _store_args(listing)
    listing.set_defaults(func=run_list)


def _store_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", "--store", dest="data_dir", type=Path, help="a node's store folder")
    where.add_argument("--config", type=Path, help="a node's settings file (TOML): its store")


def _open_store(args: argparse.Namespace) -> Any:
    from seawatch.store.sqlite import SqliteStore

    data_dir = args.data_dir
    if data_dir is None:
        from seawatch.node.settings import load_settings

        data_dir = load_settings(args.config).data_dir
    if not (Path(data_dir) / "seawatch.db").is_file():
        raise InputError(f"--data-dir: no Seawatch store in {data_dir} (seawatch.db missing)")
    return SqliteStore(Path(data_dir))


def run_export(args: argparse.Namespace) -> int:
    from seawatch.cases.evidence import evidence_pack
    from seawatch.cases.service import service_for

    store = _open_store(args)
    try:
        pack = evidence_pack(service_for(store), args.case_id)
        out: Path = args.out or Path(pack.filename)
        try:
            out.write_bytes(pack.content)
        except OSError as exc:
            raise InputError(f"--out: cannot write {out}: {exc.strerror or exc}") from exc
        details = {"case_id": args.case_id, "sha256": pack.sha256, "bytes": len(pack.content), "via": "cli"}
        store.audit(f"cli:{getpass.getuser()}", "case.evidence", details)
    finally:
        store.close()
    print(
        f"seawatch case export: {args.case_id}: {len(pack.files) + 1} files, {len(pack.content):,} bytes "
        f"to {out} (sha256 {pack.sha256})",
        file=sys.stderr,
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from seawatch.cases.query import case_query
    from seawatch.cases.service import service_for
    from seawatch.timeutil import iso_utc

    query = case_query(
        status=args.status,
        text=args.text,
        opened_after=args.opened_after,
        opened_before=args.opened_before,
        updated_after=args.updated_after,
        updated_before=args.updated_before,
        vessel=args.vessel,
        track=args.track,
        event=args.event,
        asset=args.asset,
        limit=args.limit,
    )  # a bad value: its field named, before the store is opened
    store = _open_store(args)
    try:
        cases = service_for(store).find(query)
    finally:
        store.close()
    for case in cases:
        print(f"{case['id']}  {case['status']:<12}  {iso_utc(case['updated_at'])}  {case['title']}")
    return 0
