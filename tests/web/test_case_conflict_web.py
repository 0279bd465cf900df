"""Two officers on the same case (Chromium, the real node of tests/web/conftest.py): the first sets its
status; the second's page has not heard of it yet (its live feed holds the case news back, as a slow
link would) and sets another status on the version it shows. The node refuses that change (409
stale_version); the second's page says so in its reader's language (Spanish here), reloads the case and
shows the first's status, keeping the note the second officer was typing; made again on the fresh
version, the change is saved. Screenshots of the refusal at 1366x768 and 2560x1440."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tests.web.english import EN, ES
from tests.web.harness import NodeProcess, login, shot

OFFICER = "officer-b"
OFFICER_PASSWORD = "second-watch-officer"


def _fill(message: str, **values: str) -> str:
    for key, value in values.items():
        message = message.replace("{{" + key + "}}", value)
    return message


def _hold_case_news(ws: Any) -> None:
    """The page's live feed, without the `case` messages (everything else passes both ways)."""
    server = ws.connect_to_server()

    def to_page(message: str | bytes) -> None:
        if isinstance(message, bytes):
            ws.send(message)
            return
        parsed = json.loads(message)
        items = parsed if isinstance(parsed, list) else [parsed]
        kept = [m for m in items if m.get("kind") != "case"]
        if kept:
            ws.send(json.dumps(kept if isinstance(parsed, list) else kept[0]))

    server.on_message(to_page)
    ws.on_message(server.send)


def _open_case(page: Any, case_id: str) -> Any:
    page.locator(f"[data-testid=case-item][data-case-id='{case_id}']").click()
    page.wait_for_selector(f"[data-testid=case-view][data-case-id='{case_id}'][data-drawn]", state="attached")
    return page.get_by_test_id("case-view")


def test_a_stale_status_change_is_refused_in_words_and_the_case_reloaded(
    page: Any, browser: Any, contexts: list[Any], node: NodeProcess
) -> None:
    with node.client() as client:
        users = {u["name"] for u in client.get("/api/users").json()}
        if OFFICER not in users:
            officer = {"name": OFFICER, "role": "operator", "password": OFFICER_PASSWORD}
            made = client.post("/api/users", json=officer)
            assert made.status_code == 201, made.text
        case = client.post("/api/cases", json={"title": "Yola north of Mona, two officers"}).json()
    version = case["version"]

    # the first officer (the test user, English) and the second (an operator, Spanish), both on the case
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, node)
    first = _open_case(page, case["id"])
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=node.url, bypass_csp=True)
    contexts.append(context)
    context.route_web_socket("**/api/live", _hold_case_news)
    second_page = context.new_page()
    errors: list[str] = []
    second_page.on("pageerror", lambda exc: errors.append(str(exc)))
    second_page.set_default_timeout(60_000)  # the node checks the password slowly on purpose
    login(second_page, dataclasses.replace(node, user=OFFICER, password=OFFICER_PASSWORD))
    second_page.get_by_test_id("language").select_option("es")
    second_page.wait_for_selector("html[lang=es]", state="attached")
    second = _open_case(second_page, case["id"])
    assert second.get_attribute("data-version") == str(version)
    second.get_by_test_id("case-note").fill("Lancha vista a 2 nm, rumbo norte")  # being typed, not sent

    # the first sets the status: saved, version moved
    first.get_by_test_id("case-status").select_option("interdiction")
    page.wait_for_selector(
        f"[data-testid=case-view][data-status=interdiction][data-version='{version + 1}']", state="attached"
    )
    assert second.get_attribute("data-status") == "open"  # the second page has not heard of it

    # the second sets another status on the version it shows: refused, said in Spanish, reloaded
    second.get_by_test_id("case-status").select_option("monitoring")
    stale = _fill(ES["problem.stale_version"], current_version=str(version + 1))
    refusal = _fill(ES["cases.not_saved"], reason=stale)
    second.get_by_test_id("case-error").get_by_text(refusal, exact=True).wait_for()
    second_page.wait_for_selector(
        f"[data-testid=case-view][data-status=interdiction][data-version='{version + 1}']", state="attached"
    )
    assert second.get_by_test_id("case-status").input_value() == "interdiction"  # the first's
    assert second.get_by_test_id("case-note").input_value() == "Lancha vista a 2 nm, rumbo norte"  # kept
    error = second.get_by_test_id("case-error").inner_text()
    assert "changed since version" not in error  # not the node's English detail
    assert _fill(EN["problem.stale_version"], current_version=str(version + 1)) not in error
    with node.client() as client:
        kept = client.get(f"/api/cases/{case['id']}").json()
    assert (kept["status"], kept["version"]) == ("interdiction", version + 1)  # the first's change kept
    shot(second_page, "62-case-conflict-es-1366x768")
    second_page.set_viewport_size({"width": 2560, "height": 1440})
    shot(second_page, "62-case-conflict-es-2560x1440")

    # made again on the version now shown, the change is saved
    second.get_by_test_id("case-status").select_option("monitoring")
    second_page.wait_for_selector(
        f"[data-testid=case-view][data-status=monitoring][data-version='{version + 2}']", state="attached"
    )
    assert second.get_by_test_id("case-error").inner_text() == ""
    with node.client() as client:
        assert client.get(f"/api/cases/{case['id']}").json()["status"] == "monitoring"
    assert not errors, f"JavaScript errors on the second page: {errors}"
