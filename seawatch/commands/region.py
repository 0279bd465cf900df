"""`seawatch region`: turn a region's agreement into a locked-down broker and each nation's credential.

seawatch region init --config region.toml --out region     # CA, broker config + cert, node credentials
seawatch region broker --out region                        # run the hub's nats-server with that config
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from seawatch.errors import ConfigError

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("region", help="set up a region's secured broker and node credentials")
    sub = parser.add_subparsers(dest="region_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="write the broker's TLS config and one credential per nation")
    init.add_argument("--config", type=Path, required=True, help="the region agreement (TOML)")
    init.add_argument("--out", type=Path, required=True, help="folder to write into")
    init.add_argument("--force", action="store_true", help="replace an existing region CA (re-issues all)")
    broker = sub.add_parser("broker", help="run the hub broker (nats-server) from --out's config")
    broker.add_argument("--out", type=Path, required=True, help="the folder `region init` wrote")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.region_command == "init":
        from seawatch.share.region import generate, load_agreement

        agreement = load_agreement(args.config)
        written = generate(agreement, args.out, force=args.force)
        print(f"region {agreement.region}: {len(written)} files in {args.out}", file=sys.stderr)
        print(f"  broker:  seawatch region broker --out {args.out}", file=sys.stderr)
        for nation in agreement.ids:
            print(
                f"  {nation}: give it {args.out}/nodes/{nation}/ (its [federation] table is federation.toml)",
                file=sys.stderr,
            )
        return 0
    if args.region_command == "broker":
        from seawatch.share.localbroker import find_nats_server

        conf = args.out / "broker" / "nats-server.conf"
        if not conf.is_file():
            raise ConfigError(f"{conf} not found: run `seawatch region init` first")
        binary = str(find_nats_server())
        os.execv(binary, [binary, "-c", str(conf)])
    raise ConfigError(f"unknown region action {args.region_command!r}")
