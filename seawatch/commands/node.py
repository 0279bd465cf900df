"""`seawatch node`: run a federated node (the `serve` node plus sharing with partners over NATS).

    seawatch node --keygen keys/bb.key          # once: write a node key, print its public key
    seawatch node --config bb.toml              # run: API + web picture + federation

The settings file is the node's (`node_id`, `data_dir`, `port`, `[[feeds]]`...) with a `[federation]`
table (see `seawatch.share.settings`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seawatch.errors import ConfigError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("node", help="run a federated node: serve + sharing with partner nodes")
    parser.add_argument("--config", type=Path, help="settings file (TOML) with a [federation] table")
    parser.add_argument("--data-dir", type=Path, help="where the node keeps its store")
    parser.add_argument("--host", help="address to bind (default from settings, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default from settings, 8765)")
    parser.add_argument(
        "--keygen",
        type=Path,
        metavar="KEYFILE",
        help="write a new Ed25519 node key there, print its public key",
    )
    parser.set_defaults(func=run)


def keygen(path: Path) -> int:
    from seawatch.share.envelope import generate_key, private_key_to_text, public_key_to_text

    if path.exists():
        raise ConfigError(f"{path} exists: not overwriting a node key")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    path.write_text(private_key_to_text(key) + "\n")
    path.chmod(0o600)
    public = public_key_to_text(key.public_key())
    path.with_suffix(".pub").write_text(public + "\n")
    print(public)
    print(
        f"private key in {path}, public key in {path.with_suffix('.pub')} (give that to partners)",
        file=sys.stderr,
    )
    return 0


def run(args: argparse.Namespace) -> int:
    from seawatch.store.private import owner_only_umask

    owner_only_umask()  # keys, stores and the federation database: owner only from creation on
    if args.keygen is not None:
        return keygen(args.keygen)
    if args.config is None:
        raise ConfigError("--config FILE is required (or --keygen KEYFILE)")

    from seawatch.node.settings import load_settings
    from seawatch.server import federated_app, serve_app
    from seawatch.share.service import FederatedNode
    from seawatch.share.settings import federation_from_parts
    from seawatch.share.transport import urls_text

    settings = load_settings(args.config, data_dir=args.data_dir, host=args.host, port=args.port)
    if not settings.federation:
        raise ConfigError(f"{args.config}: no [federation] table (use `seawatch serve` for a lone node)")
    fed = federation_from_parts(
        settings.node_id,
        settings.data_dir,
        settings.federation,
        base=args.config.parent,
        source=str(args.config),
    )
    fnode = FederatedNode(settings, fed)
    app = federated_app(fnode, manage=True)
    partners = ", ".join(sorted(fed.partner_keys)) or "none"
    print(
        f"seawatch node {settings.node_id} on http://{settings.host}:{settings.port}/ "
        f"(data in {settings.data_dir}; broker {urls_text(fed.nats_url)}; partners: {partners})",
        file=sys.stderr,
        flush=True,
    )
    level = "info" if args.verbose else "warning"
    serve_app(app, settings, log_level=level)
    return 0
