"""Request limits as one ASGI middleware: body size (413) and a per-client token bucket (429).

A client is its bearer token or session cookie when it sends one, else its address. Limits come
from `ApiSettings` (`max_request_bytes`, `rate_limit_per_s`, `rate_limit_burst`).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seawatch.node.metrics import NodeMetrics
from seawatch.node.settings import ApiSettings


class _TooLarge(Exception):
    pass


class TokenBuckets:
    def __init__(self, rate_per_s: float, burst: int, max_clients: int = 10_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate_per_s)
        if len(self._buckets) > self.max_clients:
            self._buckets.clear()
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        return True


def _client_key(scope: Scope) -> str:
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization") or b""
    cookie = headers.get(b"cookie") or b""
    if auth or b"seawatch_session=" in cookie:
        return hashlib.sha1(auth + cookie).hexdigest()
    client = scope.get("client") or ("?", 0)
    return str(client[0])


async def _send_problem(send: Send, status: int, title: str, detail: str, extra: list[Any]) -> None:
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + extra})
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, settings: ApiSettings, metrics: NodeMetrics) -> None:
        self.app = app
        self.max_bytes = settings.max_request_bytes
        self.buckets = TokenBuckets(settings.rate_limit_per_s, settings.rate_limit_burst)
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.buckets.allow(_client_key(scope), time.monotonic()):
            self.metrics.rate_limited += 1
            self.metrics.http_requests["4xx"] += 1
            retry = max(1, int(1 / max(self.buckets.rate_per_s, 1e-3)))
            await _send_problem(
                send,
                429,
                "Too many requests",
                "rate limit exceeded; slow down",
                [(b"retry-after", str(retry).encode())],
            )
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            self.metrics.http_requests["4xx"] += 1
            await _send_problem(
                send, 413, "Request too large", f"body larger than {self.max_bytes} bytes", []
            )
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def counting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self.metrics.http_requests[f"{message['status'] // 100}xx"] += 1
            await send(message)

        try:
            await self.app(scope, limited_receive, counting_send)
        except _TooLarge:
            if not started:
                await _send_problem(
                    send, 413, "Request too large", f"body larger than {self.max_bytes} bytes", []
                )
