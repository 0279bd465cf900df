"""The page in six languages and the profile the node keeps, in Chromium against the real node of
tests/web/conftest.py.

An officer of their own (so no other test's settings interfere) switches the page to Spanish: the alert
panel (a real go-fast with its reasons), the dossier, the filters and the legend are in Spanish, and no
English text or raw catalogue key is left. They change the alert filter, a filter, a layer and the map
view; a second browser (English by its own language) signs in as them and finds it all restored.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from seawatch import i18n
from tests.web.english import ES, RAW_KEY, english_in, english_only
from tests.web.harness import NodeProcess, shot
from tests.web.test_alerts_web import _race

OFFICER, OFFICER_PASSWORD = "oficial-de-guardia", "faro-del-morro-31"
CHECKED_SECTIONS = ("top", "filters", "alerts", "event", "measure", "legend", "dossier", "time", "status")
ENGLISH_ONLY = english_only(CHECKED_SECTIONS)


@pytest.fixture(scope="module")
def officer(node: NodeProcess) -> dict[str, str]:
    with node.client() as admin:
        made = admin.post(
            "/api/users", json={"name": OFFICER, "role": "operator", "password": OFFICER_PASSWORD}
        )
        assert made.status_code in (201, 409), made.text
    return {"user": OFFICER, "password": OFFICER_PASSWORD}


@pytest.fixture(scope="module")
def go_fast(node: NodeProcess) -> dict[str, Any]:
    with node.client() as client:
        return _race(client, 338_200_001, 25.0, -89.9)


def _open(browser: Any, node: NodeProcess, opened: list[Any], width: int, height: int, locale: str) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=node.url, locale=locale
    )
    opened.append(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def _sign_in(page: Any, who: dict[str, str]) -> None:
    page.goto("/")
    page.get_by_test_id("login-username").fill(who["user"])
    page.get_by_test_id("login-password").fill(who["password"])
    page.get_by_test_id("login-submit").click()
    # the node checks the password slowly on purpose: give a loaded machine time
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=90_000)
    page.wait_for_selector("body[data-basemap]", state="attached")


def _visible_text(page: Any) -> str:
    text: str = page.evaluate(
        "() => [document.body.innerText, ...[...document.querySelectorAll("
        "'[title], [placeholder], [aria-label]')].filter((el) => el.offsetParent !== null)"
        ".flatMap((el) => [el.title, el.placeholder, el.getAttribute('aria-label')])]"
        ".filter(Boolean).join('\\n')"
    )
    return text


def _assert_spanish(page: Any, where: str) -> None:
    text = _visible_text(page)
    left = english_in(text, ENGLISH_ONLY)
    assert not left, f"{where}: English left on the Spanish page: {left}"
    assert not RAW_KEY.findall(text), f"{where}: catalogue keys shown raw: {RAW_KEY.findall(text)}"


def _profile(node: NodeProcess, who: dict[str, str]) -> dict[str, Any]:
    with httpx.Client(base_url=node.url, timeout=30) as client:
        client.post("/api/auth/login", json={"username": who["user"], "password": who["password"]})
        values: dict[str, Any] = client.get("/api/me/profile").json()["values"]
    return values


def test_spanish_page_and_profile_restored_on_another_browser(
    browser: Any, node: NodeProcess, officer: dict[str, str], go_fast: dict[str, Any], contexts: list[Any]
) -> None:
    first = _open(browser, node, contexts, 1366, 768, "en-US")
    first.goto("/")
    assert first.get_by_test_id("login-submit").inner_text() == "Sign in"  # the browser's language
    _sign_in(first, officer)
    first.get_by_test_id("language").select_option("es")
    first.wait_for_selector("html[lang=es]", state="attached")

    # the alert panel: a real go-fast, its label and reasons in Spanish, numbers in Spanish form
    item = first.locator(f"li[data-event-id='{go_fast['id']}']")
    item.wait_for()
    assert item.locator(".alert-type").inner_text() == "Lancha rápida" == ES["event.speed_anomaly"]
    why = item.get_by_test_id("alert-why").inner_text()
    assert "velocidad mediana 30,0 nudos ≥ 25,0 nudos" in why and "duró" in why and "≥ 10 min" in why
    panel = first.get_by_test_id("alerts-panel").inner_text().lower()  # headings are styled in capitals
    assert "alertas" in panel and "atendidas" in panel
    # read each item's type and label in one go: the live list re-renders between two separate reads
    labelled = first.evaluate(
        "() => [...document.querySelectorAll('[data-testid=alert-item]')].slice(0, 20)"
        ".map((li) => [li.dataset.eventType, li.querySelector('.alert-type').innerText])"
    )
    assert labelled
    for kind, label in labelled:
        assert label == ES[f"event.{kind}"]
    assert re.fullmatch(r"\d{1,2} \w{3,5}\.?,? \d\d:\d\d UTC", item.locator(".alert-time").inner_text())

    # filters and legend
    filters = first.get_by_test_id("filters-panel").inner_text().lower()
    for spanish in (
        "Filtros",
        "Tipo de buque",
        "Fuente",
        "solo radar",
        "Velocidad mín. (nudos)",
        "cualquiera",
    ):
        assert spanish.lower() in filters
    assert first.get_by_test_id("filter-type").locator("option[value=tanker]").inner_text() == "petrolero"
    legend = first.get_by_test_id("legend").inner_text().lower()
    for spanish in ("Amenaza", "blanco oscuro (sin AIS)", "lancha rápida ≥ 25 nudos", "Referencia", "200 MN"):
        assert spanish.lower() in legend
    assert first.get_by_test_id("vessel-search").get_attribute("placeholder") == ES["top.search"]

    # the dossier of the go-fast
    item.click()
    first.wait_for_selector("[data-testid=dossier-panel][data-state=ready]", state="attached")
    dossier = first.get_by_test_id("dossier-panel").inner_text().lower()
    for spanish in ("Lancha rápida", "Identidad", "Historial de la traza", "Eventos"):
        assert spanish.lower() in dossier
    if first.get_by_test_id("dossier-state").count():  # the track is still in the live picture
        state = first.get_by_test_id("dossier-state").inner_text()
        assert "Velocidad" in state and "Rumbo" in state and "Visto por última vez" in state
        assert "30,0 nudos" in state
    assert "velocidad mediana 30,0 nudos" in dossier
    _assert_spanish(first, "page with dossier")

    # nothing overflows the top bar or the panels' headings, in any of the six languages; no item of the
    # top bar is cut (an ellipsis) either
    for lang in (*i18n.LANGUAGES, "es"):
        first.get_by_test_id("language").select_option(lang)
        first.wait_for_selector(f"html[lang={lang}]", state="attached")
        overflow = first.evaluate(
            "() => [...document.querySelectorAll('.topbar, .topbar > *, .panel h2, .timebar')]"
            ".filter((el) => el.scrollWidth > el.clientWidth + 1)"
            ".map((el) => `${el.className || el.tagName} by ${el.scrollWidth - el.clientWidth} px`)"
        )
        assert overflow == [], f"text overflows at 1366x768 in {lang}: {overflow}"
        if lang == "ht":
            shot(first, "42-haitian-creole-1366x768")
    shot(first, "40-spanish-1366x768")

    # the officer's settings: all alerts, tankers from 12 kn, no radar coverage layer, a view of their own
    first.get_by_test_id("alert-level").select_option("all")
    first.get_by_test_id("filter-type").select_option("tanker")
    first.get_by_test_id("filter-speed").fill("12")
    first.locator(".leaflet-control-layers").hover()
    coverage = first.locator(".leaflet-control-layers-overlays label", has_text="Cobertura radar").locator(
        "input"
    )
    coverage.uncheck()
    first.get_by_test_id("dossier-close").click()
    first.locator(".leaflet-control-zoom-in").click()
    first.wait_for_function("() => document.querySelector('[data-testid=map]').dataset.center")
    deadline = time.monotonic() + 30
    while True:
        center = first.get_by_test_id("map").get_attribute("data-center")
        lat, lon, zoom = (float(x) for x in center.split(","))
        saved = _profile(node, officer)
        view = saved.get("map.view") or {}
        if (
            saved.get("language") == "es"
            and saved.get("alerts.severity") == "all"
            and saved.get("filters", {}).get("min_speed_kn") == 12
            and saved.get("map.layers") == {"hidden": ["coverage"]}
            and abs(view.get("lat", 99) - lat) < 1e-4
            and view.get("zoom") == zoom
        ):
            break
        assert time.monotonic() < deadline, f"profile not saved: {saved}, map at {center}"
        time.sleep(0.5)
    assert saved["filters"]["ship_type"] == "tanker"
    assert not first.errors, first.errors

    # another browser, English by its own language, a wall screen: signs in and finds it all
    second = _open(browser, node, contexts, 2560, 1440, "en-US")
    second.goto("/")
    assert second.get_by_test_id("login-submit").inner_text() == "Sign in"
    _sign_in(second, officer)
    second.wait_for_selector("html[lang=es]", state="attached")
    assert second.get_by_test_id("alert-level").input_value() == "all"
    assert second.get_by_test_id("filter-type").input_value() == "tanker"
    assert second.get_by_test_id("filter-speed").input_value() == "12"
    assert second.get_by_test_id("language").input_value() == "es"
    lat2, lon2, zoom2 = (
        float(x) for x in second.get_by_test_id("map").get_attribute("data-center").split(",")
    )
    assert abs(lat2 - lat) < 1e-4 and abs(lon2 - lon) < 1e-4 and zoom2 == zoom
    second.locator(".leaflet-control-layers").hover()
    labels = second.locator(".leaflet-control-layers-overlays label")
    assert not labels.filter(has_text="Cobertura radar").locator("input").is_checked()
    assert labels.filter(has_text="Mares territoriales").locator("input").is_checked()
    second.mouse.move(5, 700)  # let the layer control fold again for the screenshot
    assert "alertas" in second.get_by_test_id("alerts-panel").inner_text().lower()
    _assert_spanish(second, "restored page")
    shot(second, "41-spanish-2560x1440")
    assert not second.errors, second.errors


def test_each_language_names_the_page_and_the_browser_language_is_the_default(
    browser: Any, node: NodeProcess, contexts: list[Any]
) -> None:
    french = _open(browser, node, contexts, 1366, 768, "fr-FR")
    french.goto("/")
    assert french.get_by_test_id("login-submit").inner_text() == "Se connecter"
    assert french.evaluate("document.documentElement.lang") == "fr"
    german = _open(browser, node, contexts, 1366, 768, "de-DE")  # no German: English
    german.goto("/")
    assert german.get_by_test_id("login-submit").inner_text() == "Sign in"
    for lang in i18n.LANGUAGES:
        german.get_by_test_id("login-language").select_option(lang)
        german.wait_for_selector(f"html[lang={lang}]", state="attached")
        words = i18n.catalogue(lang)
        assert german.get_by_test_id("login-submit").inner_text() == words["login.submit"]
        assert (
            german.locator("label", has=german.get_by_test_id("login-password")).inner_text().strip()
            == (words["login.password"])
        )
        assert not RAW_KEY.findall(german.locator("body").inner_text())
    german.reload()  # the choice on the sign-in screen is kept by this browser
    german.wait_for_selector("html[lang=pap]", state="attached")
    assert german.get_by_test_id("login-submit").inner_text() == i18n.catalogue("pap")["login.submit"]
