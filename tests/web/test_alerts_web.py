"""The alert panel and watched zones in Chromium, against the real node of tests/web/conftest.py.

A go-fast is sailed (posted as observations) by a vessel with a real name; two operators watch the
panel; zones of every kind the page offers are drawn with the mouse and crossed by a vessel.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.web.harness import ARTIFACTS, NodeProcess, login, shot

SECOND_OPERATOR, SECOND_PASSWORD = "second-officer", "lighthouse-keeper-77"
_mmsi = itertools.count(338_100_000)


def _at(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _sail(
    client: httpx.Client, mmsi: int, start_s: float, lat: float, lon: float, kn: float, minutes: int
) -> None:
    """One fix a minute due east at `kn` knots from (lat, lon)."""
    step_deg = kn * 1852 / 60 / (111_320 * max(0.2, abs(math.cos(math.radians(lat)))))
    fixes = [
        {
            "time": _at(start_s + 60 * m),
            "lat": lat,
            "lon": lon + step_deg * m,
            "mmsi": mmsi,
            "sog_kn": kn,
            "cog_deg": 90.0,
        }
        for m in range(minutes)
    ]
    client.post("/api/observations", json={"observations": fixes}).raise_for_status()


def _data_time_s(client: httpx.Client) -> float:
    return datetime.fromisoformat(client.get("/api/tracks").json()["time"].replace("Z", "+00:00")).timestamp()


def _race(client: httpx.Client, mmsi: int, lat: float, lon: float) -> dict[str, Any]:
    """`mmsi` races at 30 kn for 20 min in the open Gulf: its go-fast event."""
    _sail(client, mmsi, _data_time_s(client) - 22 * 60, lat, lon, 30.0, 21)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = client.get("/api/events", params={"type": "speed_anomaly", "mmsi": mmsi}).json()
        if events:
            return dict(events[0])
        time.sleep(0.3)
    raise AssertionError(f"the go-fast of {mmsi} raised no speed_anomaly")


@pytest.fixture(scope="module")
def go_fast(node: NodeProcess) -> dict[str, Any]:
    """The named spare vessel races: a go-fast alert that carries its name."""
    assert node.spare is not None
    with node.client() as client:
        return _race(client, node.spare.mmsi, 25.2, -90.8)


@pytest.fixture(scope="module")
def second_operator(node: NodeProcess) -> dict[str, str]:
    with node.client() as admin:
        made = admin.post(
            "/api/users", json={"name": SECOND_OPERATOR, "role": "operator", "password": SECOND_PASSWORD}
        )
        assert made.status_code in (201, 409), made.text
    return {"user": SECOND_OPERATOR, "password": SECOND_PASSWORD}


def _sign_in_as(
    browser: Any, node: NodeProcess, user: str, password: str, width: int = 1366, height: int = 768
) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=node.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    page.get_by_test_id("login-username").fill(user)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.errors = errors
    return context, page


def _item(page: Any, event_id: str) -> Any:
    return page.locator(f"li[data-event-id='{event_id}']")


def test_alert_shows_name_and_reason(page: Any, node: NodeProcess, go_fast: dict[str, Any]) -> None:
    assert node.spare is not None
    login(page, node)
    item = _item(page, go_fast["id"])
    item.wait_for()
    assert (
        item.get_attribute("data-testid") == "alert-item" and item.get_attribute("data-severity") == "alert"
    )
    who = item.get_by_test_id("alert-who").inner_text()
    why = item.get_by_test_id("alert-why").inner_text()
    assert node.spare.name in who and str(node.spare.mmsi) in who
    assert "median speed 30.0 kn ≥ 25.0 kn" in why and "≥ 10 min" in why
    # go-fasts rank with the other alerts; notices are listed apart
    assert page.locator("[data-testid=alert-list] [data-testid=notice-item]").count() == 0
    # a click centres the map on it and opens the dossier with its real identity
    item.click()
    page.wait_for_selector("[data-testid=dossier-panel][data-state=ready]", state="attached")
    shot(page, "12-go-fast-alert")


def test_acknowledge_and_dismiss_survive_reload_and_reach_a_second_operator(
    browser: Any, node: NodeProcess, go_fast: dict[str, Any], second_operator: dict[str, str]
) -> None:
    first_ctx, first = _sign_in_as(browser, node, node.user, node.password)
    second_ctx, second = _sign_in_as(browser, node, second_operator["user"], second_operator["password"])
    try:
        with node.client() as client:
            other_id = _race(client, next(_mmsi), 24.8, -91.4)["id"]
        ack_id = go_fast["id"]
        _item(first, other_id).wait_for()  # live, over the WebSocket
        _item(first, ack_id).get_by_test_id("alert-ack").click()
        dismissed = _item(first, other_id)
        dismissed.get_by_test_id("alert-dismiss").click()
        dismissed.get_by_test_id("alert-reason").fill("patrol boat on scene, known vessel")
        dismissed.get_by_test_id("alert-dismiss-confirm").click()
        first.wait_for_selector(f"li[data-event-id='{other_id}'][data-state=dismissed]", state="attached")
        assert _item(first, ack_id).get_attribute("data-state") == "acknowledged"
        assert dismissed.is_hidden()  # dismissed alerts leave the list unless "handled" is ticked

        # the second operator sees both changes live, with who did it and why
        second.wait_for_selector(f"li[data-event-id='{ack_id}'][data-state=acknowledged]", state="attached")
        second.wait_for_selector(f"li[data-event-id='{other_id}'][data-state=dismissed]", state="attached")
        assert (
            f"acknowledged by {node.user}" in _item(second, ack_id).get_by_test_id("alert-state").inner_text()
        )
        second.get_by_test_id("alert-show-handled").check()
        shown = _item(second, other_id).get_by_test_id("alert-state").inner_text()
        assert "dismissed by" in shown and "patrol boat on scene" in shown

        # and both survive a reload
        first.reload()
        first.wait_for_selector("body[data-ready='1']", state="attached")
        assert _item(first, ack_id).get_attribute("data-state") == "acknowledged"
        assert _item(first, other_id).get_attribute("data-state") == "dismissed"
        shot(first, "10-alert-acknowledged")
        assert not first.errors and not second.errors
    finally:
        first_ctx.close()
        second_ctx.close()


def test_severity_filter_is_remembered_per_user(
    browser: Any, node: NodeProcess, second_operator: dict[str, str]
) -> None:
    first_ctx, first = _sign_in_as(browser, node, node.user, node.password)
    second_ctx, second = _sign_in_as(browser, node, second_operator["user"], second_operator["password"])
    try:
        first.get_by_test_id("alert-level").select_option("all")
        assert first.get_by_test_id("notices-panel").is_visible()
        with node.client() as client:
            for _ in range(50):  # the page saves it in the background
                if client.get("/api/me/profile").json()["values"].get("alerts.severity") == "all":
                    break
                time.sleep(0.1)
        first.reload()
        first.wait_for_selector("body[data-ready='1']", state="attached")
        assert first.get_by_test_id("alert-level").input_value() == "all"
        second.reload()
        second.wait_for_selector("body[data-ready='1']", state="attached")
        assert second.get_by_test_id("alert-level").input_value() == "alert"
        assert second.get_by_test_id("notices-panel").is_hidden()
    finally:
        first.get_by_test_id("alert-level").select_option("alert")
        first_ctx.close()
        second_ctx.close()


@pytest.fixture
def gulf_page(browser: Any, node: NodeProcess, session_cookie: dict[str, str]) -> Iterator[Any]:
    """A laptop-size context signed in (session cookie); the test opens the map over open water in the
    middle of the Gulf (`?view=`, zoom 9) to draw zones."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=node.url)
    context.add_cookies([session_cookie])
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
        assert not errors, errors
    finally:
        context.close()


def _draw_box(page: Any, half_w: float = 90, half_h: float = 60) -> None:
    box = page.get_by_test_id("map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.get_by_test_id("zone-draw").click()
    corners = [
        (cx - half_w, cy - half_h),
        (cx + half_w, cy - half_h),
        (cx + half_w, cy + half_h),
        (cx - half_w, cy + half_h),
    ]
    for x, y in corners:
        page.mouse.click(x, y)
        page.wait_for_timeout(100)
    page.mouse.click(*corners[0])  # close the ring
    page.get_by_test_id("zone-form").wait_for()


def test_a_zone_drawn_with_each_kind_the_page_offers_is_watched(gulf_page: Any, node: NodeProcess) -> None:
    page = gulf_page
    login(page, node, "/?view=25.5,-91.5,9")  # open water in the middle of the Gulf
    kinds = page.eval_on_selector_all("[data-testid=zone-kind] option", "els => els.map(e => e.value)")
    with node.client() as client:
        assert kinds == [k["kind"] for k in client.get("/api/zones/kinds").json()["kinds"]]
    assert "custom" in kinds and "user" not in kinds
    made: list[str] = []
    try:
        for kind in kinds:
            name = f"watched {kind}"
            _draw_box(page)
            page.get_by_test_id("zone-name").fill(name)
            page.get_by_test_id("zone-kind").select_option(kind)
            page.get_by_test_id("zone-save").click()
            page.locator("[data-testid=zone-item]", has_text=name).wait_for()
            if kind == kinds[0]:
                shot(page, "11-zone-drawn")
            with node.client() as client:
                zone = next(
                    z for z in client.get("/api/zones").json()["features"] if z["properties"]["name"] == name
                )
                made.append(zone["id"])
                assert zone["properties"]["kind"] == kind
                ring = zone["geometry"]["coordinates"][0]
                lons, lats = [p[0] for p in ring], [p[1] for p in ring]
                lat = (min(lats) + max(lats)) / 2
                mmsi = next(_mmsi)
                # from 0.1° west of the box to its middle at 12 kn: crosses its west edge once
                lon0 = min(lons) - 0.1
                minutes = int(((min(lons) + max(lons)) / 2 - lon0) / (12 * 1852 / 60 / 111_320 / 0.9)) + 2
                _sail(client, mmsi, _data_time_s(client) - (minutes + 1) * 60, lat, lon0, 12.0, minutes)
                entries = client.get("/api/events", params={"type": "zone_entry", "mmsi": mmsi}).json()
            assert [e["details"]["zone_id"] for e in entries] == [zone["id"]], kind
            assert entries[0]["details"]["zone_kind"] == kind
            # the page lists it: as an alert for watched kinds, else among the notices
            page.wait_for_selector(f"li[data-event-id='{entries[0]['id']}']", state="attached")
            # deleted (two clicks: the first arms the button): the next kind's box is drawn in the same place
            listed = page.locator("[data-testid=zone-item]", has_text=name)
            listed.get_by_test_id("zone-delete").click()
            listed.get_by_test_id("zone-delete").click()
            listed.wait_for(state="detached")
    finally:
        with node.client() as client:
            for zone_id in made:
                client.delete(f"/api/zones/{zone_id}")
    assert ARTIFACTS.is_dir()
