"""The 95 % search circle of an intercept plan, in Chromium against a real `seawatch serve` with two patrol
boats: a go-fast reaches the node as radar contacts off Antigua (the real pipeline tracks it, its detectors
raise the alert, the planner plans the intercept). The alert shows the plan's ETA and its conservative (95 %)
ETA; once the boat is tasked, the map draws a thin dashed circle of the plan's `search_radius_nm` (in
metres, x 1852) around the predicted intercept point, its tooltip saying what it is in the reader's
language. Screenshots at 1366x768 and 2560x1440 (test-artifacts/web/62-*)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.web.harness import (
    ARTIFACTS,
    SESSION_COOKIE,
    radar_run,
    require_built_page,
    seawatch,
    serving,
    shot,
)

OPERATOR, PASSWORD = "op-charlie", "anchor-watch-19"
FLEET = """
[[assets]]
id = "CG-1"
name = "Liberta"
kind = "boat"
home_base = "St John's"
base_lat = 17.13
base_lon = -61.90
max_speed_kn = 40
cruise_speed_kn = 25
endurance_h = 8
fuel_range_nm = 200
crew = 5

[[assets]]
id = "CG-2"
name = "Palmetto"
kind = "boat"
home_base = "St John's"
base_lat = 17.12
base_lon = -61.88
max_speed_kn = 45
cruise_speed_kn = 25
endurance_h = 8
fuel_range_nm = 200
crew = 4
"""
EARTH_M = 6378137.0  # Web Mercator's sphere
WORDS = {
    "en": ("at worst ", "95 % search circle: "),
    "es": ("en el peor caso ", "círculo de búsqueda del 95 %: "),
}


@pytest.fixture(scope="module")
def ops_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_built_page()
    base = tmp_path_factory.mktemp("searchweb")
    config = base / "node.toml"
    config.write_text(
        'node_id = "antigua"\n[api]\nrate_limit_per_s = 10000\nrate_limit_burst = 10000\n' + FLEET,
        encoding="utf-8",
    )
    common = ["--config", str(config), "--data-dir", str(base / "data")]
    seawatch(
        "user",
        "add",
        OPERATOR,
        "--role",
        "operator",
        "--password-stdin",
        *common,
        input=f"{PASSWORD}\n".encode(),
    )
    with serving(common, ARTIFACTS / "search-node.log") as (url, _):
        yield url


def _session(url: str) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/api/auth/login", json={"username": OPERATOR, "password": PASSWORD}).raise_for_status()
        value = client.cookies.get(SESSION_COOKIE)
    assert value
    return str(value)


def _duration(seconds: float, h: str = "h") -> str:
    """i18n.ts fmtDuration: `1 h 5 min`, `25 min` (Math.round of the minutes)."""
    hours = int(seconds // 3600)
    minutes = math.floor((seconds % 3600) / 60 + 0.5)
    return f"{hours} {h} {minutes} min" if hours else f"{minutes} min"


def _worst(page: Any) -> tuple[str, float, str]:
    """The first alert's worst-case ETA as shown, its seconds, and the ETA beside it (read at once: the
    line is drawn again on each live intercept update)."""
    read = (
        "() => { const el = document.querySelector('[data-testid=alert-eta-worst]');"
        " const eta = el?.parentElement.querySelector('[data-testid=alert-eta]');"
        " return el && eta ? [el.textContent, el.dataset.etaWorstS, eta.textContent] : null; }"
    )
    for _ in range(100):
        seen = page.evaluate(read)
        if seen:
            break
        page.wait_for_timeout(100)
    assert seen, "no worst-case ETA on the alert"
    text, seconds, eta = seen
    return str(text), float(seconds), str(eta)


def test_search_circle_and_worst_eta_of_the_intercept_plan(browser: Any, ops_node: str) -> None:
    url = ops_node
    session = _session(url)
    end = datetime.now(UTC).replace(microsecond=0)
    with httpx.Client(base_url=url, timeout=30, cookies={SESSION_COOKIE: session}) as api:
        fixes = radar_run("ANU9", 17.05, -62.04, 250.0, 25.0, end)
        api.post("/api/observations", json={"observations": fixes}).raise_for_status()
        deadline = time.monotonic() + 60
        while True:
            ranked = api.get("/api/ops/alerts").json()
            if ranked and all(r["intercept"].get("reason") != "not planned yet" for r in ranked):
                break
            assert time.monotonic() < deadline, f"alerts not ranked: {ranked}"
            time.sleep(0.3)
    best = ranked[0]["intercept"]
    assert best["reachable"] and best["search_radius_nm"] and best["eta_worst_s"], best

    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=url, bypass_csp=True)
    context.add_cookies([{"name": SESSION_COOKIE, "value": session, "url": url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(30_000)
    try:
        # zoomed so that the search circle is about 300 px across
        across_m = 2 * best["search_radius_nm"] * 1852
        zoom = int(
            math.log2(2 * math.pi * EARTH_M * math.cos(math.radians(best["lat"])) * 300 / 256 / across_m)
        )
        page.goto(f"/?view={best['lat']:.4f},{best['lon']:.4f},{min(max(zoom, 6), 14)}")
        page.wait_for_selector("body[data-ready='1']", state="attached")
        # the alert: the plan's ETA and, beside it, its conservative (95 %) ETA
        worst = page.get_by_test_id("alert-eta-worst").first
        worst.wait_for()
        text, worst_s, eta = _worst(page)
        assert text == WORDS["en"][0] + _duration(worst_s)
        assert worst_s >= best["eta_s"] * 0.5 and eta.startswith("ETA ")
        assert worst.get_attribute("title")

        # tasked from the alert: the search circle around the predicted intercept point
        page.get_by_test_id("alert-task").first.click()
        circle = page.locator("path.intercept-search")
        circle.wait_for(state="attached")
        page.wait_for_selector("path.intercept-point", state="attached")
        with httpx.Client(base_url=url, timeout=30, cookies={SESSION_COOKIE: session}) as api:
            (tasking,) = api.get("/api/ops/taskings").json()
        plan = tasking["plan"]
        radius_m = float(circle.get_attribute("data-radius-m"))
        assert radius_m == pytest.approx(plan["search_radius_nm"] * 1852, rel=1e-9)
        assert page.locator("path.intercept-search").count() == 1
        # drawn at that radius: the path's box on screen is the circle's diameter at the map's scale
        zoom = int(page.get_by_test_id("map").get_attribute("data-center").split(",")[2])
        metres_per_px = 2 * math.pi * EARTH_M * math.cos(math.radians(plan["lat"])) / (256 * 2**zoom)
        box = circle.bounding_box()
        assert box["width"] == pytest.approx(2 * radius_m / metres_per_px, rel=0.05, abs=3)
        # thin, dashed, in the plan's colour
        style = circle.evaluate(
            "p => [p.getAttribute('stroke'), p.getAttribute('stroke-dasharray'),"
            " +p.getAttribute('stroke-width')]"
        )
        line = page.locator("path.intercept-route").first.get_attribute("stroke")
        assert style[0] == line and style[1] and style[2] < 3
        # the tooltip says what it is, in the reader's language
        point = page.locator("path.intercept-point").bounding_box()
        cx, cy = point["x"] + point["width"] / 2, point["y"] + point["height"] / 2
        inside = (cx + 0.6 * box["width"] / 2, cy)
        for lang in ("en", "es"):
            if lang != "en":
                page.get_by_test_id("language").select_option(lang)
                page.wait_for_selector(f"html[lang={lang}]", state="attached")
            page.mouse.move(5, 5)
            page.mouse.move(*inside, steps=4)
            tip = page.locator(".leaflet-tooltip", has_text=WORDS[lang][1])
            tip.wait_for()
            assert tip.inner_text().startswith(WORDS[lang][1])
            shot(page, f"62-intercept-search-{lang}-1366x768")
        text, worst_s, _ = _worst(page)  # the other boat's plan now
        assert text == WORDS["es"][0] + _duration(worst_s)
        page.set_viewport_size({"width": 2560, "height": 1440})
        page.mouse.move(5, 5)
        circle.wait_for(state="attached")
        shot(page, "62-intercept-search-es-2560x1440")
        assert not errors, errors
    finally:
        context.close()
