"""Rate limit and body limit middleware; the node's commands (`user`, `settings`, `ingest`)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import polars as pl
import pytest
from fastapi import FastAPI

from seawatch.api.limits import LimitsMiddleware, TokenBuckets
from seawatch.cli import main
from seawatch.node.metrics import NodeMetrics
from seawatch.node.settings import ApiSettings
from seawatch.store.sqlite import SqliteStore
from tests.node.harness import RunningNode


def test_token_bucket_refills() -> None:
    buckets = TokenBuckets(rate_per_s=2.0, burst=3)
    assert [buckets.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.allow("b", 0.0)  # per client
    assert buckets.allow("a", 0.5) and not buckets.allow("a", 0.5)


async def test_flood_gets_429_and_oversize_413() -> None:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, object]) -> dict[str, object]:
        return body

    def identify(scope: dict[str, object]) -> str | None:  # "Bearer good-*" authenticates
        auth = dict(scope["headers"]).get(b"authorization", b"")  # type: ignore[call-overload]
        return auth.decode()[12:] if auth.startswith(b"Bearer good-") else None

    metrics = NodeMetrics()
    limited = LimitsMiddleware(
        app, ApiSettings(rate_limit_per_s=1, rate_limit_burst=5, max_request_bytes=100), metrics, identify
    )
    transport = httpx.ASGITransport(app=limited)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        statuses = [(await client.post("/echo", json={"a": 1})).status_code for _ in range(8)]
        other = await client.post("/echo", json={"a": 1}, headers={"Authorization": "Bearer good-other"})
        forged = await client.post("/echo", json={"a": 1}, headers={"Authorization": "Bearer made-up"})
        big = await client.post(
            "/echo", content=json.dumps({"a": "x" * 200}), headers={"Authorization": "Bearer good-big"}
        )
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3
    assert other.status_code == 200  # an authenticated user has their own bucket
    assert forged.status_code == 429  # an invalid credential counts as the address, like none
    assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"
    assert metrics.rate_limited == 4


def test_user_and_settings_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "node"
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    assert main(["user", "add", "chief", "--role", "admin", "--password-stdin", "--data-dir", str(data)]) == 0
    assert main(["user", "token", "chief", "--data-dir", str(data)]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) > 30
    store = SqliteStore(data)
    from seawatch.api.auth import token_hash, verify_password

    assert verify_password(store.password_hash("chief"), "a-long-password")
    assert store.user("chief").role == "admin"  # type: ignore[union-attr]
    assert store.token_user(token_hash(token), store.user("chief").created_at) is not None  # type: ignore[union-attr]
    store.close()
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["user", "add", "x", "--password-stdin", "--data-dir", str(data)]) == 1
    monkeypatch.setenv("SEAWATCH_NODE_ID", "from-env")
    assert main(["settings", "--port", "9999"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["node_id"] == "from-env" and shown["port"] == 9999 and shown["host"] == "127.0.0.1"


def test_ingest_command_sends_acknowledged_observations(
    live_node: RunningNode, us_slice: Path, tmp_path: Path
) -> None:
    part = tmp_path / "part.csv"
    pl.read_csv(us_slice).head(700).write_csv(part)
    before = live_node.node.store.acknowledged()["positions"]
    done = subprocess.run(
        [sys.executable, "-m", "seawatch", "ingest", str(part), "--to", live_node.url, "--batch", "300"],
        env={"SEAWATCH_TOKEN": live_node.tokens["operator"], "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "700 observations acknowledged" in done.stderr
    assert live_node.node.store.acknowledged()["positions"] - before == 700
    refused = subprocess.run(
        [sys.executable, "-m", "seawatch", "ingest", str(part), "--to", live_node.url],
        env={"SEAWATCH_TOKEN": live_node.tokens["viewer"], "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1 and "403" in refused.stderr
