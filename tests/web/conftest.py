"""Browser tests of the web picture: a real node (`seawatch serve`) fed with real AIS, in Chromium.

The node runs as its own process, started with the real commands (`seawatch user add`, `seawatch serve`),
replaying the Gulf of Mexico / Caribbean part of the real US coastal day at 300x real time, so tracks
keep arriving over the WebSocket while the tests run. Screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.harness import (
    ARTIFACTS,
    PASSWORD,
    REPLAY_SPEED,
    SESSION_COOKIE,
    USER,
    NodeProcess,
    gulf_slice,
    launched_chromium,
    real_names,
    require_built_page,
    seawatch,
    serving,
)


@pytest.fixture(scope="package")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@contextmanager
def web_node(
    tmp_path_factory: pytest.TempPathFactory,
    artifacts: Path,
    name: str = "webnode",
    replay: tuple[Path, float] | None = None,
) -> Iterator[NodeProcess]:
    """A node replaying the real Gulf slice; tests that change what the node holds (cases sail a go-fast and
    report sightings now) start their own, so the shared node's picture stays the data's. `replay`: another
    AIS file and its replay speed (0: at once) instead."""
    require_built_page()
    base = tmp_path_factory.mktemp(name)
    spare = None
    if replay is None:
        data = gulf_slice(base / "gulf.csv")
        names = base / "names.nmea"
        spare = real_names(names, data)
        paths, speed = [str(names), str(data)], REPLAY_SPEED
    else:
        paths, speed = [str(replay[0])], replay[1]
    config = base / "node.toml"
    config.write_text(
        'node_id = "webtest"\n'
        "[[feeds]]\n"
        'name = "us-gulf"\nkind = "file"\n'
        f"paths = {paths!r}\nspeed = {speed}\ntimeout_s = 3600\n"
        "[api]\nrate_limit_per_s = 10000\nrate_limit_burst = 10000\n"
    )
    data_dir = base / "data"
    common = ["--config", str(config), "--data-dir", str(data_dir)]
    seawatch(
        "user", "add", USER, "--role", "admin", "--password-stdin", *common, input=f"{PASSWORD}\n".encode()
    )
    with serving(common, artifacts / f"{name}.log", cwd=base) as (url, process):
        running = NodeProcess(url, USER, PASSWORD, process, data_dir, spare)
        # wait for the first tracks so that the page has something to show
        deadline = time.monotonic() + 60
        while running.data_time() is None:
            assert time.monotonic() < deadline, "no track reached the node within 60 s"
            time.sleep(0.3)
        yield running


@pytest.fixture(scope="package")
def node(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[NodeProcess]:
    with web_node(tmp_path_factory, artifacts) as running:
        yield running


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


PAGE_SETTINGS = ("language", "filters", "map.view", "map.layers")


@pytest.fixture(autouse=True)
def _fresh_page_settings(request: pytest.FixtureRequest) -> None:
    """The node keeps each user's page settings (language, filters, map view, layers) across browsers:
    each test starts from the defaults, whatever an earlier test left in the test user's profile."""
    if "node" not in request.fixturenames:
        return
    node: NodeProcess = request.getfixturevalue("node")
    cookie: dict[str, str] = request.getfixturevalue("session_cookie")
    with httpx.Client(base_url=node.url, cookies={cookie["name"]: cookie["value"]}, timeout=30) as client:
        reset = client.put("/api/me/profile", json={"values": dict.fromkeys(PAGE_SETTINGS)})
        assert reset.status_code == 200, reset.text


@pytest.fixture(scope="package")
def session_cookie(node: NodeProcess) -> dict[str, str]:
    """One sign-in for the suite (password hashing is slow on purpose); tests reuse its session cookie."""
    return sign_in(node)


def sign_in(node: NodeProcess) -> dict[str, str]:
    with node.client() as client:
        value = client.cookies.get(SESSION_COOKIE)
    assert value, "login did not set the session cookie"
    return {"name": SESSION_COOKIE, "value": value, "url": node.url}


def _new_page(browser: Any, node: NodeProcess, cookie: dict[str, str] | None) -> tuple[Any, Any, list[str]]:
    # Playwright's string waits (wait_for_function) are evaluated like eval(), which the node's CSP
    # forbids; the page itself under its CSP is proven in tests/security/test_page_csp.py
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=node.url, bypass_csp=True)
    if cookie:
        context.add_cookies([cookie])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(30_000)
    return context, page, errors


@pytest.fixture
def contexts(browser: Any) -> Iterator[list[Any]]:
    """Browser contexts a test opens itself (several users, sizes or languages), closed after it."""
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()


@pytest.fixture
def page(browser: Any, node: NodeProcess, session_cookie: dict[str, str]) -> Iterator[Any]:
    """A fresh browser context at a laptop size, signed in (session cookie), on the node's page."""
    context, page, errors = _new_page(browser, node, session_cookie)
    try:
        yield page
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        context.close()


@pytest.fixture
def anonymous_page(browser: Any, node: NodeProcess) -> Iterator[Any]:
    """A fresh browser context with no cookies: the page must ask to sign in."""
    context, page, errors = _new_page(browser, node, None)
    try:
        yield page
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        context.close()
