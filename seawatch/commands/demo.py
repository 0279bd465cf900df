"""`seawatch demo`: a node on a fresh embedded store, streaming a simulated scenario live.

Creates a demo admin with a random password, prints the URL and the login, and serves the web
picture until stopped (Ctrl-C), or for `--duration-s` seconds (smoke runs, CI).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

from seawatch.node.settings import FeedSettings, NodeSettings, load_settings
from seawatch.sim.scenario import scenario_names

SCENARIO = "caribbean-gofast"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenarios = ", ".join(scenario_names())
    parser = subparsers.add_parser(
        "demo",
        help="live demo: a simulated scenario served as the web picture",
        description="Start a node on a fresh store with a demo admin, and stream a simulated scenario "
        "(AIS and coastal radar) into it live. The exercise repeats, later in data time each round and "
        "without a pause between rounds (the next one is simulated while one plays), until the demo is "
        "stopped (Ctrl-C) or --duration-s has passed.",
        epilog=f"Scenarios shipped: {scenarios} (or a scenario TOML file, see seawatch/sim/README.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="port to serve on (default %(default)s)")
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="× simulated time, e.g. 60: one hour a minute (default %(default)g)",
    )
    parser.add_argument(
        "--scenario",
        default=SCENARIO,
        help=f"scenario name or TOML file (default %(default)s; shipped: {scenarios})",
    )
    parser.add_argument("--data-dir", type=Path, help="store folder (default: a fresh temporary one)")
    parser.add_argument("--once", action="store_true", help="play the scenario once instead of repeating it")
    parser.add_argument(
        "--duration-s",
        type=float,
        help="stop by itself after this many seconds of wall time (default: run until Ctrl-C)",
    )
    parser.set_defaults(func=run)


def demo_feeds(scenario: str, speed: float, repeat: bool = True) -> list[FeedSettings]:
    return [
        FeedSettings(
            name=f"sim:{Path(scenario).stem}",
            kind="sim",
            scenario=scenario,
            speed=speed,
            loop=repeat,
            timeout_s=120,
        )
    ]


def run(args: argparse.Namespace) -> int:
    from seawatch.api.auth import add_user
    from seawatch.server import serve
    from seawatch.sim.scenario import load_scenario
    from seawatch.store.sqlite import SqliteStore

    load_scenario(args.scenario)  # an unknown or invalid scenario stops here, with its reason
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="seawatch-demo-"))
    feeds = demo_feeds(args.scenario, args.speed, repeat=not args.once)
    base: NodeSettings = load_settings(
        None, data_dir=data_dir, host=args.host, port=args.port, node_id="demo"
    )
    settings = base.model_copy(update={"feeds": feeds})
    password = secrets.token_urlsafe(9)
    store = SqliteStore(settings.data_dir)
    add_user(store, "demo", "admin", password)
    store.close()
    print(
        f"Seawatch demo: http://{args.host}:{args.port}/\n  login: demo / {password}\n"
        f"  feed: {feeds[0].name} at ×{args.speed:g}{'' if args.once else ', repeating'}\n"
        f"  data: {data_dir}\n  stop with Ctrl-C",
        file=sys.stderr,
        flush=True,
    )
    serve(settings, exit_after_s=args.duration_s)
    return 0
