"""Audit of who looked at partner data through the node's picture API.

A middleware: after a successful GET on the picture routes by an authenticated user, if the node holds
partner data, a `viewed` audit row is written per partner origin (at most once per user, route and
origin per `every_s`, so a map refreshing each second does not flood the log).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from seawatch.share.audit import AuditLog

WATCHED_PREFIXES = ("/api/tracks", "/api/events", "/api/vessels", "/api/share/received")


class PartnerViewAudit(BaseHTTPMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        audit: AuditLog,
        origins: Callable[[], set[str]],
        every_s: float = 60.0,
    ) -> None:
        super().__init__(app)
        self.audit = audit
        self.origins = origins
        self.every_s = every_s
        self._last: dict[tuple[str, str, str], float] = {}

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        path = request.url.path
        if request.method != "GET" or response.status_code >= 400 or not path.startswith(WATCHED_PREFIXES):
            return response
        if path.startswith("/api/share/received"):
            return response  # that route audits itself, item by item
        principal: Any = getattr(request.state, "principal", None)
        if principal is None:
            return response
        route = "/".join(path.split("/")[:3])
        now = time.monotonic()
        fresh = []
        for origin in sorted(self.origins()):
            key = (principal.name, route, origin)
            if now - self._last.get(key, -1e18) >= self.every_s:
                self._last[key] = now
                fresh.append(origin)
        if fresh:
            self.audit.record_view(principal.name, route, fresh)
        return response
