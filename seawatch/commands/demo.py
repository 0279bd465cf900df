"""`seawatch demo`: a node on a fresh embedded store, streaming the `caribbean-gofast` scenario live.

Creates a demo admin with a random password, prints the URL and the login, and serves the web
picture. Without the simulator it replays the real US coastal AIS day instead.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

from seawatch.node.settings import FeedSettings, NodeSettings, load_settings
from seawatch.shared_data import shared_data_path

SCENARIO = "caribbean-gofast"
FALLBACK_FILE = ("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="live demo: simulated scenario served as the web picture")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--speed", type=float, default=60.0, help="× real time")
    parser.add_argument("--data-dir", type=Path, help="store folder (default: a fresh temporary one)")
    parser.add_argument("--scenario", default=SCENARIO)
    parser.set_defaults(func=run)


def _sim_available() -> bool:
    try:
        from seawatch.sim import engine, scenario  # noqa: F401
    except ImportError:
        return False
    return True


def demo_feeds(scenario: str, speed: float) -> list[FeedSettings]:
    if _sim_available():
        return [
            FeedSettings(name=f"sim:{scenario}", kind="sim", scenario=scenario, speed=speed, timeout_s=120)
        ]
    path = shared_data_path(*FALLBACK_FILE)
    if not path.is_file():
        return []
    return [FeedSettings(name="replay:us-coastal", kind="file", paths=[path], speed=speed, timeout_s=600)]


def run(args: argparse.Namespace) -> int:
    from seawatch.api.auth import add_user
    from seawatch.node.runner import serve
    from seawatch.store.sqlite import SqliteStore

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="seawatch-demo-"))
    feeds = demo_feeds(args.scenario, args.speed)
    base: NodeSettings = load_settings(
        None, data_dir=data_dir, host=args.host, port=args.port, node_id="demo"
    )
    settings = base.model_copy(update={"feeds": feeds})
    password = secrets.token_urlsafe(9)
    store = SqliteStore(settings.data_dir)
    add_user(store, "demo", "admin", password)
    store.close()
    what = ", ".join(f.name for f in feeds) or "no feed (shared data not found)"
    print(
        f"Seawatch demo: http://{args.host}:{args.port}/\n  login: demo / {password}\n"
        f"  feed: {what} at ×{args.speed:g}\n  data: {data_dir}\n  stop with Ctrl-C",
        file=sys.stderr,
        flush=True,
    )
    serve(settings)
    return 0
