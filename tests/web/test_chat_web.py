"""Chat between two nations in Chromium: an English-speaking operator on bb and a Spanish-speaking one on
tt (browser locale es-ES), each on their own node, federated over a real NATS server. bb opens a case
released to tt; they chat in the case's room: free text arrives as written (with "no translation model
installed" in the other's language), and tt's contact report reads in English on bb and in Spanish on tt.
Screenshots at 1366x768 and 2560x1440 in test-artifacts/web/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seawatch.share.localbroker import LocalNatsServer
from tests.chat.harness import Served, federated_node, password
from tests.share.helpers import make_keys
from tests.web.harness import ARTIFACTS, login

pytestmark = pytest.mark.broker


@dataclass
class Account:
    url: str
    user: str
    password: str


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    server = LocalNatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def two_nodes(tmp_path: Path, nats_server: LocalNatsServer) -> Iterator[dict[str, Served]]:
    keys = make_keys(["bb", "tt"])
    nodes = {
        n: federated_node(
            n, keys, tmp_path, {p: {"case_messages": True} for p in keys if p != n}, nats_server.url
        )
        for n in keys
    }
    try:
        yield nodes
    finally:
        for served in nodes.values():
            served.stop()


def _page(browser: Any, node: Served, locale: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(
        base_url=node.url, locale=locale, viewport={"width": size[0], "height": size[1]}
    )
    page = context.new_page()
    login(page, Account(node.url, "operator", password("operator")))  # type: ignore[arg-type]
    page.get_by_test_id("chat-toggle").click()
    return page


@pytest.mark.parametrize("size", [(1366, 768), (2560, 1440)])
def test_two_operators_chat_across_nodes_and_languages(
    browser: Any, two_nodes: dict[str, Served], size: tuple[int, int]
) -> None:
    """`browser` is the package's Chromium: a second sync Playwright in one thread is refused."""
    bb, tt = two_nodes["bb"], two_nodes["tt"]
    with bb.client("operator") as op:
        case = op.post("/api/cases", json={"title": "Go-fast south of Ponce", "releasable_to": ["tt"]}).json()
        room = op.get(f"/api/chat/cases/{case['id']}").json()["room_id"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_bb = _page(browser, bb, "en-US", size)
    page_bb.wait_for_function(
        f"() => document.querySelector('[data-testid=chat-panel]').dataset.room === '{room}'"
    )
    page_bb.get_by_test_id("chat-text").fill("Go-fast heading south at high speed, two outboards")
    page_bb.get_by_test_id("chat-lang").select_option("en")
    page_bb.get_by_test_id("chat-send").click()

    # tt's operator, in Spanish, sees the case's room arrive and bb's message as written
    page_tt = _page(browser, tt, "es-ES", size)
    page_tt.wait_for_function(
        f"() => document.querySelector('[data-testid=chat-panel]').dataset.room === '{room}'",
        timeout=30_000,
    )
    first = page_tt.get_by_test_id("chat-message").first
    first.wait_for(timeout=30_000)
    assert (
        first.get_by_test_id("chat-text-out").inner_text()
        == "Go-fast heading south at high speed, two outboards"
    )
    assert first.get_by_test_id("chat-note").inner_text() == "No hay modelo de traducción instalado"
    assert page_tt.get_by_test_id("chat-members").inner_text() == "Miembros: BB, TT"

    # tt sends a contact report from its form (labels in Spanish)
    page_tt.get_by_test_id("chat-report-fold").locator("summary").click()
    page_tt.get_by_test_id("report-what").select_option("go_fast")
    page_tt.get_by_test_id("report-activity").select_option("fleeing")
    page_tt.get_by_test_id("report-lat").fill("17.9512")
    page_tt.get_by_test_id("report-lon").fill("-66.6087")
    page_tt.get_by_test_id("report-course").fill("265")
    page_tt.get_by_test_id("report-speed").fill("34.5")
    page_tt.get_by_test_id("report-send").click()
    report_tt = page_tt.get_by_test_id("chat-report").last
    report_tt.wait_for()
    assert report_tt.locator("h4").inner_text().lower() == "informe de contacto"
    facts_tt = report_tt.locator("dd").all_inner_texts()
    assert facts_tt[:5] == [
        "Lancha rápida (go-fast)",
        "17,9512° N, 66,6087° O",
        "265°",
        "34,5 nudos",
        "Huyendo",
    ]

    # bb reads the same report in English, pushed live
    report_bb = page_bb.get_by_test_id("chat-report").last
    report_bb.wait_for(timeout=30_000)
    assert report_bb.locator("h4").inner_text().lower() == "contact report"
    assert report_bb.locator("dd").all_inner_texts()[:5] == [
        "Go-fast boat",
        "17.9512° N, 66.6087° W",
        "265°",
        "34.5 kn",
        "Fleeing",
    ]
    # ...and tt answers in free text; bb's page shows it as written, with its language
    page_tt.get_by_test_id("chat-text").fill("Recibido, nuestro avión sale en diez minutos")
    page_tt.get_by_test_id("chat-send").click()
    last_bb = page_bb.get_by_test_id("chat-message").last
    last_bb.get_by_text("Recibido, nuestro avión sale en diez minutos").wait_for(timeout=30_000)
    assert "ES" in last_bb.locator(".chat-lang").inner_text()
    # bad input: too long is refused by the node with a clear message, nothing shown as sent
    count = page_bb.get_by_test_id("chat-message").count()
    page_bb.get_by_test_id("chat-text").evaluate("t => t.removeAttribute('maxlength')")
    page_bb.get_by_test_id("chat-text").fill("x" * 4001)
    page_bb.get_by_test_id("chat-send").click()
    page_bb.get_by_test_id("chat-error").get_by_text("4000").wait_for()
    assert page_bb.get_by_test_id("chat-message").count() == count

    tag = f"{size[0]}x{size[1]}"
    page_bb.screenshot(path=str(ARTIFACTS / f"chat-bb-en-{tag}.png"))
    page_tt.screenshot(path=str(ARTIFACTS / f"chat-tt-es-{tag}.png"))
