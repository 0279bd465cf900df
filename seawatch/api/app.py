"""The FastAPI app factory: `create_app(node)` serves the API, the live WebSocket and the web picture.

With `manage_node=True` (the default) the app starts the node on its own event loop at startup and
stops it at shutdown, so `uvicorn` runs everything on one loop.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import HTTPConnection
from starlette.types import Scope

from seawatch import __version__
from seawatch.api import (
    live,
    routes_alerts,
    routes_cases,
    routes_chat,
    routes_edit,
    routes_export,
    routes_layers,
    routes_ops,
    routes_picture,
    routes_system,
    routes_users,
    routes_zones,
)
from seawatch.api.auth import LoginThrottle, credentials, prepare_dummy_hash, token_hash
from seawatch.api.docs import install_docs
from seawatch.api.headers import SecurityHeaders
from seawatch.api.limits import Identify, LimitsMiddleware
from seawatch.api.problems import install_problem_handlers
from seawatch.node.node import Node
from seawatch.outputs.service import NmeaOutputs
from seawatch.store.base import Store

log = logging.getLogger(__name__)

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
PUBLIC_PATHS = frozenset({"/api/auth/login", "/openapi.json", "/docs"})


def create_app(node: Node, manage_node: bool = True, web_dir: Path | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_node:
            await node.start()
        await ops.start()
        await outputs.start()
        try:
            yield
        finally:
            await outputs.stop()
            await ops.stop()
            if manage_node:
                await node.stop()

    app = FastAPI(
        title="Seawatch node API",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served offline by install_docs
        redoc_url=None,
        description="Live maritime picture: tracks, events, zones, watchlist, sightings. "
        "Errors are application/problem+json (RFC 9457).",
    )
    app.state.node = node
    api = node.settings.api
    app.state.login_throttle = LoginThrottle(api.login_free_failures, api.login_delay_s)
    prepare_dummy_hash()
    install_problem_handlers(app)
    install_docs(app)
    app.include_router(routes_system.router)
    app.include_router(routes_picture.router)
    app.include_router(routes_zones.router)
    app.include_router(routes_alerts.router)
    app.include_router(routes_layers.router)
    app.include_router(routes_edit.router)
    app.include_router(routes_users.router)
    app.include_router(routes_export.router)
    routes_cases.install(app)
    app.include_router(routes_chat.router)
    app.include_router(live.router)
    ops = routes_ops.install(app, node)
    outputs = NmeaOutputs(node)  # [[outputs]]: the picture as NMEA for chart plotters
    app.add_middleware(routes_export.FormatGuard)  # ?format= on a JSON-only route: 400, not JSON
    app.add_middleware(
        LimitsMiddleware, settings=node.settings.api, metrics=node.metrics, identify=identifier(node.store)
    )
    app.add_middleware(SecurityHeaders, hsts=node.settings.api.cookie_secure)
    static = web_dir or WEB_DIST
    if static.is_dir():
        app.mount("/", StaticFiles(directory=static, html=True), name="web")
    else:
        log.warning("web picture not built (%s missing): run `make web`", static)
    return app


def identifier(store: Store, ttl_s: float = 5.0, max_cached: int = 10_000) -> Identify:
    """The user a request's credential authenticates (for rate limiting), None for none or an invalid
    one. Valid answers are cached for `ttl_s` (a revoked token keeps its user's bucket that long, no
    more); invalid ones are not cached, so random tokens cannot fill memory."""
    cache: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def identify(scope: Scope) -> str | None:
        token = credentials(HTTPConnection(scope))
        if not token:
            return None
        hashed, now = token_hash(token), time.monotonic()
        hit = cache.get(hashed)
        if hit is not None and now - hit[1] < ttl_s:
            return hit[0]
        found = store.token_user(hashed, datetime.now(UTC))
        if found is None:
            cache.pop(hashed, None)
            return None
        cache[hashed] = (found[0].name, now)
        cache.move_to_end(hashed)
        while len(cache) > max_cached:
            cache.popitem(last=False)
        return found[0].name

    return identify
