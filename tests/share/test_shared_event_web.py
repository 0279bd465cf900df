"""A partner's event on the page (Chromium, a real `seawatch node` process fed over NATS by bb's
federation): the alert says who shared it and which positions bb's policy withheld, and opening it says
why no track or history is held here instead of a bare "Not found". Screenshots at 1366x768 and
2560x1440 in test-artifacts/web/."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seawatch.share.envelope import private_key_to_text, public_key_to_text
from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.transport import NatsTransport
from tests.share.helpers import BB_EEZ, make_keys, make_settings
from tests.share.test_node_cli import _cli, _wait_port
from tests.web.harness import ARTIFACTS, launched_chromium

pytestmark = pytest.mark.broker
PASSWORD = "harbour-lights-42"


def _tt_config(port: int, url: str, bb_public: str) -> str:
    return f"""node_id = "tt"
data_dir = "tt-data"
port = {port}

[federation]
nats_url = "{url}"
allow_insecure_broker = true
private_key_file = "keys/tt.key"

[[federation.partners]]
id = "bb"
public_key = "{bb_public}"
"""


async def _share_event(tmp: Path, keys: dict, url: str) -> None:
    """bb shares an encounter whose end lies outside the area bb shares with tt: withheld."""
    policy = {"event_types": ["*"], "areas": [BB_EEZ]}
    bb = Federation(make_settings("bb", keys, tmp, {"tt": policy}, url), NatsTransport(url))
    await bb.transport.start()
    try:
        now = time.time()
        event = {
            "id": "bb-encounter-1",
            "type": "encounter",
            "severity": "alert",
            "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600)),
            "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 600)),
            "mmsi": [314_000_111, 314_000_222],
            "lat": 13.1,
            "lon": -59.4,
            "details": {"duration_s": 3000.0, "end_lat": 17.9, "end_lon": -76.8},
        }
        assert bb.publish({"kind": "event", "data": event}) == 1
        while bb.db.outbox_size():
            await bb.send_due()
    finally:
        await bb.transport.close()
        bb.close()


def test_partner_event_says_what_was_withheld(tmp_path: Path, nats_server: LocalNatsServer) -> None:
    keys = make_keys(["bb", "tt"])
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "tt.key").write_text(private_key_to_text(keys["tt"]))
    port = free_port()
    (tmp_path / "tt.toml").write_text(
        _tt_config(port, nats_server.url, public_key_to_text(keys["bb"].public_key()))
    )
    _cli("user", "add", "officer", "--config", "tt.toml", "--role", "operator", "--password-stdin",
         cwd=tmp_path, stdin=f"{PASSWORD}\n")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with open(tmp_path / "tt.log", "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "seawatch", "node", "--config", "tt.toml"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        _wait_port(port, proc, timeout_s=120)
        asyncio.run(_share_event(tmp_path / "bb-side", keys, nats_server.url))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with launched_chromium() as browser:
            for width, height in ((1366, 768), (2560, 1440)):
                page = browser.new_page(
                    viewport={"width": width, "height": height}, base_url=f"http://127.0.0.1:{port}"
                )
                page.goto("/")
                page.wait_for_selector("[data-testid=login-screen]:visible, [data-testid=app]:visible")
                if page.get_by_test_id("login-screen").is_visible():
                    page.get_by_test_id("login-username").fill("officer")
                    page.get_by_test_id("login-password").fill(PASSWORD)
                    page.get_by_test_id("login-submit").click()
                share = page.locator("[data-testid=alert-share]").first
                share.wait_for(timeout=60_000)
                assert share.inner_text() == "shared by bb · bb withheld: end position"
                page.locator("[data-testid=alert-item]").first.click()
                note = page.get_by_test_id("dossier-share")
                note.wait_for(timeout=30_000)
                assert "bb withheld: end position" in note.inner_text()
                page.wait_for_selector("[data-testid=dossier-events]", timeout=30_000)
                body = page.get_by_test_id("dossier-panel").inner_text()
                assert "Not found" not in body
                error = page.get_by_test_id("dossier-error")
                if error.count():
                    assert error.inner_text().startswith("No track or history of this vessel is held here")
                page.wait_for_timeout(800)
                page.screenshot(path=str(ARTIFACTS / f"shared-event-withheld-{width}x{height}.png"))
                page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
