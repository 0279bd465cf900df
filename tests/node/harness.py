"""A real node with its API, run by uvicorn in a thread on a free port (for API and WebSocket tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
import uvicorn

from seawatch.api.app import create_app
from seawatch.api.auth import add_user, new_token
from seawatch.node.node import Node
from seawatch.node.settings import NodeSettings
from seawatch.share.localbroker import free_port as free_port  # re-exported: the node tests take it from here
from seawatch.store.sqlite import SqliteStore

ROLE_USERS = ("viewer", "operator", "analyst", "admin")


def caribbean_slice(source: Path, dest: Path) -> Path:
    """The Gulf of Mexico / Caribbean part of the real US coastal day, as a CSV in a temp folder."""
    frame = pl.read_csv(source)
    frame.filter((pl.col("lat") < 31) & (pl.col("lon") > -98) & (pl.col("lon") < -60)).write_csv(dest)
    return dest


@dataclass
class RunningNode:
    url: str
    node: Node
    tokens: dict[str, str]
    passwords: dict[str, str]
    app: object = None

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def prepare_users(data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    store = SqliteStore(data_dir)
    tokens, passwords = {}, {}
    for role in ROLE_USERS:
        passwords[role] = f"pw-{role}-secret"
        add_user(store, role, role, passwords[role])
        tokens[role] = new_token(store, role, "api", None)
    store.close()
    return tokens, passwords


@contextmanager
def running_node(
    settings: NodeSettings, wait_feeds: bool = True, timeout_s: float = 90.0
) -> Iterator[RunningNode]:
    tokens, passwords = prepare_users(settings.data_dir)
    node = Node(settings)
    app = create_app(node)
    config = uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("node did not start")
        time.sleep(0.05)
    running = RunningNode(f"http://127.0.0.1:{settings.port}", node, tokens, passwords, app)
    try:
        if wait_feeds:
            deadline = time.monotonic() + timeout_s
            while not (node.feeds_done() and node.metrics.batches and node.gauges()["queue_depth"] == 0):
                if time.monotonic() > deadline:
                    raise RuntimeError("feeds did not finish in time")
                time.sleep(0.1)
            time.sleep(0.5)  # last batch committed
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=30)
