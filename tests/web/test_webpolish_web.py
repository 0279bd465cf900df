"""What a watch officer notices on the wall, in Chromium against the real node of tests/web/conftest.py:
the map stays where the officer put it while the open case changes live (it is fitted to the case only
when the case is opened); chat times go through Intl in the reader's language, marked UTC, with the date
when not today; vessel labels do not cover other vessels' symbols."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import sign_in, web_node
from tests.web.harness import NodeProcess, login, shot


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[NodeProcess]:
    """This module's own node: its cases report sightings (they become dark targets in the picture), which
    the shared node's picture tests must not see."""
    with web_node(tmp_path_factory, artifacts, "polishnode") as running:
        yield running


@pytest.fixture(scope="module")
def session_cookie(node: NodeProcess) -> dict[str, str]:
    return sign_in(node)


def _centre(page: Any) -> str:
    return str(page.get_by_test_id("map").get_attribute("data-center"))


def _settled_centre(page: Any) -> str:
    """The map's centre and zoom once it stopped moving (two reads 300 ms apart agree)."""
    before = _centre(page)
    while True:
        page.wait_for_timeout(300)
        now = _centre(page)
        if now == before:
            return now
        before = now


def _drawn(page: Any, case_id: str, n: int) -> None:
    """Wait until the case view shows `case_id` with `n` features drawn on the map."""
    page.wait_for_selector(
        f"[data-testid=case-view][data-case-id='{case_id}'][data-drawn='{n}']", state="attached"
    )


def _case_with_sighting(node: NodeProcess, title: str, lat: float, lon: float) -> str:
    with node.client() as client:
        when = node.data_time()
        made = client.post("/api/cases", json={"title": title})
        assert made.status_code in (200, 201), made.text
        case_id = str(made.json()["id"])
        seen = client.post(f"/api/cases/{case_id}/sightings", json={"lat": lat, "lon": lon, "time": when})
        assert seen.status_code in (200, 201), seen.text
    return case_id


def test_live_change_of_the_open_case_does_not_move_the_map(page: Any, node: NodeProcess) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    case_id = _case_with_sighting(node, "Drifting skiff", 27.0, -90.0)
    login(page, node)
    row = page.locator(f"[data-testid=case-item][data-case-id='{case_id}']")
    row.click()
    view = page.get_by_test_id("case-view")
    _drawn(page, case_id, 1)
    fitted = _settled_centre(page)
    lat, lon, _ = (float(v) for v in fitted.split(","))
    assert abs(lat - 27.0) < 0.05 and abs(lon + 90.0) < 0.05, fitted  # opened: fitted to the case
    # the officer looks elsewhere: one zoom step out
    page.locator(".leaflet-control-zoom-out").click()
    elsewhere = _settled_centre(page)
    assert elsewhere != fitted
    # live changes of the open case by another officer (the API): a note, then a sighting far off
    with node.client() as client:
        note = {"text": "skiff adrift, no one aboard"}
        client.post(f"/api/cases/{case_id}/notes", json=note).raise_for_status()
        page.wait_for_selector("[data-testid=case-note]:has-text('skiff adrift')")
        client.post(
            f"/api/cases/{case_id}/sightings", json={"lat": 25.0, "lon": -86.0, "time": node.data_time()}
        ).raise_for_status()
    _drawn(page, case_id, 2)
    page.wait_for_selector("[data-testid=case-link][data-kind=sighting] >> nth=1")
    assert _settled_centre(page) == elsewhere  # redrawn where the officer is looking
    assert page.locator("path.case-sighting").count() == 2
    shot(page, "60-case-live-change-map-kept-1366x768")
    # opened again (closed, then opened from the list): fitted to the whole case
    view.get_by_test_id("case-close").click()
    row.click()
    _drawn(page, case_id, 2)
    refitted = _settled_centre(page)
    lat, lon, _ = (float(v) for v in refitted.split(","))
    assert 25.0 < lat < 27.0 and -90.0 < lon < -86.0, refitted


INTL_TIME = """([iso, lang, withDate]) => {
  const tag = navigator.languages.find((l) => l.toLowerCase().split('-')[0] === lang) ?? lang;
  const options = {hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC'};
  if (withDate) Object.assign(options, {month: 'short', day: 'numeric'});
  return new Intl.DateTimeFormat(tag, options).format(Date.parse(iso)) + ' UTC';
}"""


def test_chat_times_through_intl_in_the_readers_language(page: Any, node: NodeProcess) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    case_id = _case_with_sighting(node, "Chat about a skiff", 27.2, -90.3)
    with node.client() as client:
        room = client.get(f"/api/chat/cases/{case_id}").json()["room_id"]
        sent = client.post(
            f"/api/chat/rooms/{room}/messages", json={"text": "Cutter on scene at dawn", "lang": "en"}
        )
        assert sent.status_code in (200, 201), sent.text
        iso = sent.json()["time"]
    login(page, node)
    page.locator(f"[data-testid=case-item][data-case-id='{case_id}']").click()
    page.get_by_test_id("case-chat").click()
    stamp = page.locator("[data-testid=chat-message]:has-text('Cutter on scene') time")
    stamp.wait_for()
    # today: the time of day as Intl writes it in the reader's locale, on the UTC clock and saying so
    assert stamp.inner_text() == page.evaluate(INTL_TIME, [iso, "en", False])
    assert stamp.inner_text().endswith(" UTC") and not stamp.inner_text().endswith("Z")
    assert stamp.get_attribute("datetime") == iso
    shot(page, "61-chat-time-en-1366x768")
    # the next day (the browser's clock): the date too, in the reader's language (Spanish here)
    page.clock.set_fixed_time(datetime.fromisoformat(iso.replace("Z", "+00:00")) + timedelta(days=1))
    page.get_by_test_id("language").select_option("es")
    page.wait_for_selector("html[lang=es]", state="attached")
    expected = page.evaluate(INTL_TIME, [iso, "es", True])
    page.wait_for_function(
        "(want) => document.querySelector('[data-testid=chat-message] time')?.textContent === want",
        arg=expected,
    )
    assert stamp.inner_text() == expected != page.evaluate(INTL_TIME, [iso, "en", True])
    page.set_viewport_size({"width": 2560, "height": 1440})
    shot(page, "61-chat-time-es-2560x1440")


def test_chat_times_gain_their_date_at_midnight(page: Any, node: NodeProcess) -> None:
    """A chat left open over midnight (UTC): the day's times say their date from then on, unreloaded."""
    case_id = _case_with_sighting(node, "Chat over midnight", 27.3, -90.2)
    with node.client() as client:
        room = client.get(f"/api/chat/cases/{case_id}").json()["room_id"]
        sent = client.post(f"/api/chat/rooms/{room}/messages", json={"text": "Holding station", "lang": "en"})
        assert sent.status_code in (200, 201), sent.text
        iso = sent.json()["time"]
    late = datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(hour=23, minute=59, second=0)
    page.clock.install(time=late)  # the browser's clock: a minute before the message's day ends
    login(page, node)
    page.locator(f"[data-testid=case-item][data-case-id='{case_id}']").click()
    page.get_by_test_id("case-chat").click()
    stamp = page.locator("[data-testid=chat-message]:has-text('Holding station') time")
    stamp.wait_for()
    assert stamp.inner_text() == page.evaluate(INTL_TIME, [iso, "en", False])  # today: the time alone
    page.clock.run_for(120_000)  # two minutes on: past midnight
    assert stamp.inner_text() == page.evaluate(INTL_TIME, [iso, "en", True])  # yesterday: with its date
