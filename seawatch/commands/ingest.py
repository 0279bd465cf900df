"""`seawatch ingest FILE... --to http://node`: send files' observations to a running node.

Files are read with the sources' format registry, in time order, and posted in batches to the
node's `POST /api/observations` (role operator; token from `--token` or `SEAWATCH_TOKEN`). Each
answer comes after the batch is committed, so what is reported as sent is acknowledged. AIS static
reports are not sent (the API takes observations).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from seawatch.errors import InputError, SeawatchError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("ingest", help="send files to a running node")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--to", required=True, help="node URL, e.g. http://127.0.0.1:8765")
    parser.add_argument("--token", help="API token (default: $SEAWATCH_TOKEN)")
    parser.add_argument("--batch", type=int, default=2000, help="observations per request")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import httpx

    from seawatch.model import Observation
    from seawatch.node.feeds import replay_items
    from seawatch.timeutil import iso_utc

    token = args.token or os.environ.get("SEAWATCH_TOKEN")
    if not token:
        raise SeawatchError("no API token: pass --token or set SEAWATCH_TOKEN (seawatch user token NAME)")
    items = replay_items(list(args.files), "ingest")
    obs = [i for _, i in items if isinstance(i, Observation)]
    if not obs:
        raise InputError("no observations in the given files")
    sent = 0
    url = args.to.rstrip("/") + "/api/observations"
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for i in range(0, len(obs), max(1, args.batch)):
            chunk = obs[i : i + args.batch]
            payload = {
                "observations": [
                    {
                        "time": iso_utc(o.time),
                        "lat": o.lat,
                        "lon": o.lon,
                        "sensor": o.sensor.value,
                        "source": args.files[0].name,
                        "mmsi": o.mmsi,
                        "target_ref": o.target_ref,
                        "sog_kn": o.sog_kn,
                        "cog_deg": o.cog_deg,
                        "heading_deg": o.heading_deg,
                    }
                    for o in chunk
                ]
            }
            try:
                response = client.post(url, json=payload)
            except httpx.HTTPError as exc:
                raise SeawatchError(f"cannot reach {args.to}: {exc}") from exc
            if response.status_code != 200:
                raise SeawatchError(f"node answered {response.status_code}: {response.text[:300]}")
            sent += len(chunk)
    print(f"{sent} observations acknowledged by {args.to}", file=sys.stderr)
    return 0
