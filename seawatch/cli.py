"""The `seawatch` command.

Each subcommand lives in its own module under `seawatch.commands` and exposes
`register(subparsers) -> None`, which adds its parser and sets `func(args) -> int` as the default.
Modules are discovered, so adding a command never means editing this file.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from seawatch import __version__, commands
from seawatch.errors import SeawatchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seawatch", description="Open cooperative maritime picture.")
    parser.add_argument("--version", action="version", version=f"seawatch {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except SeawatchError as exc:
        print(f"seawatch {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `seawatch decode big.nmea | head` is normal use
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
