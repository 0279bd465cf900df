"""Request limits as one ASGI middleware: body size (413), JSON nesting depth (422) and a per-client
token bucket (429).

A client is the user its credential authenticates, else its address: a random or stale bearer token
or cookie costs exactly what no credential costs, so it cannot buy a fresh bucket. The buckets are
kept in least-recently-seen order and only the oldest are evicted beyond `rate_limit_clients` (a
flood of new addresses never resets everyone). Limits come from `ApiSettings`.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seawatch.node.metrics import NodeMetrics
from seawatch.node.settings import ApiSettings

Identify = Callable[[Scope], str | None]  # the authenticated user of a request, or None


class _TooLarge(Exception):
    pass


class TokenBuckets:
    def __init__(self, rate_per_s: float, burst: int, max_clients: int = 10_000) -> None:
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate_per_s)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)  # the least recently seen client
        return allowed


def client_address(scope: Scope) -> str:
    client = scope.get("client") or ("?", 0)
    return str(client[0])


# a string, or an unterminated one running to the end: every match attempt succeeds, so linear time
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
# case attachments are files, not JSON: their own (larger) limit, `max_attachment_bytes`
_ATTACHMENT_PATH = re.compile(r"^/api/cases/[^/]+/attachments$")
_DEPTH = np.zeros(256, dtype=np.int8)
_DEPTH[[ord("["), ord("{")]] = 1
_DEPTH[[ord("]"), ord("}")]] = -1


def json_depth(body: bytes) -> int:
    """Deepest nesting of arrays/objects in a JSON text (linear time; brackets inside strings ignored)."""
    skeleton = _STRING.sub(b'""', body)
    if not skeleton:
        return 0
    steps = _DEPTH[np.frombuffer(skeleton, dtype=np.uint8)].astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


async def _send_problem(send: Send, status: int, title: str, detail: str, extra: list[Any]) -> None:
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + extra})
    await send({"type": "http.response.body", "body": body})


def _is_json(headers: dict[bytes, bytes]) -> bool:
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return not kind or kind == b"application/json" or kind.endswith(b"+json")  # FastAPI reads none as JSON


class LimitsMiddleware:
    def __init__(
        self, app: ASGIApp, settings: ApiSettings, metrics: NodeMetrics, identify: Identify | None = None
    ) -> None:
        self.app = app
        self.max_bytes = settings.max_request_bytes
        self.max_attachment_bytes = max(settings.max_attachment_bytes, settings.max_request_bytes)
        self.max_depth = settings.max_json_depth
        self.buckets = TokenBuckets(
            settings.rate_limit_per_s, settings.rate_limit_burst, settings.rate_limit_clients
        )
        self.metrics = metrics
        self.identify = identify

    def client_key(self, scope: Scope) -> str:
        user = self.identify(scope) if self.identify is not None else None
        return f"user:{user}" if user is not None else f"addr:{client_address(scope)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = scope["type"] == "websocket"  # handshakes are counted like requests
        if websocket and not self.buckets.allow(self.client_key(scope), time.monotonic()):
            self.metrics.rate_limited += 1
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1013, "reason": "rate limit exceeded"})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.buckets.allow(self.client_key(scope), time.monotonic()):
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
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        limit = self.max_attachment_bytes if _ATTACHMENT_PATH.match(scope.get("path", "")) else self.max_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            self.metrics.http_requests["4xx"] += 1
            await _send_problem(send, 413, "Request too large", f"body larger than {limit} bytes", [])
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def counting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self.metrics.http_requests[f"{message['status'] // 100}xx"] += 1
            await send(message)

        try:
            if scope.get("method") in ("POST", "PUT", "PATCH") and _is_json(headers):
                body, more = await self._read_body(limited_receive)
                depth = json_depth(body)
                if depth > self.max_depth:
                    self.metrics.http_requests["4xx"] += 1
                    await _send_problem(
                        send,
                        422,
                        "Invalid input",
                        f"body: JSON nested {depth} deep (at most {self.max_depth})",
                        [],
                    )
                    return
                await self.app(scope, _replay(body, more), counting_send)
            else:
                await self.app(scope, limited_receive, counting_send)
        except _TooLarge:
            if not started:
                self.metrics.http_requests["4xx"] += 1
                await _send_problem(send, 413, "Request too large", f"body larger than {limit} bytes", [])

    @staticmethod
    async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
        parts: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: let the app see it
                return b"".join(parts), _then(message, receive)
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(parts), receive


def _then(first: Message, receive: Receive) -> Receive:
    """A `receive` that gives `first` once, then defers to `receive`."""
    pending = [first]

    async def then() -> Message:
        return pending.pop() if pending else await receive()

    return then


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the already-read body once, then whatever comes next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
