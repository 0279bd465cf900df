"""Run a node with its API under uvicorn (used by `seawatch serve` and `seawatch demo`)."""

from __future__ import annotations

import logging

import uvicorn

from seawatch.node.node import Node
from seawatch.node.settings import NodeSettings

log = logging.getLogger(__name__)


def serve(settings: NodeSettings, log_level: str = "warning") -> None:
    from seawatch.api.app import create_app

    node = Node(settings)
    app = create_app(node)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=log_level, ws_max_size=1_048_576, lifespan="on"
    )
    uvicorn.Server(config).run()
