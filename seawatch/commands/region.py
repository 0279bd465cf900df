"""`seawatch region`: turn a region's agreement into a locked-down broker and each nation's credential.

seawatch region init --config region.toml --out region     # CA, broker config + cert, node credentials
seawatch region broker --out region                        # run the hub's nats-server with that config
seawatch region broker --out region --server 2             # run server 2 of a clustered hub
seawatch region broker --out region --leaf bb              # run island bb's nats-server (a leaf node)
seawatch region reissue --config region.toml --out region --nation bb --reload   # bb's credential
                                                           # stolen: a new one; the hub refuses the old
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
    reissue = sub.add_parser(
        "reissue",
        help="a new broker credential for one nation; the hub refuses the old one once it reloads",
    )
    reissue.add_argument("--config", type=Path, required=True, help="the region agreement (TOML)")
    reissue.add_argument("--out", type=Path, required=True, help="the folder `region init` wrote")
    reissue.add_argument("--nation", required=True, help="whose credential is replaced")
    reissue.add_argument(
        "--reload",
        action="store_true",
        help="also signal the hub servers running here from --out to reload their configuration",
    )
    broker = sub.add_parser("broker", help="run the hub broker (nats-server) from --out's config")
    broker.add_argument("--out", type=Path, required=True, help="the folder `region init` wrote")
    broker.add_argument(
        "--leaf",
        metavar="NATION",
        help="run that island's own broker (a leaf node of the hub, its own JetStream domain) instead",
    )
    broker.add_argument(
        "--server",
        metavar="K",
        type=int,
        help="a clustered hub ([[broker.servers]]): run its server K (1, 2, 3, ...)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.region_command == "init":
        from seawatch.share.region import generate, load_agreement

        agreement = load_agreement(args.config)
        written = generate(agreement, args.out, force=args.force)
        print(f"region {agreement.region}: {len(written)} files in {args.out}", file=sys.stderr)
        if agreement.clustered:
            for k in range(1, len(agreement.hub_servers) + 1):
                print(
                    f"  hub server {k}: seawatch region broker --out {args.out} --server {k}", file=sys.stderr
                )
        else:
            print(f"  broker:  seawatch region broker --out {args.out}", file=sys.stderr)
        for nation in agreement.ids:
            print(
                f"  {nation}: give it {args.out}/nodes/{nation}/ (its [federation] table is federation.toml)",
                file=sys.stderr,
            )
        for nation in agreement.islands:
            print(
                f"  {nation}'s island broker: seawatch region broker --out {args.out} --leaf {nation}",
                file=sys.stderr,
            )
        return 0
    if args.region_command == "reissue":
        from seawatch.share.region import credential_generations, load_agreement, reissue, reload_hub

        agreement = load_agreement(args.config)
        reissue(agreement, args.out, args.nation)
        generation = credential_generations(args.out)[args.nation]
        print(
            f"{args.nation}: credential {generation} in {args.out}/nodes/{args.nation}/"
            f" ({args.nation}.pem, {args.nation}.key): give it to {args.nation}",
            file=sys.stderr,
        )
        pids: list[int] = []
        if args.reload:
            pids = reload_hub(agreement, args.out)
            print(f"  reloaded {len(pids)} hub server(s) running here: pid {pids}", file=sys.stderr)
        if not args.reload or len(pids) < len(agreement.hub_servers):
            print(
                "  each hub server must reload its nats-server.conf (copy it where the server runs, then"
                " kill -HUP <its pid> or restart it): until then the old credential is still accepted",
                file=sys.stderr,
            )
        if agreement.nation(args.nation).island:
            print(
                f"  {args.nation} is an island: a reload does not end a leaf link already open with the old"
                " credential (nats-server re-checks clients only): restart each hub server to end it;"
                f" {args.nation} restarts its island with its new island/nats-server.conf",
                file=sys.stderr,
            )
        return 0
    if args.region_command == "broker":
        from seawatch.share.localbroker import find_nats_server

        if args.leaf and args.server is not None:
            raise ConfigError("--leaf runs an island, --server a hub server: give one of them")
        if args.server is not None:
            conf = args.out / "broker" / f"s{args.server}" / "nats-server.conf"
            if not conf.is_file():
                raise ConfigError(
                    f"{conf} not found: is the hub a cluster ([[broker.servers]]) of {args.server}+ servers?"
                )
        elif args.leaf:
            conf = args.out / "nodes" / args.leaf / "island" / "nats-server.conf"
            if not conf.is_file():
                raise ConfigError(
                    f"{conf} not found: is {args.leaf} an island (island = true) of the region?"
                )
        else:
            conf = args.out / "broker" / "nats-server.conf"
            if not conf.is_file() and (args.out / "broker" / "s1" / "nats-server.conf").is_file():
                raise ConfigError(f"{args.out}'s hub is a cluster: run each server with --server K")
            if not conf.is_file():
                raise ConfigError(f"{conf} not found: run `seawatch region init` first")
        binary = str(find_nats_server())
        os.execv(binary, [binary, "-c", str(conf)])
    raise ConfigError(f"unknown region action {args.region_command!r}")
