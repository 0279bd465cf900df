"""Arguments shared by the node commands (`serve`, `user`, `settings`, `demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from seawatch.node.settings import NodeSettings, load_settings


def add_node_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    parser.add_argument("--data-dir", type=Path, help="where the node keeps its store")


def settings_from(args: argparse.Namespace, **extra: object) -> NodeSettings:
    return load_settings(args.config, data_dir=args.data_dir, **extra)
