"""The web picture in headless Chromium against a real node fed with the real US coastal day (Gulf slice).

Each test signs in on a fresh browser context, does what a watch officer does, checks the page against the
node's own API, and saves a screenshot in test-artifacts/web/.
"""

from __future__ import annotations

import math
import re
import time
from datetime import datetime
from typing import Any

import pytest

from tests.web.harness import NodeProcess, login, shot

pytestmark = pytest.mark.browser


def _picture_time(page: Any) -> datetime:
    # the clock shows the time in the user's locale; data-at has it in ISO 8601
    page.wait_for_function(
        "(document.querySelector('[data-testid=picture-time]').dataset.at || '').startsWith('20')"
    )
    text = page.get_by_test_id("picture-time").get_attribute("data-at")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _track_ids_on_map(page: Any) -> set[str]:
    ids = page.eval_on_selector_all("[data-testid=track-marker]", "els => els.map(e => e.dataset.trackId)")
    return set(ids)


def _wait_data_time(node: NodeProcess, at_least: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while (node.data_time() or "") < at_least:
        assert time.monotonic() < deadline, f"node data time did not reach {at_least}"
        time.sleep(0.5)


def test_wrong_password_is_refused_then_sign_in_works(anonymous_page: Any, node: NodeProcess) -> None:
    page = anonymous_page
    page.goto("/")
    page.get_by_test_id("login-form").wait_for()
    page.get_by_test_id("login-username").fill(node.user)
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    page.wait_for_function("document.querySelector('[data-testid=login-error]').textContent.length > 0")
    assert "wrong" in page.get_by_test_id("login-error").inner_text()
    assert page.get_by_test_id("app").is_hidden()

    page.get_by_test_id("login-password").fill(node.password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    assert page.get_by_test_id("app").is_visible()
    assert node.user in page.get_by_test_id("user-name").inner_text()
    assert page.get_by_test_id("login-screen").is_hidden()


def test_a_viewer_sees_the_picture_but_no_editing_tools(anonymous_page: Any, node: NodeProcess) -> None:
    with node.client() as client:
        body = {"name": "viewer-web", "role": "viewer", "password": "only-looking-123"}
        client.post("/api/users", json=body).raise_for_status()
    page = anonymous_page
    page.goto("/")
    page.get_by_test_id("login-username").fill("viewer-web")
    page.get_by_test_id("login-password").fill("only-looking-123")
    page.get_by_test_id("login-submit").click()
    page.wait_for_selector("body[data-ready='1'][data-role=viewer]", state="attached")
    assert page.get_by_test_id("alerts-panel").is_visible() and page.get_by_test_id("map").is_visible()
    assert page.get_by_test_id("zone-draw").is_hidden() and page.get_by_test_id("sighting-panel").is_hidden()
    # and the node refuses a viewer's zone anyway (the page only hides what would be refused)
    status = page.evaluate(
        "() => fetch('/api/zones', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({type: 'Feature', properties: {name: 'x'}, geometry: {type: 'Polygon',"
        " coordinates: [[[-70, 18], [-69, 18], [-69, 19], [-70, 18]]]}})}).then(r => r.status)"
    )
    assert status == 403


def test_tracks_appear_live(page: Any, node: NodeProcess) -> None:
    login(page, node)
    page.wait_for_selector("[data-testid=live-status][data-state=open]", state="attached")
    page.wait_for_selector("[data-testid=track-marker]")
    first_time = _picture_time(page)
    first_count = int(page.get_by_test_id("track-count").inner_text())
    assert first_count > 0

    # the picture time only moves with track deltas pushed over the WebSocket
    page.wait_for_function(
        "t => Date.parse(document.querySelector('[data-testid=picture-time]').dataset.at)"
        " > t + 5 * 60 * 1000",
        arg=first_time.timestamp() * 1000,
        timeout=30_000,
    )
    assert _picture_time(page) > first_time
    on_map = _track_ids_on_map(page)
    with node.client() as client:
        api_ids = {f["properties"]["track_id"] for f in client.get("/api/tracks").json()["features"]}
    # what the page draws is what the node holds (the node keeps moving, so compare the bulk of it)
    assert len(on_map & api_ids) >= 0.8 * len(on_map) > 0
    kinds = set(
        page.eval_on_selector_all("[data-testid=track-marker]", "els => els.map(e => e.dataset.class)")
    )
    assert kinds <= {"ais", "radar", "dark", "partner"} and "ais" in kinds
    shot(page, "01-live-tracks")

    # a click on a track opens its dossier
    marker = page.locator("[data-testid=track-marker][data-mmsi]:not([data-mmsi=''])").first
    track_id, mmsi = marker.get_attribute("data-track-id"), marker.get_attribute("data-mmsi")
    marker.dispatch_event("click")
    page.wait_for_selector("[data-testid=dossier-panel][data-state=ready]", state="attached")
    assert page.get_by_test_id("dossier-panel").get_attribute("data-track-id") == track_id
    assert page.get_by_test_id("dossier-panel").get_attribute("data-mmsi") == mmsi
    assert track_id in page.get_by_test_id("dossier-state").inner_text()


def test_alert_flashes_centres_map_and_opens_dossier(page: Any, node: NodeProcess) -> None:
    login(page, node)
    page.wait_for_selector("[data-testid=live-status][data-state=open]", state="attached")
    # watch the vessel that reported last: its next position raises a watchlist_hit event, live
    with node.client() as client:
        features = client.get("/api/tracks").json()["features"]
        ais = [f for f in features if f["properties"].get("mmsi")]
        latest = max(ais, key=lambda f: f["properties"]["time"])
        mmsi = int(latest["properties"]["mmsi"])
        client.post("/api/watchlist", json={"mmsi": mmsi, "reason": "browser test"}).raise_for_status()

    alert = page.locator(f"[data-testid=alert-item][data-event-type=watchlist_hit]:has-text('{mmsi}')")
    alert.first.wait_for(timeout=45_000)
    assert "flash" in (alert.first.get_attribute("class") or "")
    shot(page, "02-alert-flash")

    alert.first.click()
    dossier = page.get_by_test_id("dossier-panel")
    dossier.wait_for()
    page.wait_for_selector("[data-testid=dossier-panel][data-state=ready]", state="attached")
    assert dossier.get_attribute("data-mmsi") == str(mmsi)
    assert str(mmsi) in page.get_by_test_id("dossier-identity").inner_text()
    assert "Watchlist hit" in page.get_by_test_id("dossier-event").inner_text()
    positions = int(page.get_by_test_id("dossier-history-count").inner_text().split()[0])
    assert positions > 1

    # the map is centred on the event as the page knows it (a live event grows, so the node may be ahead)
    shown = page.get_by_test_id("dossier-event")
    ev_lat, ev_lon = float(shown.get_attribute("data-lat")), float(shown.get_attribute("data-lon"))
    lat, lon, zoom = (float(v) for v in page.get_by_test_id("map").get_attribute("data-center").split(","))
    one_px_deg = 360 / (256 * 2**zoom)  # Leaflet centres on whole pixels
    assert abs(lat - ev_lat) < 1.5 * one_px_deg and abs(lon - ev_lon) < 1.5 * one_px_deg and zoom >= 9
    with node.client() as client:
        events = client.get("/api/events", params={"mmsi": mmsi, "type": "watchlist_hit"}).json()
    event = next(e for e in events if e["id"] == shown.get_attribute("data-event-id"))
    assert abs(event["lat"] - ev_lat) < 0.5 and abs(event["lon"] - ev_lon) < 0.5
    shot(page, "03-dossier")

    # the officer lists alerts only: a watchlist hit stays, notices (port visits) are not shown
    page.get_by_test_id("alert-level").select_option("alert")
    assert alert.first.is_visible()
    for low in page.locator("[data-testid=notice-item]").all():
        assert low.is_hidden()


def test_time_slider_shows_the_past_picture(page: Any, node: NodeProcess) -> None:
    _wait_data_time(node, "2020-06-30T02:00:00Z")
    login(page, node)
    page.wait_for_selector("[data-testid=track-marker]")
    live_time = _picture_time(page)

    page.get_by_test_id("time-span").select_option("3600")  # a 1 h window ending at the live time
    box = page.get_by_test_id("time-slider").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)  # about 54 min ago
    page.wait_for_selector("body[data-mode=replay][data-replay=ready]", state="attached")
    at = page.get_by_test_id("time-label").get_attribute("data-at")
    at_time = datetime.fromisoformat(at.replace("Z", "+00:00"))
    # the window ended at the live time when clicked (later than read above: the replay runs at 300x)
    end = page.get_by_test_id("time-label").get_attribute("data-end")
    end_time = datetime.fromisoformat(end.replace("Z", "+00:00"))
    assert end_time >= live_time
    assert 50 * 60 < (end_time - at_time).total_seconds() < 58 * 60
    assert re.match(r"replay Jun 30, 2020, \d\d:\d\d UTC", page.get_by_test_id("time-label").inner_text())

    with node.client() as client:
        past = client.get("/api/tracks", params={"at": at.replace(".000Z", "Z")}).json()["features"]
    past_ids = {f["properties"]["track_id"] for f in past}
    assert past_ids, "the node has a past picture at that time"
    assert int(page.get_by_test_id("track-count").inner_text()) == len(past_ids)
    page.wait_for_selector("[data-testid=track-marker]")
    assert _track_ids_on_map(page) <= past_ids
    # the past picture stays put while the live feed goes on
    time.sleep(2)
    assert int(page.get_by_test_id("track-count").inner_text()) == len(past_ids)
    shot(page, "04-replay")

    # any past period: type the end of the window
    page.get_by_test_id("time-end").fill("2020-06-30 01:30")
    page.get_by_test_id("time-end").press("Enter")
    page.wait_for_selector("[data-testid=time-label][data-at='2020-06-30T01:30:00.000Z']", state="attached")
    page.wait_for_selector("body[data-mode=replay][data-replay=ready]", state="attached")
    with node.client() as client:
        at_0130 = client.get("/api/tracks", params={"at": "2020-06-30T01:30:00Z"}).json()["features"]
    page.wait_for_function(
        f"document.querySelector('[data-testid=track-count]').textContent === '{len(at_0130)}'"
    )

    # play the window forward (from its start, as the slider is at its end), then pause
    page.get_by_test_id("time-play").click()
    start_at = page.get_by_test_id("time-label").get_attribute("data-at")
    assert start_at == "2020-06-30T00:30:00.000Z"
    page.wait_for_function(
        "t => document.querySelector('[data-testid=time-label]').dataset.at > t", arg=start_at
    )
    page.get_by_test_id("time-play").click()
    assert page.get_by_test_id("time-play").get_attribute("data-state") == "paused"
    played_to = page.get_by_test_id("time-label").get_attribute("data-at")
    page.wait_for_timeout(1500)
    assert page.get_by_test_id("time-label").get_attribute("data-at") == played_to

    page.get_by_test_id("time-live").click()
    page.wait_for_selector("body[data-mode=live]", state="attached")
    page.wait_for_function(
        "t => Date.parse(document.querySelector('[data-testid=picture-time]').dataset.at) >= t",
        arg=live_time.timestamp() * 1000,
    )


def test_draw_a_zone_and_it_is_saved(page: Any, node: NodeProcess) -> None:
    login(page, node)
    box = page.get_by_test_id("map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.get_by_test_id("zone-draw").click()
    corners = [(cx - 120, cy - 80), (cx + 120, cy - 80), (cx + 120, cy + 80), (cx - 120, cy + 80)]
    for x, y in corners:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)
    page.mouse.click(*corners[0])  # close the ring
    page.get_by_test_id("zone-form").wait_for()
    page.get_by_test_id("zone-name").fill("Browser test box")
    page.get_by_test_id("zone-kind").select_option("protected_area")
    page.get_by_test_id("zone-save").click()
    item = page.locator("[data-testid=zone-item]", has_text="Browser test box")
    item.wait_for()
    shot(page, "05-zone-drawn")

    with node.client() as client:
        zones = client.get("/api/zones").json()["features"]
    saved = [z for z in zones if z["properties"].get("name") == "Browser test box"]
    assert len(saved) == 1
    assert saved[0]["properties"]["kind"] == "protected_area"
    ring = saved[0]["geometry"]["coordinates"][0]
    assert saved[0]["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
    centre = [float(v) for v in page.get_by_test_id("map").get_attribute("data-center").split(",")[:2]]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    assert min(lons) < centre[1] < max(lons) and min(lats) < centre[0] < max(lats)

    # edit the shape: drag a vertex, then save; the node has the new shape
    page.get_by_test_id("zone-edit").click()
    vertex = page.locator(".marker-icon:not(.marker-icon-middle)").first
    vertex.wait_for()
    vbox = vertex.bounding_box()
    page.mouse.move(vbox["x"] + vbox["width"] / 2, vbox["y"] + vbox["height"] / 2)
    page.mouse.down()
    page.mouse.move(vbox["x"] - 40, vbox["y"] - 30, steps=5)
    page.mouse.up()
    page.get_by_test_id("zone-edit").click()  # "Save shapes"
    zone_id = saved[0]["id"]
    with node.client() as client:
        for _ in range(50):
            edited = client.get(f"/api/zones/{zone_id}").json()
            if edited["geometry"]["coordinates"][0] != ring:
                break
            time.sleep(0.2)
    assert edited["geometry"]["coordinates"][0] != ring
    assert edited["properties"]["name"] == "Browser test box"

    # it is there after a reload, and it can filter the picture
    page.reload()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.locator("[data-testid=zone-item]", has_text="Browser test box").wait_for()
    page.get_by_test_id("filter-zone").select_option(label="Browser test box")
    page.wait_for_timeout(300)
    assert int(page.get_by_test_id("track-shown").inner_text()) <= int(
        page.get_by_test_id("track-count").inner_text()
    )

    # delete (two clicks: the first one arms the button)
    delete = page.locator("[data-testid=zone-item]", has_text="Browser test box").get_by_test_id(
        "zone-delete"
    )
    delete.click()
    delete.click()
    page.locator("[data-testid=zone-item]", has_text="Browser test box").wait_for(state="detached")
    with node.client() as client:
        assert client.get(f"/api/zones/{zone_id}").status_code == 404


def _container_px(lat: float, lon: float, centre: tuple[float, float], zoom: float) -> tuple[float, float]:
    """Web Mercator: the pixel offset of (lat, lon) from the map's centre at that zoom."""

    def world(lat_: float, lon_: float) -> tuple[float, float]:
        scale = 256 * 2**zoom
        phi = math.radians(lat_)
        return (lon_ + 180) / 360 * scale, (1 - math.asinh(math.tan(phi)) / math.pi) / 2 * scale

    x, y = world(lat, lon)
    cx, cy = world(*centre)
    return x - cx, y - cy


def test_dense_canvas_mode_draws_and_picks_tracks(page: Any, node: NodeProcess) -> None:
    """Many tracks in view are drawn on one canvas (forced here with ?markerLimit=0); a click picks one."""
    page.goto("/?markerLimit=0")
    page.wait_for_selector("body[data-ready='1'][data-track-mode=dense]", state="attached")
    page.wait_for_function("+document.querySelector('[data-testid=track-canvas]').dataset.count > 0")
    assert page.locator("[data-testid=track-marker]").count() == 0
    # The live feed may add a track between two reads, so both numbers are read in one go and must
    # agree once a frame has drawn what the counter says (a canvas that draws fewer never agrees).
    page.wait_for_function(
        "document.querySelector('[data-testid=track-canvas]').dataset.count"
        " === document.querySelector('[data-testid=track-shown]').textContent.trim()"
    )

    with node.client() as client:
        features = client.get("/api/tracks").json()["features"]
    lat_s, lon_s, zoom_s = page.get_by_test_id("map").get_attribute("data-center").split(",")
    box = page.get_by_test_id("map").bounding_box()
    for f in features:  # a track well inside the map
        lon, lat = f["geometry"]["coordinates"]
        dx, dy = _container_px(lat, lon, (float(lat_s), float(lon_s)), float(zoom_s))
        if abs(dx) < box["width"] / 2 - 60 and abs(dy) < box["height"] / 2 - 60:
            break
    else:
        pytest.fail("no track inside the map view")
    page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
    page.wait_for_selector("[data-testid=dossier-panel][data-state=ready]", state="attached")
    picked = page.get_by_test_id("dossier-panel").get_attribute("data-track-id")
    assert picked in {g["properties"]["track_id"] for g in features} | {f["properties"]["track_id"]}
    shot(page, "08-dense-canvas")


def test_filters_hide_and_show_tracks(page: Any, node: NodeProcess) -> None:
    login(page, node)
    page.wait_for_selector("[data-testid=track-marker]")
    page.get_by_test_id("filter-speed").fill("79")
    page.wait_for_function("document.querySelector('[data-testid=track-shown]').textContent === '0'")
    assert page.locator("[data-testid=track-marker]").count() == 0
    page.get_by_test_id("filter-speed").fill("0")
    page.wait_for_selector("[data-testid=track-marker]")
    page.get_by_test_id("filter-source-ais").uncheck()
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=track-marker][data-class=ais]').length === 0"
    )
    page.get_by_test_id("filter-source-ais").check()
    page.wait_for_selector("[data-testid=track-marker][data-class=ais]")


def test_report_a_sighting(page: Any, node: NodeProcess) -> None:
    login(page, node)
    box = page.get_by_test_id("map").bounding_box()
    page.get_by_test_id("sighting-open").click()  # the form is folded away until needed
    page.get_by_test_id("sighting-pick").click()
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    lat = float(page.get_by_test_id("sighting-lat").input_value())
    lon = float(page.get_by_test_id("sighting-lon").input_value())
    page.get_by_test_id("sighting-sog").fill("32")
    page.get_by_test_id("sighting-cog").fill("185")
    page.get_by_test_id("sighting-name").fill("unknown go-fast")
    page.get_by_test_id("sighting-notes").fill("grey hull, two outboards, no lights")
    page.get_by_test_id("sighting-submit").click()
    page.wait_for_selector("[data-testid=sighting-result][data-state]", state="attached")
    result = page.get_by_test_id("sighting-result")
    assert result.get_attribute("data-state") == "sent", result.inner_text()
    with node.client() as client:
        sightings = client.get("/api/sightings").json()
    mine = [s for s in sightings if "two outboards" in str(s.get("notes"))]
    assert len(mine) == 1
    assert abs(mine[0]["lat"] - lat) < 1e-4 and abs(mine[0]["lon"] - lon) < 1e-4
    assert mine[0]["sog_kn"] == 32 and mine[0]["name"] == "unknown go-fast"
    marker = page.locator(f"[data-testid=sighting-marker][data-sighting-id='{mine[0]['id']}']")
    marker.wait_for()
    marker.click()
    assert "two outboards" in page.locator(".leaflet-popup-content").inner_text()
    shot(page, "06-sighting")


def test_layout_fits_laptop_and_operations_room_screens(page: Any, node: NodeProcess) -> None:
    login(page, node)
    page.wait_for_selector("[data-testid=track-marker]")
    for width, height, root_px in ((1366, 768, 14), (2560, 1440, 20)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == root_px
        map_box = page.get_by_test_id("map").bounding_box()
        assert map_box["width"] > width * 0.5 and map_box["height"] > height * 0.7
        for panel in ("alerts-panel", "filters-panel", "timebar"):
            assert page.get_by_test_id(panel).is_visible()
        shot(page, f"07-layout-{width}x{height}")
