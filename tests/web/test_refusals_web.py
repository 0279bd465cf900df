"""The node's own refusals worded in the reader's language on the page (Chromium, the real node of
tests/web/conftest.py, which has no federation partners): an admin working in Spanish opens a regional chat
room naming a nation that is not a node id, and makes a case releasable to a nation that is not a partner;
both refusals are said in Spanish from their code and values (the node's `detail` stays English).
Screenshots at 1366x768 and 2560x1440."""

from __future__ import annotations

from typing import Any

from tests.web.english import EN, ES
from tests.web.harness import NodeProcess, login, shot


def _fill(message: str, **values: str) -> str:
    for key, value in values.items():
        message = message.replace("{{" + key + "}}", value)
    return message


def test_chat_room_and_releasable_to_refusals_in_spanish(page: Any, node: NodeProcess) -> None:
    with node.client() as client:
        case = client.post("/api/cases", json={"title": "Yola hacia Mona"}).json()
        raw = client.patch(f"/api/cases/{case['id']}", json={"releasable_to": ["do"]}).json()
    assert raw["detail"].startswith("releasable_to: unknown partner 'do'")  # the API keeps its English
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, node)
    page.get_by_test_id("language").select_option("es")
    page.wait_for_selector("html[lang=es]", state="attached")

    # a regional room naming a nation that is not a node id
    page.get_by_test_id("chat-toggle").click()
    page.get_by_test_id("chat-new-room").click()
    form = page.get_by_test_id("chat-room-form")
    form.get_by_test_id("chat-room-title").fill("Paso de la Mona")
    form.get_by_test_id("chat-room-members").fill("República Dominicana!")
    form.get_by_test_id("chat-room-create").click()
    chat_refusal = f"{ES['chat.not_made']}: {_fill(ES['problem.not_node_ids'], ids='república, dominicana!')}"
    error = page.get_by_test_id("chat-error")
    error.get_by_text(chat_refusal, exact=True).wait_for()
    assert _fill(EN["problem.not_node_ids"], ids="") not in error.inner_text()
    assert "not node ids" not in error.inner_text()  # not the node's English detail
    shot(page, "60-refusals-chat-es-1366x768")
    page.get_by_test_id("chat-close").click()

    # the case made releasable to a nation this node has no partnership with
    page.locator(f"[data-testid=case-item][data-case-id='{case['id']}']").click()
    page.wait_for_selector("[data-testid=case-view][data-drawn]", state="attached")
    partners = page.get_by_test_id("case-releasable")
    partners.fill("do")
    partners.dispatch_event("change")
    case_refusal = _fill(ES["cases.not_saved"], reason=_fill(ES["problem.no_partners"], ids="do"))
    page.locator("[data-testid=case-error]").get_by_text(case_refusal, exact=True).wait_for()
    assert "unknown partner" not in page.get_by_test_id("case-error").inner_text()
    with node.client() as client:
        assert client.get(f"/api/cases/{case['id']}").json()["releasable_to"] == []  # nothing changed
    shot(page, "60-refusals-case-es-1366x768")
    page.set_viewport_size({"width": 2560, "height": 1440})
    shot(page, "60-refusals-case-es-2560x1440")
