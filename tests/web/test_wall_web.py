"""The picture on an operations-centre wall and a laptop: layers, legend, labels, search, a status badge
that tells the truth and a visible loading state on replay; screenshots at 1366x768 and 2560x1440."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.web.harness import NodeProcess, login, shot


def _context(browser: Any, node: NodeProcess, cookie: dict[str, str], width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=node.url)
    context.add_cookies([cookie])
    return context


def _wait_current(page: Any) -> None:
    """The badge shows the current picture: live while the replayed day still flows, stale once the
    node's file feed has ended (no new data for 90 s): both are the truth, never replay or offline.
    Polled, not read once: coming back from a replay the page reloads the live picture, and until it has,
    a stale badge has no 'last data' time yet."""
    page.wait_for_function(
        """() => {
          const badge = document.querySelector('[data-testid=live-status]');
          const detail = document.querySelector('[data-testid=status-detail]');
          if (!badge || !detail || badge.dataset.state !== 'open') return false;
          const text = detail.innerText;
          return (badge.dataset.mode === 'live' && text === '')
            || (badge.dataset.mode === 'stale' && /^\\d\\d:\\d\\d UTC$/.test(text)
                && detail.title.includes('last data Jun 30, 2020'));
        }"""
    )
    mode = page.get_by_test_id("live-status").get_attribute("data-mode")
    assert mode in ("live", "stale")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (2560, 1440)])
def test_wall_and_laptop_picture(
    browser: Any, node: NodeProcess, session_cookie: dict[str, str], width: int, height: int
) -> None:
    context = _context(browser, node, session_cookie, width, height)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, node)
        _wait_current(page)
        page.wait_for_selector("body[data-layers=ready]", state="attached")
        legend = page.get_by_test_id("legend").inner_text()
        assert "dark target" in legend and "go-fast" in legend and "open alert" in legend
        assert "Territorial seas" in (page.locator(".leaflet-control-layers").text_content() or "")
        # entry forms are folded away until needed
        assert (
            page.get_by_test_id("sighting-form").is_hidden() and page.get_by_test_id("zone-form").is_hidden()
        )
        shot(page, f"20-wall-{width}x{height}")
        assert not errors, errors
    finally:
        context.close()


def test_harbour_zoom_shows_names_beside_vessels(
    browser: Any, node: NodeProcess, session_cookie: dict[str, str]
) -> None:
    named: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120  # the replayed day's static reports (names) come in as it plays
    with node.client() as client:
        while not named and time.monotonic() < deadline:
            named = [f for f in client.get("/api/tracks").json()["features"] if f["properties"].get("name")]
            time.sleep(0 if named else 1)
    assert named, "the node's vessels carry their real names"
    lon, lat = named[0]["geometry"]["coordinates"]
    context = _context(browser, node, session_cookie, 1366, 768)
    page = context.new_page()
    try:
        login(page, node, f"/?view={lat},{lon},11")
        # where boats lie together a label that would cover another vessel's symbol is hidden
        # (labels.ts), so not every name shows: some must, and each shown one names a vessel here
        labels = page.locator(".track-label:visible")
        labels.first.wait_for()
        shown = {t.strip() for t in labels.all_inner_texts()}
        with node.client() as client:  # read after the labels: a name may have arrived meanwhile
            now = client.get("/api/tracks").json()["features"]
        names = {str(f["properties"].get("name") or "").strip() for f in now} | {f["id"] for f in now}
        assert shown and shown <= names, sorted(shown - names)[:5]
        shot(page, "22-harbour-labels")
    finally:
        context.close()


def test_search_finds_a_vessel_by_name_and_opens_it(page: Any, node: NodeProcess) -> None:
    assert node.spare is not None
    login(page, node)
    page.get_by_test_id("vessel-search").fill(node.spare.name.split()[0].lower())
    result = page.get_by_test_id("search-result").filter(has_text=node.spare.name)
    result.first.wait_for()
    assert str(node.spare.mmsi) in result.first.inner_text()
    result.first.click()
    page.wait_for_selector(f"[data-testid=dossier-panel][data-mmsi='{node.spare.mmsi}']", state="attached")


def test_replay_says_so_and_shows_it_is_loading(page: Any, node: NodeProcess) -> None:
    login(page, node)
    _wait_current(page)

    def slow(route: Any) -> None:
        time.sleep(1.5)  # a slow link to the node: the officer must see that the picture is coming
        route.continue_()

    page.route("**/api/tracks?at=*", slow)
    box = page.get_by_test_id("time-slider").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.get_by_test_id("replay-loading").wait_for(state="visible")
    assert page.get_by_test_id("live-status").get_attribute("data-mode") == "replay"
    page.wait_for_selector("body[data-replay=ready]", state="attached")
    assert page.get_by_test_id("replay-loading").is_hidden()
    page.get_by_test_id("time-live").click()
    _wait_current(page)


def test_badge_turns_stale_when_the_feeds_stop(page: Any, node: NodeProcess) -> None:
    """The node's WebSocket stays up but stops carrying track updates (as when every feed has stopped):
    the badge says STALE with the time of the last data, not LIVE."""
    dropped = {"tracks": 0}

    def relay(ws: Any) -> None:
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if '"kind":"track"' in str(message) or '"kind": "track"' in str(message):
                dropped["tracks"] += 1
                return
            ws.send(message)

        server.on_message(from_server)
        ws.on_message(lambda message: server.send(message))

    page.route_web_socket("**/api/live", relay)
    page.goto("/?staleAfterS=3")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.wait_for_selector("[data-testid=live-status][data-state=open][data-mode=stale]", state="attached")
    # beside the badge one short word, the last data time; the whole sentence is its tooltip
    detail = page.get_by_test_id("status-detail")
    assert re.fullmatch(r"\d\d:\d\d UTC", detail.inner_text()), detail.inner_text()
    full = detail.get_attribute("title") or ""
    assert "no new data" in full and "last data Jun 30, 2020" in full
    assert page.get_by_test_id("live-status").inner_text().lower() == "stale"
