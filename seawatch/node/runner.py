"""Run a node with its API under uvicorn (used by `seawatch serve`, `seawatch demo` and `seawatch node`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn

from seawatch.node.node import Node
from seawatch.node.settings import NodeSettings

log = logging.getLogger(__name__)


def uvicorn_config(app: Any, settings: NodeSettings, log_level: str = "warning") -> uvicorn.Config:
    """uvicorn's settings for a node: X-Forwarded-For believed only from `api.trusted_proxies` (uvicorn
    would otherwise believe any local client, which could then pick its own rate-limit address), TLS
    when `api.tls_certfile`/`api.tls_keyfile` are set, and secrets masked in every log line."""
    from seawatch.api.redact import install_redaction

    api = settings.api
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        ws_max_size=1_048_576,
        lifespan="on",
        proxy_headers=bool(api.trusted_proxies),
        forwarded_allow_ips=list(api.trusted_proxies) or None,
        server_header=False,
        ssl_certfile=api.tls_certfile,
        ssl_keyfile=api.tls_keyfile,
    )
    install_redaction()  # after uvicorn configured its log handlers
    return config


def serve(settings: NodeSettings, log_level: str = "warning", exit_after_s: float | None = None) -> None:
    """Serve until stopped (SIGINT / SIGTERM), or for `exit_after_s` seconds of wall time."""
    from seawatch.api.app import create_app
    from seawatch.store.private import owner_only_umask

    owner_only_umask()  # stores, keys and history: owner only
    node = Node(settings)
    app = create_app(node)
    server = uvicorn.Server(uvicorn_config(app, settings, log_level))
    if exit_after_s is None:
        server.run()
        return

    async def run_for() -> None:
        async def stop_later() -> None:
            await asyncio.sleep(exit_after_s)
            server.should_exit = True  # uvicorn's own graceful shutdown: the node drains and closes

        stopper = asyncio.create_task(stop_later())
        try:
            await server.serve()
        finally:
            stopper.cancel()

    asyncio.run(run_for())
