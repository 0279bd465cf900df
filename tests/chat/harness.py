"""Chat test nodes: real nodes served by uvicorn in a thread on a free port (HTTP and WebSocket), alone or
federated over a real NATS server, each with an operator and an admin token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.sync.client import ClientConnection, connect

from seawatch.api.auth import add_user, new_token
from seawatch.node.settings import ApiSettings, NodeSettings
from seawatch.store.sqlite import SqliteStore
from tests.node.harness import free_port
from tests.share.helpers import make_settings

ROLES = ("viewer", "operator", "admin")
FAST_API = ApiSettings(rate_limit_per_s=10_000, rate_limit_burst=10_000)


@dataclass
class Served:
    url: str
    tokens: dict[str, str]
    app: Any
    server: uvicorn.Server
    thread: threading.Thread
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str = "operator") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=30
        )

    def ws(self, role: str = "viewer") -> ClientConnection:
        url = self.url.replace("http", "ws") + "/api/live"
        return connect(url, additional_headers={"Authorization": f"Bearer {self.tokens[role]}"})

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)


def password(role: str) -> str:
    return f"pw-{role}-harbour"


def users(data_dir: Path) -> dict[str, str]:
    """An account per role, named after it, with `password(role)` (kept across restarts)."""
    store = SqliteStore(data_dir)
    tokens = {}
    try:
        for role in ROLES:
            if store.user(role) is None:
                add_user(store, role, role, password(role))
            tokens[role] = new_token(store, role, "api", None)
    finally:
        store.close()
    return tokens


def serve(app: Any, port: int, tokens: dict[str, str]) -> Served:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("node did not start")
        time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}", tokens, app, server, thread)


@contextmanager
def lone_node(
    data_dir: Path, node_id: str = "bb", partners: tuple[str, ...] = ("tt", "jm")
) -> Iterator[Served]:
    """A node without a federation running, configured with `partners` (its cases may name them)."""
    from seawatch.api.app import create_app
    from seawatch.node.node import Node

    port = free_port()
    tokens = users(data_dir)
    node = Node(NodeSettings(node_id=node_id, data_dir=data_dir, port=port, api=FAST_API))
    node.set_partners(partners)
    served = serve(create_app(node), port, tokens)
    served.extra["node"] = node
    try:
        yield served
    finally:
        served.stop()


def federated_node(
    node_id: str,
    keys: dict[str, Ed25519PrivateKey],
    tmp: Path,
    policies: dict[str, dict[str, Any]],
    nats_url: str,
    port: int | None = None,
    detect: bool = False,
) -> Served:
    """A federated node (`seawatch node` as the CLI runs it: node, federation and API on one loop);
    `detect`: with the node's live detectors (a go-fast sailed through its API raises an alert)."""
    from seawatch.server import federated_app
    from seawatch.share.service import FederatedNode

    data_dir = tmp / node_id / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    tokens = users(data_dir)
    settings = NodeSettings(node_id=node_id, data_dir=data_dir, port=port, api=FAST_API)
    share = make_settings(node_id, keys, tmp, policies, nats_url)
    fnode = FederatedNode(settings, share, detectors=None if detect else [])
    served = serve(federated_app(fnode), port, tokens)
    served.extra["fnode"] = fnode
    served.extra["port"] = port
    return served


def wait_for(cond: Callable[[], Any], timeout_s: float = 30.0, step_s: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = cond()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step_s)


def ws_collect(
    ws: ClientConnection, kind: str, want: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """Live messages of `kind` read from the socket until `want(seen)` holds (or the time is up)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while not want(seen) and time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        if message.get("kind") == kind:
            seen.append(message["data"])
    return seen
