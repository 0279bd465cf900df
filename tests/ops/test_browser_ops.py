"""Interdiction in the browser (Debian Chromium via Playwright) against a real `seawatch serve` process.

Two go-fasts reach the node as radar contacts posted to its API (the real pipeline tracks them and its
detectors raise the alerts): one off Antigua that a ready boat can catch inside the territorial sea,
one far out that no asset can reach. Two operators watch; one tasks the best asset from the alert.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from seawatch.ops.tak import cot_event
from tests.web.harness import (
    ARTIFACTS,
    SESSION_COOKIE,
    free_port,
    launched_chromium,
    radar_run,
    require_built_page,
    seawatch,
    serving,
    shot,
)

pytestmark = pytest.mark.browser
OPERATORS = {"op-alpha": "anchor-watch-17", "op-bravo": "anchor-watch-18"}
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
FLEET = f"""
[[assets]]
id = "CG-1"
name = "Liberta"
kind = "boat"
home_base = "St John's"
base_lat = 17.13
base_lon = -61.90
max_speed_kn = 40
cruise_speed_kn = 25
endurance_h = 8
fuel_range_nm = 200
crew = 5
tak_uid = "ANDROID-liberta"

[[assets]]
id = "CG-2"
name = "Palmetto"
kind = "boat"
home_base = "St John's"
base_lat = 17.12
base_lon = -61.88
max_speed_kn = 45
cruise_speed_kn = 25
endurance_h = 8
fuel_range_nm = 200
crew = 4
readiness = {{ state = "maintenance", until = "{TOMORROW}", reason = "gearbox" }}

[[assets]]
id = "AIR-1"
name = "Islander"
kind = "aircraft"
home_base = "V. C. Bird"
base_lat = 17.14
base_lon = -61.79
max_speed_kn = 150
cruise_speed_kn = 120
endurance_h = 5
fuel_range_nm = 600
crew = 2
readiness = {{ state = "standby", notice_h = 2 }}
"""


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    require_built_page()
    base = tmp_path_factory.mktemp("opsweb")
    tak_port = free_port()
    config = base / "node.toml"
    config.write_text(
        'node_id = "antigua"\n[api]\nrate_limit_per_s = 10000\nrate_limit_burst = 10000\n'
        + FLEET
        + f'\n[[tak]]\nname = "crews"\nlisten = "udp+ro://127.0.0.1:{tak_port}"\n',
        encoding="utf-8",
    )
    common = ["--config", str(config), "--data-dir", str(base / "data")]
    for user, password in OPERATORS.items():
        seawatch(
            "user",
            "add",
            user,
            "--role",
            "operator",
            "--password-stdin",
            *common,
            input=f"{password}\n".encode(),
        )
    with serving(common, ARTIFACTS / "ops-node.log") as (url, _):
        yield url, tak_port


def _cookie(url: str, user: str) -> dict[str, str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post(
            "/api/auth/login", json={"username": user, "password": OPERATORS[user]}
        ).raise_for_status()
        value = client.cookies.get(SESSION_COOKIE)
    assert value
    return {"name": SESSION_COOKIE, "value": value, "url": url}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def _open(browser: Any, url: str, user: str, width: int, height: int) -> tuple[Any, Any, list[str]]:
    # Playwright's string waits (wait_for_function) are evaluated like eval(), which the node's CSP
    # forbids; the page itself under its CSP is proven in tests/security/test_page_csp.py
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=url, bypass_csp=True)
    context.add_cookies([_cookie(url, user)])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(30_000)
    page.goto("/")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    return context, page, errors


def _centre_on_fleet(page: Any) -> None:
    """Click the first fleet item (the map zooms to it) and wait until the zoom has settled."""
    page.get_by_test_id("fleet-item").first.click()
    page.wait_for_function(
        "() => +((document.querySelector('[data-testid=map]').dataset.center || '0,0,0').split(',')[2]) >= 9"
    )
    page.wait_for_timeout(400)  # the zoom animation's last frame


def _first_alert(page: Any) -> dict[str, str]:
    return page.eval_on_selector(
        "[data-testid=alert-list] > li",
        "li => { const i = li.querySelector('[data-testid=alert-intercept]');"
        " return {type: li.dataset.eventType, asset: i?.dataset.asset, reachable: i?.dataset.reachable,"
        " eta: li.querySelector('[data-testid=alert-eta]')?.textContent}; }",
    )


async def _send_udp(port: int, data: bytes) -> None:
    import pytak

    _, writer = await pytak.create_udp_client(urlparse(f"udp+wo://127.0.0.1:{port}"))
    await writer.send(data)


def test_operator_tasks_the_best_asset_and_everyone_sees_it(
    browser: Any, ops_server: tuple[str, int]
) -> None:
    url, tak_port = ops_server
    end = datetime.now(UTC).replace(microsecond=0)
    with httpx.Client(base_url=url, timeout=30) as api:
        api.cookies.set(SESSION_COOKIE, _cookie(url, "op-alpha")["value"])
        near = radar_run("ANU7", 17.05, -62.04, 250.0, 25.0, end - timedelta(seconds=30))
        far = radar_run("FAR3", 13.0, -75.0, 200.0, 32.0, end)
        for fixes in (near, far):  # the far one last: newest first would show it on top
            api.post("/api/observations", json={"observations": fixes}).raise_for_status()
        deadline = time.monotonic() + 60
        while True:
            ranked = api.get("/api/ops/alerts").json()
            if len(ranked) >= 2 and all(r["intercept"].get("reason") != "not planned yet" for r in ranked):
                break
            assert time.monotonic() < deadline, f"alerts not ranked: {ranked}"
            time.sleep(0.3)

    alpha_ctx, alpha, alpha_errors = _open(browser, url, "op-alpha", 1366, 768)
    bravo_ctx, bravo, bravo_errors = _open(browser, url, "op-bravo", 2560, 1440)
    try:
        # newest first, the unreachable far go-fast is on top; by interceptability the Antigua go-fast is
        alpha.wait_for_function("document.querySelectorAll('[data-testid=alert-intercept]').length >= 2")
        alpha.get_by_test_id("alert-order").select_option("intercept")
        first = _first_alert(alpha)
        assert first["type"] == "speed_anomaly", first
        assert first["reachable"] == "1" and first["asset"] == "CG-1"
        assert first["eta"] and first["eta"].startswith("ETA ")
        unreachable = alpha.locator("[data-testid=alert-intercept][data-reachable='0']")
        assert unreachable.count() >= 1
        assert "no asset can reach it" in unreachable.first.inner_text()
        # the boat in maintenance and the aircraft on standby are shown as such
        assert (
            alpha.locator("[data-testid=fleet-item][data-asset-id=CG-2]").get_attribute("data-state")
            == "maintenance"
        )
        assert (
            alpha.locator("[data-testid=fleet-item][data-asset-id=AIR-1]").get_attribute("data-state")
            == "standby"
        )
        _centre_on_fleet(alpha)
        shot(alpha, "ops-alerts-1366")

        alpha.locator("[data-testid=alert-list] > li").first.get_by_test_id("alert-task").click()
        for page in (alpha, bravo):  # the route and the state reach both operators
            page.wait_for_selector("path.intercept-route", state="attached")
            page.wait_for_selector(
                "[data-testid=asset-marker][data-asset-id=CG-1][data-state=on_task]", state="attached"
            )
            page.wait_for_selector(
                "[data-testid=fleet-item][data-asset-id=CG-1][data-state=on_task]", state="attached"
            )
        shot(alpha, "ops-tasked-1366")
        _centre_on_fleet(bravo)
        shot(bravo, "ops-tasked-2560")

        # the crew's TAK device reports the boat under way: its symbol moves on both screens
        moved = cot_event("ANDROID-liberta", "a-f-S-X-L", 17.10, -61.98, datetime.now(UTC))
        sender = threading.Thread(
            target=asyncio.run, args=(_send_udp(tak_port, moved),)
        )  # Playwright owns this loop
        sender.start()
        sender.join(30)
        for page in (alpha, bravo):
            page.wait_for_selector(
                "[data-testid=asset-marker][data-asset-id=CG-1][data-source=tak][data-lat='17.1'][data-lon='-61.98']",
                state="attached",
            )

        # released from the other operator's screen: ready again everywhere, route gone
        bravo.locator("[data-testid=fleet-item][data-asset-id=CG-1]").get_by_test_id("asset-release").click()
        for page in (alpha, bravo):
            page.wait_for_selector(
                "[data-testid=fleet-item][data-asset-id=CG-1][data-state=ready]", state="attached"
            )
            page.wait_for_selector("path.intercept-route", state="detached")
        assert not alpha_errors and not bravo_errors, alpha_errors + bravo_errors
    finally:
        alpha_ctx.close()
        bravo_ctx.close()
