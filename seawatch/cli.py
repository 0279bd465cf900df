"""The `seawatch` command.

Each subcommand lives in its own module under `seawatch.commands`, named after the command, and
exposes `register(subparsers) -> None`, which adds its parser and sets `func(args) -> int` as the
default. Modules are discovered, so adding a command never means editing this file. Only the module
of the command being run is imported (the others pull in heavy libraries), except for help.
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


def command_names() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with just `only` when that command module exists."""
    parser = argparse.ArgumentParser(prog="seawatch", description="Open cooperative maritime picture.")
    parser.add_argument("--version", action="version", version=f"seawatch {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = command_names()
    for name in [only] if only in names else names:
        module = importlib.import_module(f"{commands.__name__}.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def requested_command(argv: Sequence[str]) -> str | None:
    """The first word that is not an option: the command name, if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=requested_command(argv))
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
