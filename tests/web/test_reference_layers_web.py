"""`seawatch demo` as an operator sees it: the simulated scenario's radar coverage rings and the NOAA
EEZ / contiguous-zone lines on the map, in the layer control and the legend; screenshots at laptop
(1366x768) and wall (2560x1440) sizes, centred on Puerto Rico."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from seawatch.sim.scenario import load_scenario
from tests.web.harness import (
    ARTIFACTS,
    NodeProcess,
    free_port,
    login,
    require_built_page,
    shot,
    stop_process,
)

SCENARIO = "caribbean-gofast"  # the demo's default


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    require_built_page()
    base = tmp_path_factory.mktemp("demo")
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seawatch",
                "demo",
                "--port",
                str(port),
                "--scenario",
                SCENARIO,
                "--data-dir",
                str(base / "data"),
                "--duration-s",
                "600",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        password = ""
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"seawatch demo exited with {process.returncode}: see {log_path}")
            text = log_path.read_text(encoding="utf-8", errors="replace")
            if "login: demo / " in text:
                password = text.split("login: demo / ", 1)[1].split()[0]
                try:
                    if httpx.get(f"{url}/api/health", timeout=2).status_code in (200, 401):
                        break
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"seawatch demo did not answer within 60 s: see {log_path}")
            time.sleep(0.3)
        yield NodeProcess(url, "demo", password, process, base / "data")
    finally:
        stop_process(process)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (2560, 1440)])
def test_demo_shows_radar_coverage_and_eez_lines(
    browser: Any, demo: NodeProcess, width: int, height: int
) -> None:
    radars = load_scenario(SCENARIO, check_geo=False).radars
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=demo.url, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, demo, "/?view=17.2,-67.5,6")
        page.wait_for_selector("body[data-layers=ready]", state="attached")
        control = page.locator(".leaflet-control-layers")
        labels = control.text_content() or ""
        assert f"Radar coverage ({len(radars)})" in labels and "EEZ boundaries / contiguous zone" in labels
        assert all(box.is_checked() for box in control.locator("input[type=checkbox]").all())
        legend = page.get_by_test_id("legend").inner_text()
        assert "EEZ limit" in legend and "contiguous zone" in legend and "radar coverage" in legend
        # the EEZ and contiguous-zone lines are drawn dashed, as the legend shows them
        assert page.locator("path[stroke-dasharray='8 6']").count() > 0
        assert page.locator("path[stroke-dasharray='2 5']").count() > 0
        control.hover()  # expanded, so the screenshot shows the toggles
        shot(page, f"24-reference-layers-{width}x{height}")
        assert not errors, errors
    finally:
        context.close()
