"""`seawatch openapi`: print the node's OpenAPI document (what `/openapi.json` serves on a federated
node: the API and the sharing routes), built from the app factory without starting a node or a server.
The web build turns it into the page's TypeScript types (`seawatch/web/typegen`)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("openapi", help="print the node API's OpenAPI document (JSON)")
    parser.add_argument("--out", type=Path, help="write it to this file instead of standard output")
    parser.set_defaults(func=run)


def openapi_document() -> dict[str, Any]:
    from fastapi import Depends

    from seawatch.api.app import create_app
    from seawatch.api.auth import require
    from seawatch.api.docs import openapi_schema
    from seawatch.node.node import Node
    from seawatch.node.settings import NodeSettings
    from seawatch.share import routes as share_routes

    with tempfile.TemporaryDirectory(prefix="seawatch-openapi-") as folder:
        node = Node(NodeSettings(node_id="openapi", data_dir=Path(folder)), detectors=[])
        try:
            app = create_app(node, manage_node=False, web_dir=Path(folder))
            # as seawatch.server.federated_app mounts them on a federated node
            app.include_router(share_routes.router, dependencies=[Depends(require("viewer"))])
            return openapi_schema(app)
        finally:
            node.store.close()


def run(args: argparse.Namespace) -> int:
    text = json.dumps(openapi_document(), indent=1) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
    return 0
