"""`seawatch settings`: print the node settings in force (defaults < file < SEAWATCH_* < command line),
with what was changed on the running node since (sharing policies set through the API, kept in the
node's `share.sqlite`) put in place and listed under `overrides`."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path
from typing import Any

from seawatch.commands._node_args import add_node_args, settings_from
from seawatch.timeutil import iso_utc

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("settings", help="print the node settings in force, overrides included")
    add_node_args(parser)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.set_defaults(func=run)


def saved_policies(data_dir: Path) -> dict[str, tuple[dict[str, Any], float]]:
    """Sharing policies set through the API: partner -> (policy, when), read-only from share.sqlite."""
    path = data_dir / "share.sqlite"
    if not path.is_file():
        return {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT partner, policy, t FROM share_policy").fetchall()
    except sqlite3.Error:
        return {}
    return {str(p): (json.loads(raw), float(t)) for p, raw, t in rows}


def in_force(settings: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """`settings` with the API's overrides put in place, and an `overrides` list saying which."""
    overrides = []
    partners = (settings.get("federation") or {}).get("partners") or []
    for partner, (policy, t) in sorted(saved_policies(data_dir).items()):
        entry = next((p for p in partners if p.get("id") == partner), None)
        if entry is None:
            continue  # a partner no longer in the file: the node ignores its saved policy too
        entry["policy"] = policy
        overrides.append(
            {"setting": f"federation.partners[{partner}].policy", "set_by": "api", "at": iso_utc(t)}
        )
    return {**settings, "overrides": overrides}


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, host=args.host, port=args.port)
    print(json.dumps(in_force(settings.model_dump(mode="json"), settings.data_dir), indent=2))
    return 0
