"""`seawatch serve`: run a node (store, live ingest from the configured feeds, API, web picture)."""

from __future__ import annotations

import argparse
import sys

from seawatch.commands._node_args import add_node_args, settings_from


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run a node: live ingest, API and web picture")
    add_node_args(parser)
    parser.add_argument("--host", help="address to bind (default 127.0.0.1: local only)")
    parser.add_argument("--port", type=int, help="port (default 8765)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seawatch.server import serve

    settings = settings_from(args, host=args.host, port=args.port)
    print(
        f"seawatch node {settings.node_id} on http://{settings.host}:{settings.port}/ "
        f"(data in {settings.data_dir})",
        file=sys.stderr,
        flush=True,
    )
    serve(settings, log_level="info" if args.verbose else "warning")
    return 0
