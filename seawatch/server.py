"""The node's HTTP server, composed above the layers it joins.

The API (`seawatch.api`) and sharing (`seawatch.share`) never import each other
(`tests/test_layers.py`): this module mounts the sharing routes on a federated node's API, wires the
API's role checks into them, and runs either app under uvicorn.
- `serve(settings)`: a lone node (`seawatch serve`, `seawatch demo`);
- `federated_app(fnode)`: a federated node's app (`seawatch node`, the sharing tests);
- `serve_app(app, settings)`: uvicorn (TLS, trusted proxies, redacted logs: `uvicorn_config`) until
  stopped, or for `exit_after_s` seconds of wall time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI
from starlette.routing import Mount

from seawatch.api.app import create_app
from seawatch.api.auth import require
from seawatch.api.redact import install_redaction
from seawatch.node.node import Node
from seawatch.node.settings import NodeSettings
from seawatch.share import routes as share_routes
from seawatch.share.service import FederatedNode
from seawatch.share.view_audit import PartnerViewAudit
from seawatch.store.private import owner_only_umask


def federated_app(fnode: FederatedNode, manage: bool = True) -> FastAPI:
    """The node's API with /api/share mounted, partner views audited, and (with `manage`) the node
    and federation started and stopped by the app's lifespan."""
    app = create_app(fnode.node, manage_node=False)
    app.include_router(share_routes.router, dependencies=[Depends(require("viewer"))])
    app.dependency_overrides[share_routes.viewer] = require("viewer")
    app.dependency_overrides[share_routes.admin] = require("admin")
    # the web picture is mounted at "/": keep it last so /api/share/... is reached
    routes = app.router.routes
    for mount in [r for r in routes if isinstance(r, Mount) and r.path in ("", "/")]:
        routes.remove(mount)
        routes.append(mount)
    app.state.federation = fnode.federation
    app.add_middleware(PartnerViewAudit, audit=fnode.federation.audit, origins=fnode.partner_origins)
    if manage:
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(a: Any) -> AsyncIterator[Any]:
            async with inner(a) as state:
                await fnode.start()
                try:
                    yield state
                finally:
                    await fnode.stop()

        app.router.lifespan_context = lifespan
    return app


def uvicorn_config(app: Any, settings: NodeSettings, log_level: str = "warning") -> uvicorn.Config:
    """uvicorn's settings for a node: X-Forwarded-For believed only from `api.trusted_proxies` (uvicorn
    would otherwise believe any local client, which could then pick its own rate-limit address), TLS
    when `api.tls_certfile`/`api.tls_keyfile` are set, and secrets masked in every log line."""
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
    """A lone node with its API, until stopped (SIGINT / SIGTERM) or for `exit_after_s` seconds."""
    owner_only_umask()  # stores, keys and history: owner only
    serve_app(create_app(Node(settings)), settings, log_level, exit_after_s)


def serve_app(
    app: FastAPI, settings: NodeSettings, log_level: str = "warning", exit_after_s: float | None = None
) -> None:
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
