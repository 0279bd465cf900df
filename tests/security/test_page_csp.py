"""The web picture under the node's own security headers, in Chromium (CSP enforced, not bypassed):
sign in through the form, the map and the live stream come up, and the browser reports no CSP
violation. Also the headers themselves and the session cookie's flags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.security.conftest import ARTIFACTS, FIGURES, NodeProc
from tests.security.helpers import real_nmea_lines, udp_traffic
from tests.web.harness import launched_chromium


def test_security_headers_and_cookie_flags(node: NodeProc) -> None:
    with node.client() as client:
        page = client.get("/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        api = client.get("/api/health")
        assert api.headers["cache-control"] == "no-store" and "content-security-policy" in api.headers
        login = client.post(
            "/api/auth/login", json={"username": "viewer", "password": node.passwords["viewer"]}
        )
        cookie = login.headers["set-cookie"].lower()
        node.secrets.append(login.cookies["seawatch_session"])
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie.replace("samesite", "")  # plain HTTP on loopback; `Secure` behind HTTPS


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def test_the_page_works_under_its_csp(node: NodeProc, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, base_url=node.url)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    page.set_default_timeout(30_000)
    try:
        with udp_traffic(node.udp_port, real_nmea_lines(), every_s=0.02):
            page.goto("/")
            page.get_by_test_id("login-username").fill("viewer")
            page.get_by_test_id("login-password").fill(node.passwords["viewer"])
            page.get_by_test_id("login-submit").click()
            page.locator("[data-testid=app]").wait_for(state="visible")
            page.locator("[data-testid=live-status][data-state=open]").wait_for()
            page.locator(".leaflet-container").wait_for(state="visible")
            # a vessel drawn: the first visible path or marker (layers such as the territorial seas
            # may put hidden paths first)
            page.locator(
                "[data-testid=map] .leaflet-overlay-pane path, [data-testid=map] .leaflet-marker-icon"
            ).locator("visible=true").first.wait_for()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot: Path = ARTIFACTS / "page-under-csp.png"
            page.screenshot(path=str(shot))
    finally:
        context.close()
    violations = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    FIGURES["page_under_csp"] = {"csp_violations": len(violations), "console_errors": len(console)}
    assert not violations, violations
