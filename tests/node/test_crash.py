"""Crash test: kill -9 a node subprocess mid-ingest; after restart nothing acknowledged is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from seawatch.store.sqlite import SqliteStore
from tests.node.harness import free_port, prepare_users
from tests.shared import require_shared


def _start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "seawatch", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _health(url: str, token: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"node exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            response = httpx.get(f"{url}/api/health", headers={"Authorization": f"Bearer {token}"}, timeout=5)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("node did not answer")


@pytest.mark.timeout(400)
def test_kill_9_mid_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    source = require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
    data_dir = tmp_path / "node"
    tokens, _ = prepare_users(data_dir)
    port = free_port()
    config = tmp_path / "node.toml"
    config.write_text(
        f'node_id = "crash"\ndata_dir = "{data_dir}"\nport = {port}\n'
        f'[pipeline]\ntracker = "latest"\n'  # durability is the same with any track stage
        f'[[feeds]]\nname = "us"\nkind = "file"\npaths = ["{source}"]\nspeed = 0\n'
    )
    url = f"http://127.0.0.1:{port}"
    proc = _start(config)
    try:
        acknowledged = 0
        deadline = time.monotonic() + 240  # a hang guard (slow only on a loaded machine), not a speed claim
        while acknowledged < 10_000:
            assert time.monotonic() < deadline, "ingest stalled"
            acknowledged = int(_health(url, tokens["viewer"], proc)["acknowledged"]["positions"])  # type: ignore[index]
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert acknowledged < 235_967, "replay finished before the kill: the test proved nothing"

    store = SqliteStore(data_dir)
    kept = store.acknowledged()["positions"]
    assert kept >= acknowledged
    assert store.position_count() == kept  # every acknowledged position is in the history
    store.close()

    config.write_text(f'node_id = "crash"\ndata_dir = "{data_dir}"\nport = {port}\n')
    proc = _start(config)
    try:
        health = _health(url, tokens["viewer"], proc)
        assert health["acknowledged"]["positions"] == kept  # type: ignore[index]
        assert int(health["live_tracks"]) > 0  # type: ignore[call-overload]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
