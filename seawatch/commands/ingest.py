"""`seawatch ingest FILE... --to http://node`: send files' observations to a running node.

Files are read with the sources' format registry, in time order, and posted in batches to the
node's `POST /api/observations` (role operator; token from `--token` or `SEAWATCH_TOKEN`). Each
answer comes after the batch is committed, so what is reported as sent is acknowledged. AIS static
reports (types 5, 19, 24: name, call sign, ship type...) travel with the positions, in time order, so a
name or call-sign change reaches the vessel dossier.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from seawatch.errors import InputError, SeawatchError
from seawatch.model import AisStatic, Observation
from seawatch.node.feeds import replay_items
from seawatch.timeutil import iso_utc


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("ingest", help="send files to a running node")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--to", required=True, help="node URL, e.g. http://127.0.0.1:8765")
    parser.add_argument("--token", help="API token (default: $SEAWATCH_TOKEN)")
    parser.add_argument(
        "--batch", type=int, default=2000, help="observations and static reports per request (at most 10000)"
    )
    parser.set_defaults(func=run)


def _observation(o: Observation, source: str) -> dict[str, Any]:
    return {
        "time": iso_utc(o.time),
        "lat": o.lat,
        "lon": o.lon,
        "sensor": o.sensor.value,
        "source": source,
        "mmsi": o.mmsi,
        "target_ref": o.target_ref,
        "sog_kn": o.sog_kn,
        "cog_deg": o.cog_deg,
        "heading_deg": o.heading_deg,
    }


def _static(s: AisStatic, source: str) -> dict[str, Any]:
    fields = asdict(s)
    fields.pop("received_at")
    fields.pop("station")
    fields["source"] = source
    fields["msg_type"] = s.msg_type if s.msg_type in (5, 19, 24) else 5
    fields["time"] = None if s.received_at is None else iso_utc(s.received_at)
    return fields


def run(args: argparse.Namespace) -> int:
    import httpx

    token = args.token or os.environ.get("SEAWATCH_TOKEN")
    if not token:
        raise SeawatchError("no API token: pass --token or set SEAWATCH_TOKEN (seawatch user token NAME)")
    source = args.files[0].name
    items = [i for _, i in replay_items(list(args.files), "ingest") if isinstance(i, Observation | AisStatic)]
    if not any(isinstance(i, Observation) for i in items):
        raise InputError("no observations in the given files")
    sent = {"observations": 0, "statics": 0}
    url = args.to.rstrip("/") + "/api/observations"
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for i in range(0, len(items), max(1, args.batch)):
            chunk = items[i : i + args.batch]  # in time order: the node commits them in that order
            payload = {
                "observations": [_observation(o, source) for o in chunk if isinstance(o, Observation)],
                "statics": [_static(s, source) for s in chunk if isinstance(s, AisStatic)],
            }
            try:
                response = client.post(url, json=payload)
            except httpx.HTTPError as exc:
                raise SeawatchError(f"cannot reach {args.to}: {exc}") from exc
            if response.status_code != 200:
                raise SeawatchError(f"node answered {response.status_code}: {response.text[:300]}")
            sent["observations"] += len(payload["observations"])
            sent["statics"] += len(payload["statics"])
    print(
        f"{sent['observations']} observations acknowledged, "
        f"with {sent['statics']} static reports, by {args.to}",
        file=sys.stderr,
    )
    return 0
