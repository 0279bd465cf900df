"""Cases in Chromium, against the real node of tests/web/conftest.py: a go-fast is sailed through the
node's API; the watch officer opens a case from its alert, adds a note and a sighting, and the case
view draws the go-fast's track on the map; a second case is opened from the track's dossier.
Screenshots at 1366x768 and 2560x1440."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cases.conftest import sail, wait_event
from tests.web.conftest import sign_in, web_node
from tests.web.english import EN
from tests.web.harness import NodeProcess, login, shot

MMSI = 338_300_001


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[NodeProcess]:
    """This module's own node: it sails a go-fast and reports sightings at the wall clock's time, which would
    move the shared node's data time past its replay (the picture and wall tests then saw 'stale')."""
    with web_node(tmp_path_factory, artifacts, "casesnode") as running:
        yield running


@pytest.fixture(scope="module")
def session_cookie(node: NodeProcess) -> dict[str, str]:
    return sign_in(node)


@pytest.fixture(scope="module")
def go_fast(node: NodeProcess) -> dict[str, Any]:
    """A boat without a name races at 30 kn for 20 min south of the Mississippi delta."""
    with node.client() as client:
        now = datetime.fromisoformat(client.get("/api/tracks").json()["time"].replace("Z", "+00:00"))
        sail(client, MMSI, now.timestamp() - 22 * 60, 27.6, -89.6, 30.0, 21)
        return wait_event(client, MMSI)


def _open_case_from_alert(page: Any, event_id: str) -> Any:
    item = page.locator(f"li[data-event-id='{event_id}']")
    item.wait_for()
    item.get_by_test_id("alert-open-case").click()
    view = page.get_by_test_id("case-view")
    view.wait_for()
    page.wait_for_selector("[data-testid=case-view][data-drawn]", state="attached")
    return view


def test_case_from_a_go_fast_alert(page: Any, node: NodeProcess, go_fast: dict[str, Any]) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, node)
    view = _open_case_from_alert(page, go_fast["id"])
    # titled by the page in the officer's words (the node's default is "speed anomaly: MMSI ...")
    assert view.get_by_test_id("case-title").inner_text() == f"Go-fast: MMSI {MMSI}"
    kinds = {li.get_attribute("data-kind") for li in view.get_by_test_id("case-link").all()}
    assert kinds == {"event", "track", "vessel"}
    # the case's track and its event are drawn on the map
    page.wait_for_selector("path.case-track", state="attached")
    assert page.locator("path.case-track").count() == 1
    assert page.locator("path.case-event").count() == 1
    # a note
    view.get_by_test_id("case-note").fill("Cutter Valiant tasked, ETA 40 min")
    view.locator("[data-testid=case-note-form] button[type=submit]").click()
    page.wait_for_selector("[data-testid=case-note]:has-text('Cutter Valiant tasked')")
    # a sighting, picked on the map
    view.locator("[data-testid=case-sighting-fold] summary").click()
    view.get_by_test_id("case-sighting-pick").click()
    box = page.get_by_test_id("map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5)
    assert view.get_by_test_id("case-sighting-lat").input_value() != ""
    view.get_by_test_id("case-sighting-notes").fill("grey panga, three outboards, heading east")
    view.locator("[data-testid=case-sighting-form] button[type=submit]").click()
    page.wait_for_selector("[data-testid=case-link][data-kind=sighting]")
    page.wait_for_selector("path.case-sighting", state="attached")
    # the timeline says who did what; the list shows the case
    actions = [li.get_attribute("data-action") for li in view.get_by_test_id("case-event").all()]
    assert actions == ["link", "note", "open"]  # newest first
    case_id = view.get_attribute("data-case-id")
    page.wait_for_selector(f"[data-testid=case-item][data-case-id='{case_id}']")
    # the node kept it all
    with node.client() as client:
        kept = client.get(f"/api/cases/{case_id}").json()
    assert [n["text"] for n in kept["notes"]] == ["Cutter Valiant tasked, ETA 40 min"]
    assert any(link["kind"] == "sighting" for link in kept["links"])
    assert kept["created_by"] == node.user
    view.evaluate("el => { el.scrollTop = 0; }")  # the case's head in the picture
    shot(page, "20-case-from-go-fast-1366x768")
    page.set_viewport_size({"width": 2560, "height": 1440})  # the wall screen: same page, bigger type
    page.wait_for_selector("path.case-track", state="attached")
    shot(page, "20-case-from-go-fast-2560x1440")


def test_case_from_a_track_dossier(page: Any, node: NodeProcess, go_fast: dict[str, Any]) -> None:
    login(page, node)
    item = page.locator(f"li[data-event-id='{go_fast['id']}']")
    item.wait_for()
    item.locator(".alert-who").click()  # opens the dossier of the go-fast's track
    page.wait_for_selector("[data-testid=dossier-panel][data-state=ready]", state="attached")
    page.get_by_test_id("dossier-open-case").click()
    page.wait_for_selector("[data-testid=case-view][data-drawn]", state="attached")
    case_id = page.get_by_test_id("case-view").get_attribute("data-case-id")
    with node.client() as client:
        kept = client.get(f"/api/cases/{case_id}").json()
    # the go-fast left the live picture by now (the replay runs at 300x): the case is opened from the
    # vessel, and the node links its recent track
    assert kept["opened_from"] in ("track", "vessel")
    assert {(link["kind"], link["mmsi"]) for link in kept["links"]} == {("track", MMSI), ("vessel", MMSI)}
    # status changes from the view reach the list
    page.get_by_test_id("case-status").select_option("monitoring")
    page.wait_for_selector(f"[data-testid=case-item][data-case-id='{case_id}'][data-status=monitoring]")
    page.get_by_test_id("case-status").select_option("closed")  # without an outcome: refused, said why
    page.wait_for_selector("[data-testid=case-error]:has-text('outcome')")
    assert page.get_by_test_id("case-status").input_value() == "monitoring"
    shot(page, "21-case-from-dossier")


ASSET = {
    "id": "cutter-valiant",
    "name": "Cutter Valiant",
    "kind": "boat",
    "base_lat": 29.2,
    "base_lon": -89.3,
    "max_speed_kn": 28,
    "cruise_speed_kn": 18,
    "endurance_h": 72,
    "fuel_range_nm": 1200,
}


@pytest.mark.parametrize("size", [(1366, 768), (2560, 1440)])
def test_list_filters_asset_link_and_unlink(
    page: Any, node: NodeProcess, go_fast: dict[str, Any], size: tuple[int, int]
) -> None:
    with node.client() as client:
        if client.get(f"/api/ops/assets/{ASSET['id']}").status_code == 404:
            assert client.post("/api/ops/assets", json=ASSET).status_code == 201
        case = client.post("/api/cases", json={"mmsi": MMSI, "title": f"Filtered go-fast {size[0]}"}).json()
        by_hand = client.post("/api/cases", json={"title": f"Overdue kayak {size[0]}"}).json()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(page, node)
    panel = page.get_by_test_id("cases-panel")
    panel.locator(f"[data-testid=case-item][data-case-id='{by_hand['id']}']").wait_for()
    # the further filters: a vessel by MMSI keeps the go-fast's cases only; a day window after today: none
    panel.locator("[data-testid=case-filters-more] summary").click()
    panel.get_by_test_id("case-filter-vessel").fill(str(MMSI))
    panel.locator(f"[data-testid=case-item][data-case-id='{by_hand['id']}']").wait_for(state="detached")
    panel.locator(f"[data-testid=case-item][data-case-id='{case['id']}']").wait_for()
    panel.get_by_test_id("case-filter-vessel").fill("x")  # a one-letter name: the node says why not, by code
    too_short = EN["problem.vessel_too_short"].replace("{{min_length}}", "2")
    said = EN["case_find.refused"].replace("{{reason}}", too_short)  # in the reader's words, not the node's
    page.wait_for_function("(said) => document.getElementById('map-hint')?.textContent === said", arg=said)
    panel.get_by_test_id("case-filter-vessel").fill(str(MMSI))
    panel.get_by_test_id("case-filter-when").select_option("opened")
    panel.get_by_test_id("case-filter-from").fill("2099-01-01")
    page.wait_for_selector("[data-testid=case-list] .case-none")
    panel.get_by_test_id("case-filter-from").fill("")
    panel.locator(f"[data-testid=case-item][data-case-id='{case['id']}']").wait_for()
    shot(page, f"22-case-filters-{size[0]}x{size[1]}")
    # the case: link the cutter from the view, then take the vessel off the case
    panel.locator(f"[data-testid=case-item][data-case-id='{case['id']}']").click()
    view = page.get_by_test_id("case-view")
    page.wait_for_selector(f"[data-testid=case-view][data-case-id='{case['id']}']")
    view.get_by_test_id("case-asset-select").select_option(ASSET["id"])
    view.get_by_test_id("case-asset-link").click()
    view.locator("[data-testid=case-link][data-kind=asset]:has-text('Cutter Valiant')").wait_for()
    view.locator("[data-testid=case-link][data-kind=vessel] [data-testid=case-unlink]").click()
    view.locator("[data-testid=case-link][data-kind=vessel]").wait_for(state="detached")
    view.locator("[data-testid=case-event][data-action=unlink]").wait_for()
    with node.client() as client:
        kept = client.get(f"/api/cases/{case['id']}").json()
    assert {link["kind"] for link in kept["links"]} == {"track", "asset"}
    assert [e["action"] for e in kept["timeline"]][-2:] == ["link", "unlink"]
    view.evaluate("el => { el.scrollTop = 0; }")
    shot(page, f"23-case-asset-unlink-{size[0]}x{size[1]}")
