"""The `seawatch` command.

Each subcommand lives in its own module under `seawatch.commands`, named after the command, and
exposes `register(subparsers) -> None`, which adds its parser and sets `func(args) -> int` as the
default. Modules are discovered, so adding a command never means editing this file. Only the module
of the command being run is imported (the others pull in heavy libraries), except for help.

A batch command's module may set `QUICK_EXIT = True`: the console script (`run`) then flushes its
output and leaves without the interpreter's teardown, which with numpy and polars loaded frees module
after module for ~0.1 s CPU, a sixth of a `seawatch detect` run on a day of AIS.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
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
    # No command does BLAS work worth threads, but OpenBLAS (loaded by numpy, and again by scipy)
    # starts a worker pool whose idle threads spin: ~0.15 s CPU per run on 2 cores. It must be set
    # before numpy is imported, which command modules do: here, before any of them is.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
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


def run() -> None:
    """The `seawatch` console script (and `python -m seawatch`): `main`, then the exit."""
    argv = sys.argv[1:]
    code = main(argv)
    name = requested_command(argv)
    module = sys.modules.get(f"{commands.__name__}.{name}") if name else None
    if getattr(module, "QUICK_EXIT", False):
        _quick_exit(code)
    sys.exit(code)


def _quick_exit(code: int) -> None:
    """Flush what was written, then leave without tearing the interpreter down (seawatch registers
    no exit handlers; a batch command has closed its files by now)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`): nothing more to say
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
