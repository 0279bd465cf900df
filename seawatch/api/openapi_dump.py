"""Print the node's OpenAPI document, built from the app factory without starting a server.

    python -m seawatch.api.openapi_dump > openapi.json

The web build turns it into the page's TypeScript types (`seawatch/web/typegen`).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def openapi_document() -> dict[str, Any]:
    from seawatch.api.app import create_app
    from seawatch.api.docs import openapi_schema
    from seawatch.node.node import Node
    from seawatch.node.settings import NodeSettings

    with tempfile.TemporaryDirectory(prefix="seawatch-openapi-") as folder:
        node = Node(NodeSettings(node_id="openapi", data_dir=Path(folder)), detectors=[])
        try:
            return openapi_schema(create_app(node, manage_node=False, web_dir=Path(folder)))
        finally:
            node.store.close()


def main() -> None:
    json.dump(openapi_document(), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
