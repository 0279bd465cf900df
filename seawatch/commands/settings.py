"""`seawatch settings`: print the node settings in force (defaults < file < SEAWATCH_* < command line)."""

from __future__ import annotations

import argparse
import json

from seawatch.commands._node_args import add_node_args, settings_from

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("settings", help="print the node settings in force")
    add_node_args(parser)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, host=args.host, port=args.port)
    print(json.dumps(settings.model_dump(mode="json"), indent=2))
    return 0
