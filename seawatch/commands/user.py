"""`seawatch user add|token|list`: manage the node's local users and API tokens."""

from __future__ import annotations

import argparse
import getpass
import sys

from seawatch.commands._node_args import add_node_args, settings_from
from seawatch.errors import SeawatchError
from seawatch.store.base import ROLES

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("user", help="manage users and API tokens")
    sub = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a user (or change its role / password)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="viewer")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add_node_args(add)
    token = sub.add_parser("token", help="print a new API token for a user")
    token.add_argument("name")
    add_node_args(token)
    lst = sub.add_parser("list", help="list users")
    add_node_args(lst)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seawatch.api.auth import add_user, new_token
    from seawatch.store.sqlite import SqliteStore

    settings = settings_from(args)
    store = SqliteStore(settings.data_dir, settings.store_synchronous)
    try:
        if args.user_command == "add":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = getpass.getpass(f"password for {args.name}: ")
            if len(password) < 8:
                raise SeawatchError("password too short (at least 8 characters)")
            user = add_user(store, args.name, args.role, password)
            store.audit("cli", "user.add", {"name": user.name, "role": user.role})
            print(f"user {user.name} ({user.role}) saved in {settings.data_dir}", file=sys.stderr)
        elif args.user_command == "token":
            token = new_token(store, args.name, "api", None)
            store.audit("cli", "token.create", {"user": args.name})
            print(token)
        else:
            for u in store.users():
                print(f"{u.name}\t{u.role}")
    finally:
        store.close()
    return 0
