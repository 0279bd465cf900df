"""Issue 13's browser scenario, as one story in Chromium: two real nodes (bb, tt) federated over a real NATS
server. bb's watch officer opens a case from a go-fast alert, releases it to tt, adds a note and a sighting,
and chats in the case's room with tt's operator (a Spanish-speaking browser on tt's own node, who sends
a contact report from the form; a message too long is refused and said). bb then
switches the page to Spanish: the alert panel, the dossier, the case view and the chat (tt's contact report
drawn again in Spanish; free text as written, with its language and the "no translation model" note) are
in Spanish with no English left; another browser context signs in and finds the profile (language, alert
filter) restored. Screenshots of the case view with the chat, in English and in Spanish, at 1366x768 and
2560x1440 (test-artifacts/web/50-*). A second test: an admin opens a regional room naming tt from the
page; tt's operator finds it under the regional rooms and answers in it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from seawatch import i18n
from seawatch.share.localbroker import LocalNatsServer
from tests.cases.conftest import sail, wait_event
from tests.chat.harness import Served, federated_node, password, wait_for
from tests.share.helpers import make_keys
from tests.web.english import EN, ES, RAW_KEY, english_in, english_only
from tests.web.harness import ARTIFACTS, login, shot

pytestmark = pytest.mark.broker

MMSI = 338_300_077
NOTE = "Cutter Valiant tasked, ETA 40 min"
SIGHTING = "grey panga, three outboards, heading east"
TO_TT = "Go-fast heading east at high speed, two outboards"
FROM_TT = "Recibido, nuestro avión sale en diez minutos"
USER_TEXT = (NOTE, SIGHTING, TO_TT, FROM_TT)
SECTIONS = ("alerts", "event", "measure", "dossier", "cases", "chat", "report", "severity", "who")
ENGLISH_ONLY = english_only(SECTIONS, USER_TEXT)
# what must not be cut off or overflow in any language: the case view, the case list, the chat
WORDY = (
    ".case-view h2, .case-view h3, .case-view label, .case-view button, .case-view summary, "
    ".case-view .case-origin, .cases h2, .case-filters, .chat-head, .chat-row, .chat-members, .chat-report dl"
)


@dataclass
class Account:
    url: str
    user: str
    password: str


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNatsServer]:
    server = LocalNatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, nats_server: LocalNatsServer
) -> Iterator[dict[str, Served]]:
    """bb (with its live detectors: the go-fast raises an alert) and tt, each sharing chat with the other."""
    tmp = tmp_path_factory.mktemp("scenario")
    keys = make_keys(["bb", "tt"])
    policies = {n: {p: {"case_messages": True} for p in keys if p != n} for n in keys}
    nodes: dict[str, Served] = {}
    try:
        for n in keys:
            nodes[n] = federated_node(n, keys, tmp, policies[n], nats_server.url, detect=n == "bb")
        yield nodes
    finally:
        for served in nodes.values():
            served.stop()


def _page(
    browser: Any, opened: list[Any], node: Served, role: str, locale: str, size: tuple[int, int]
) -> Any:
    # bypass_csp: Playwright's string waits are evaluated like eval() (tests/web/conftest.py)
    context = browser.new_context(
        base_url=node.url, locale=locale, viewport={"width": size[0], "height": size[1]}, bypass_csp=True
    )
    opened.append(context)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.set_default_timeout(90_000)  # the node checks the password slowly on purpose: a loaded machine
    login(page, Account(node.url, role, password(role)))  # type: ignore[arg-type]
    page.set_default_timeout(60_000)  # hang guards (federation over NATS at load 10-20), not speed claims
    return page


def _english_left(text: str) -> list[str]:
    """English catalogue text (or raw keys) found in `text`, each with the line it is in."""
    found = english_in(text, ENGLISH_ONLY)
    found += RAW_KEY.findall(text)
    lines = text.splitlines()
    return [f"{word!r} in {next((line for line in lines if word in line), '')!r}" for word in found]


def _text(page: Any, selector: str) -> str:
    """The words of an element as written (text nodes, not innerText: headings are styled in capitals),
    one a line, with its titles, placeholders, labels and the chosen options."""
    text: str = page.evaluate(
        "(sel) => { const el = document.querySelector(sel); if (!el) return '';"
        " const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); const words = [];"
        " while (walk.nextNode()) words.push(walk.currentNode.nodeValue.trim());"
        " return [...words, ...[...el.querySelectorAll('[title], [placeholder], [aria-label], optgroup')]"
        ".flatMap((x) => [x.title, x.placeholder, x.getAttribute('aria-label'), x.getAttribute('label')]),"
        " ...[...el.querySelectorAll('select')].map((s) => s.selectedOptions[0]?.textContent)]"
        ".filter(Boolean).join('\\n'); }",
        selector,
    )
    return text


def _wait_room(page: Any, room: str) -> None:
    page.wait_for_function(
        "(room) => document.querySelector('[data-testid=chat-panel]').dataset.room === room", arg=room
    )


def _refused(words: dict[str, str]) -> str:
    """The chat's error line for a message over 4000 characters, in the catalogue's language."""
    return f"{words['chat.send_failed']}: {words['problem.too_long'].replace('{{max}}', '4000')}"


def test_case_from_go_fast_chat_with_partner_then_spanish_and_profile_restored(
    browser: Any, nodes: dict[str, Served], contexts: list[Any]
) -> None:
    bb, tt = nodes["bb"], nodes["tt"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with bb.client("operator") as op:
        sail(op, MMSI, time.time() - 22 * 60, 27.6, -89.6, 30.0, 21)
        alert = wait_event(op, MMSI)
    page = _page(browser, contexts, bb, "operator", "en-US", (1366, 768))

    # 1. a case from the go-fast's alert: its track and event drawn, linked
    item = page.locator(f"li[data-event-id='{alert['id']}']")
    item.wait_for()
    item.get_by_test_id("alert-open-case").click()
    view = page.get_by_test_id("case-view")
    page.wait_for_selector("[data-testid=case-view][data-drawn]", state="attached")
    # titled in the opener's words (English here; the node's default would be "speed anomaly: ...")
    assert view.get_by_test_id("case-title").inner_text() == f"{EN['event.speed_anomaly']}: MMSI {MMSI}"
    assert {li.get_attribute("data-kind") for li in view.get_by_test_id("case-link").all()} == {
        "event",
        "track",
        "vessel",
    }
    page.wait_for_selector("path.case-track", state="attached")
    assert page.locator("path.case-event").count() == 1
    case_id = view.get_attribute("data-case-id")
    room = f"case:bb:{case_id}"
    # released to tt (the partner sees the case and its chat)
    version = view.get_attribute("data-version")
    view.get_by_test_id("case-releasable").fill("tt")
    view.get_by_test_id("case-releasable").press("Enter")
    view.get_by_test_id("case-releasable").blur()
    page.wait_for_function(
        "(v) => document.querySelector('[data-testid=case-view]').dataset.version !== v", arg=version
    )
    # 2. a note and a sighting picked on the map
    view.get_by_test_id("case-note").fill(NOTE)
    view.locator("[data-testid=case-note-form] button[type=submit]").click()
    page.wait_for_selector(f"[data-testid=case-note]:has-text('{NOTE}')")
    view.locator("[data-testid=case-sighting-fold] summary").click()
    view.get_by_test_id("case-sighting-pick").click()
    box = page.get_by_test_id("map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5)
    assert view.get_by_test_id("case-sighting-lat").input_value() != ""
    view.get_by_test_id("case-sighting-notes").fill(SIGHTING)
    view.locator("[data-testid=case-sighting-form] button[type=submit]").click()
    page.wait_for_selector("[data-testid=case-link][data-kind=sighting]")
    page.wait_for_selector("path.case-sighting", state="attached")
    actions = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=case-event]')].map((li) => li.dataset.action)"
    )
    assert actions == ["link", "note", "update", "open"]  # newest first
    page.wait_for_selector(f"[data-testid=case-item][data-case-id='{case_id}']")
    with bb.client("operator") as op:
        kept = op.get(f"/api/cases/{case_id}").json()
    assert [n["text"] for n in kept["notes"]] == [NOTE] and kept["releasable_to"] == ["tt"]
    assert any(link["kind"] == "sighting" for link in kept["links"])

    # 3. the case's chat with tt's operator, on tt's own node, in Spanish
    view.get_by_test_id("case-chat").click()
    _wait_room(page, room)
    page.get_by_test_id("chat-text").fill(TO_TT)
    page.get_by_test_id("chat-lang").select_option("en")
    page.get_by_test_id("chat-send").click()
    with tt.client("operator") as tt_op:  # the room reached tt with the case
        assert wait_for(
            lambda: room in {r["room_id"] for r in tt_op.get("/api/chat/rooms").json()["rooms"]}, 60
        )
        assert wait_for(lambda: tt_op.get(f"/api/chat/rooms/{room}/messages").json()["messages"], 60)
    partner = _page(browser, contexts, tt, "operator", "es-ES", (1366, 768))
    partner.get_by_test_id("chat-toggle").click()
    _wait_room(partner, room)
    first = partner.get_by_test_id("chat-message").first
    first.wait_for()
    assert first.get_by_test_id("chat-text-out").inner_text() == TO_TT
    assert first.get_by_test_id("chat-note").inner_text() == ES["chat.no_model"]
    assert partner.get_by_test_id("chat-members").inner_text() == "Miembros: BB, TT"
    partner.get_by_test_id("chat-text").fill(FROM_TT)
    partner.get_by_test_id("chat-send").click()
    # tt sends a contact report from its form (labels in Spanish)
    partner.get_by_test_id("chat-report-fold").locator("summary").click()
    partner.get_by_test_id("report-what").select_option("go_fast")
    partner.get_by_test_id("report-activity").select_option("fleeing")
    for field, value in (("lat", "27.61"), ("lon", "-89.3"), ("course", "90"), ("speed", "34.5")):
        partner.get_by_test_id(f"report-{field}").fill(value)
    partner.get_by_test_id("report-send").click()
    report_tt = partner.get_by_test_id("chat-report").last
    report_tt.wait_for()
    assert report_tt.locator("h4").text_content() == ES["report.title.contact"]
    assert report_tt.locator("dd").all_inner_texts()[:5] == [
        "Lancha rápida (go-fast)", "27,6100° N, 89,3000° O", "090°", "34,5 nudos", "Huyendo",
    ]  # fmt: skip
    reply = page.get_by_test_id("chat-message").filter(has_text=FROM_TT)
    reply.wait_for()
    assert reply.locator(".chat-lang").inner_text() == "ES"
    assert reply.get_by_test_id("chat-note").inner_text() == EN["chat.no_model"]
    report_bb = page.get_by_test_id("chat-report").last
    report_bb.wait_for()
    assert report_bb.locator("h4").text_content() == "Contact report"
    assert report_bb.locator("dd").all_inner_texts()[:5] == [
        "Go-fast boat", "27.6100° N, 89.3000° W", "090°", "34.5 kn", "Fleeing",
    ]  # fmt: skip
    # bad input: too long is refused by the node with a clear message, nothing shown as sent
    count = page.get_by_test_id("chat-message").count()
    page.get_by_test_id("chat-text").evaluate("t => t.removeAttribute('maxlength')")
    page.get_by_test_id("chat-text").fill("x" * 4001)
    page.get_by_test_id("chat-send").click()
    # the node's 422 (string_too_long, max_length 4000) worded by the page
    page.get_by_test_id("chat-error").get_by_text(_refused(EN), exact=True).wait_for()
    assert page.get_by_test_id("chat-message").count() == count
    page.get_by_test_id("chat-text").fill("")
    view.evaluate("el => { el.scrollTop = 0; }")
    shot(page, "50-case-chat-en-1366x768")
    page.set_viewport_size({"width": 2560, "height": 1440})
    shot(page, "50-case-chat-en-2560x1440")
    page.set_viewport_size({"width": 1366, "height": 768})

    # 4. the page in Spanish: the alert panel, the dossier, the case view and the chat
    page.get_by_test_id("language").select_option("es")
    page.wait_for_selector("html[lang=es]", state="attached")
    labelled = page.evaluate(  # one read: the live list re-renders between two
        "() => [...document.querySelectorAll('[data-testid=alert-item]')]"
        ".map((li) => [li.dataset.eventId, li.dataset.eventType, li.querySelector('.alert-type').innerText,"
        " li.querySelector('[data-testid=alert-open-case]')?.textContent])"
    )
    assert [alert["id"], "speed_anomaly", ES["event.speed_anomaly"], ES["cases.open_case"]] in labelled
    assert all(label == ES[f"event.{kind}"] for _, kind, label, _ in labelled)
    assert "alertas" in page.get_by_test_id("alerts-panel").inner_text().lower()
    assert _english_left(_text(page, "[data-testid=alerts-panel]")) == []
    view_text = _text(page, "[data-testid=case-view]")
    for spanish in ("Vinculado", "Notas", "Cronología", "Estado", "Resultado", "Comunicable a", "abierto"):
        assert spanish.lower() in view_text.lower(), spanish  # headings are styled in capitals
    timeline = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=case-event]')].map((li) => li.textContent)"
    )
    for line, action in zip(timeline, actions, strict=True):
        assert ES[f"cases.action.{action}"] in line
    assert "Comunicable a: ninguno → tt" in timeline[2]
    event_link = page.locator("[data-testid=case-link][data-kind=event] span").last.text_content()
    assert event_link == f"{ES['event.speed_anomaly']}: MMSI {MMSI}"  # the node's label, its code re-worded
    kinds = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=case-link] .case-kind')].map((s) => s.textContent)"
    )
    assert set(kinds) == {ES[f"cases.kind.{k}"] for k in ("event", "track", "vessel", "sighting")}
    assert re.search(r"abierto por operator el \d{1,2} \w{3,5}\.? \d{4},? \d\d:\d\d UTC", view_text), (
        view_text
    )
    assert _english_left(view_text) == []
    status = page.locator(f"[data-testid=case-item][data-case-id='{case_id}'] [data-testid=case-item-status]")
    assert status.text_content() == ES["cases.status.open"]
    # the chat drawn again: the report in Spanish, free text as written with its note in Spanish
    report_bb = page.get_by_test_id("chat-report").last
    assert report_bb.locator("h4").text_content() == ES["report.title.contact"]
    assert report_bb.locator("dd").all_inner_texts()[:5] == [
        "Lancha rápida (go-fast)", "27,6100° N, 89,3000° O", "090°", "34,5 nudos", "Huyendo",
    ]  # fmt: skip
    own = page.get_by_test_id("chat-message").filter(has_text=TO_TT)
    assert own.get_by_test_id("chat-note").inner_text() == ES["chat.no_model"]  # English, read in Spanish
    assert reply.get_by_test_id("chat-text-out").inner_text() == FROM_TT
    assert reply.get_by_test_id("chat-note").count() == 0  # Spanish, read in Spanish
    assert _english_left(_text(page, "[data-testid=chat-panel]").replace(TO_TT, "")) == []
    assert page.get_by_test_id("chat-error").inner_text() == _refused(ES)  # the refusal said again in Spanish
    view.evaluate("el => { el.scrollTop = 0; }")
    shot(page, "50-case-chat-es-1366x768")
    page.set_viewport_size({"width": 2560, "height": 1440})
    shot(page, "50-case-chat-es-2560x1440")
    page.set_viewport_size({"width": 1366, "height": 768})
    # nothing of the case view, the case list or the chat is cut off or overflows, in any of the six languages
    for lang in (*i18n.LANGUAGES, "es"):
        page.get_by_test_id("language").select_option(lang)
        page.wait_for_selector(f"html[lang={lang}]", state="attached")
        overflow = page.evaluate(
            "(sel) => [...document.querySelectorAll(sel)]"
            ".filter((el) => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)"
            ".map((el) => `${el.className || el.tagName}: ${el.textContent.trim().slice(0, 40)}`)",
            WORDY,
        )
        assert overflow == [], f"cut off at 1366x768 in {lang}: {overflow}"
        if lang in ("ht", "fr"):
            view.evaluate("el => { el.scrollTop = 0; }")
            shot(page, f"50-case-chat-{lang}-1366x768")
    # the go-fast's dossier, from its alert
    page.get_by_test_id("chat-close").click()
    page.locator(f"li[data-event-id='{alert['id']}'] .alert-who").click()
    page.wait_for_selector("[data-testid=dossier-panel][data-state=ready]", state="attached")
    dossier = _text(page, "[data-testid=dossier-panel]")
    for spanish in ("Identidad", "Eventos", ES["cases.open_case"]):
        assert spanish.lower() in dossier.lower(), spanish
    assert _english_left(dossier) == []

    # 5. the profile: all alerts, kept by the node; another browser (English by its own language) finds it
    page.get_by_test_id("alert-level").select_option("all")
    with bb.client("operator") as op:
        saved = wait_for(
            lambda: (v := op.get("/api/me/profile").json()["values"]).get("alerts.severity") == "all" and v,
            60,
        )
    assert saved and saved["language"] == "es", saved
    assert not page.errors and not partner.errors, (page.errors, partner.errors)
    partner.screenshot(path=str(ARTIFACTS / "50-chat-tt-es-1366x768.png"))
    second = _page(browser, contexts, bb, "operator", "en-US", (2560, 1440))
    second.wait_for_selector("html[lang=es]", state="attached")
    assert second.get_by_test_id("language").input_value() == "es"
    assert second.get_by_test_id("alert-level").input_value() == "all"
    assert "alertas" in second.get_by_test_id("alerts-panel").inner_text().lower()
    second.locator(f"[data-testid=case-item][data-case-id='{case_id}']").click()
    second.wait_for_selector("[data-testid=case-view][data-drawn]", state="attached")
    assert _english_left(_text(second, "[data-testid=case-view]")) == []
    assert not second.errors, second.errors


def test_admin_opens_a_regional_room_and_the_partner_answers_in_it(
    browser: Any, nodes: dict[str, Served], contexts: list[Any]
) -> None:
    bb, tt = nodes["bb"], nodes["tt"]
    admin = _page(browser, contexts, bb, "admin", "en-US", (1366, 768))
    admin.get_by_test_id("chat-toggle").click()
    admin.get_by_test_id("chat-new-room").click()
    form = admin.get_by_test_id("chat-room-form")
    form.get_by_test_id("chat-room-members").fill("tt, nowhere!")  # a bad node id: said, nothing made
    form.get_by_test_id("chat-room-title").fill("Mona Passage watch")
    form.get_by_test_id("chat-room-create").click()
    admin.get_by_test_id("chat-error").get_by_text("not node ids").wait_for()
    form.get_by_test_id("chat-room-members").fill("tt")
    form.get_by_test_id("chat-room-create").click()
    room = "region:bb:mona-passage-watch"
    _wait_room(admin, room)
    assert form.is_hidden()
    assert admin.get_by_test_id("chat-members").inner_text() == "Regional room · Members: BB, TT"
    assert admin.locator("optgroup[data-kind=region] option").all_inner_texts() == ["BB · Mona Passage watch"]
    # an operator sees regional rooms but may not open one
    with bb.client("operator") as op:
        assert (
            op.post("/api/chat/rooms", json={"slug": "x", "title": "X", "members": ["tt"]}).status_code == 403
        )
    with tt.client("operator") as tt_op:
        assert wait_for(
            lambda: room in {r["room_id"] for r in tt_op.get("/api/chat/rooms").json()["rooms"]}, 60
        )
    partner = _page(browser, contexts, tt, "operator", "fr-FR", (1366, 768))
    assert partner.get_by_test_id("chat-new-room").count() == 0
    partner.get_by_test_id("chat-toggle").click()
    group = partner.locator("optgroup[data-kind=region]")
    group.wait_for(state="attached")
    assert group.get_attribute("label") == i18n.catalogue("fr")["chat.regional_rooms"]
    partner.get_by_test_id("chat-room").select_option(room)
    _wait_room(partner, room)
    assert partner.get_by_test_id("chat-members").inner_text() == "Salon régional · Membres: BB, TT"
    partner.get_by_test_id("chat-text").fill("Bien reçu, patrouille en route")
    partner.get_by_test_id("chat-send").click()
    admin.get_by_test_id("chat-message").filter(has_text="Bien reçu, patrouille en route").wait_for()
    admin.set_viewport_size({"width": 2560, "height": 1440})
    shot(admin, "51-regional-room-2560x1440")
    assert not admin.errors and not partner.errors, (admin.errors, partner.errors)
