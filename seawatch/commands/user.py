"""`seawatch user add|token|list|tokens|revoke|revoke-all|remove`: the node's local users and tokens.

A running node sees the changes at once: its live WebSockets re-check their credential every
`api.ws_recheck_s` and close when it is revoked, removed or its user's role changed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from seawatch.commands._node_args import add_node_args, settings_from
from seawatch.errors import NotFoundError, SeawatchError
from seawatch.store.base import ROLES

if TYPE_CHECKING:
    from seawatch.store.sqlite import SqliteStore

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("user", help="manage users and API tokens")
    sub = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a user (or change its role / password: ends its sessions)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="viewer")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    token = sub.add_parser("token", help="print a new API token for a user")
    token.add_argument("name")
    token.add_argument("--ttl-days", type=float, help="lifetime (default: api.api_token_ttl_days, 90)")
    token.add_argument("--label", help="what the token is for (shown by `tokens`)")
    sub.add_parser("list", help="list users")
    tokens = sub.add_parser("tokens", help="list sessions and API tokens (ids, never secrets)")
    tokens.add_argument("name", nargs="?", help="only this user's")
    revoke = sub.add_parser("revoke", help="revoke one session or API token by its id")
    revoke.add_argument("token_id")
    revoke_all = sub.add_parser("revoke-all", help="end all sessions and tokens of a user")
    revoke_all.add_argument("name")
    remove = sub.add_parser("remove", help="remove a user and all their tokens")
    remove.add_argument("name")
    for action in (add, token, sub.choices["list"], tokens, revoke, revoke_all, remove):
        add_node_args(action)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seawatch.store.private import owner_only_umask
    from seawatch.store.sqlite import SqliteStore

    owner_only_umask()  # the store holds password and token hashes
    settings = settings_from(args)
    store = SqliteStore(settings.data_dir, settings.store_synchronous)
    try:
        _ACTIONS[args.user_command](args, store, settings.api.api_token_ttl_days)
    finally:
        store.close()
    return 0


def _add(args: argparse.Namespace, store: SqliteStore, ttl_days: float) -> None:
    from seawatch.api.auth import add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
    if len(password) < 8:
        raise SeawatchError("password too short (at least 8 characters)")
    user = add_user(store, args.name, args.role, password)
    store.audit("cli", "user.add", {"name": user.name, "role": user.role})
    print(f"user {user.name} ({user.role}) saved in {store.data_dir}", file=sys.stderr)


def _token(args: argparse.Namespace, store: SqliteStore, ttl_days: float) -> None:
    from seawatch.api.auth import new_token

    days = ttl_days if args.ttl_days is None else args.ttl_days
    if days <= 0:
        raise SeawatchError("--ttl-days must be positive (every token expires)")
    token = new_token(store, args.name, "api", days * 86400, args.label)
    store.audit("cli", "token.create", {"user": args.name, "ttl_days": days})
    print(token)


def _list(args: argparse.Namespace, store: SqliteStore, ttl_days: float) -> None:
    for u in store.users():
        print(f"{u.name}\t{u.role}")


def _tokens(args: argparse.Namespace, store: SqliteStore, ttl_days: float) -> None:
    from seawatch.timeutil import iso_utc

    print("id\tuser\tkind\tcreated\texpires\tlabel")
    for t in store.tokens(args.name):
        expires = iso_utc(t.expires_at) if t.expires_at else "never"
        print(f"{t.id}\t{t.user}\t{t.kind}\t{iso_utc(t.created_at)}\t{expires}\t{t.label or ''}")


def _revoke(args: argparse.Namespace, store: SqliteStore, ttl_days: float) -> None:
    gone = store.revoke_token(args.token_id)
    if gone is None:
        raise NotFoundError(f"no token with id {args.token_id} (see `seawatch user tokens`)")
    store.audit("cli", "token.revoke", {"id": gone.id, "user": gone.user, "kind": gone.kind})
    print(f"revoked {gone.kind} {gone.id} of {gone.user}", file=sys.stderr)


def _revoke_all(args: argparse.Namespace, store: SqliteStore, ttl_days: float) -> None:
    if store.user(args.name) is None:
        raise NotFoundError(f"no such user: {args.name}")
    count = store.revoke_tokens(args.name)
    store.audit("cli", "user.revoke", {"name": args.name, "revoked": count})
    print(f"ended {count} sessions and tokens of {args.name}", file=sys.stderr)


def _remove(args: argparse.Namespace, store: SqliteStore, ttl_days: float) -> None:
    if not store.delete_user(args.name):
        raise NotFoundError(f"no such user: {args.name}")
    store.audit("cli", "user.remove", {"name": args.name})
    print(f"removed {args.name}", file=sys.stderr)


_ACTIONS = {
    "add": _add,
    "token": _token,
    "list": _list,
    "tokens": _tokens,
    "revoke": _revoke,
    "revoke-all": _revoke_all,
    "remove": _remove,
}
