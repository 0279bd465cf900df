"""A harbour at berth zoom: the real NY Harbor hour replayed into a node, the page at zoom 15 over a quay
where tugs lie moored. From zoom 12 the land is OpenStreetMap's (the node's /api/layers/land), credited
in the attribution, and the moored vessels of the view lie off it; zoomed out, Natural Earth's land is
back. Screenshots at laptop (1366x768) and wall (2560x1440) sizes go to test-artifacts/web/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.shared import require_shared
from tests.web.conftest import sign_in, web_node
from tests.web.harness import NodeProcess, login, shot

# the tug berths of Port Richmond on the Kill Van Kull (Staten Island): ~20 tugs moored in the hour
HARBOUR = (40.6413, -74.1265, 15)


@pytest.fixture(scope="module")
def harbour_node(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[NodeProcess]:
    data = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    with web_node(tmp_path_factory, artifacts, "harbournode", replay=(data, 0.0)) as running:
        yield running


def _moored_in_view(node: NodeProcess, box: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    cookie = sign_in(node)
    with httpx.Client(base_url=node.url, cookies={cookie["name"]: cookie["value"]}, timeout=30) as client:
        answer = client.get("/api/tracks", params={"bbox": ",".join(map(str, box)), "max_age_s": 7200})
    answer.raise_for_status()
    features: list[dict[str, Any]] = answer.json()["features"]
    return [f for f in features if (f["properties"].get("sog_kn") or 0.0) < 0.5]


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (2560, 1440)])
def test_moored_vessels_lie_at_their_berths_on_fine_land(
    browser: Any, harbour_node: NodeProcess, width: int, height: int
) -> None:
    from seawatch.geo.fine_land import fine_land

    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=harbour_node.url, bypass_csp=True
    )
    context.add_cookies([sign_in(harbour_node)])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        lat, lon, zoom = HARBOUR
        login(page, harbour_node, f"/?view={lat},{lon},{zoom}")
        page.wait_for_selector("body[data-land=fine]", state="attached")
        assert "OpenStreetMap" in (page.locator(".leaflet-control-attribution").text_content() or "")
        # the view's moored vessels: there are some, and the fine land has none of them on it
        half_lon, half_lat = 0.012 * width / 1366, 0.005 * height / 768
        box = (lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
        moored = _moored_in_view(harbour_node, box)
        assert len(moored) >= 3, f"only {len(moored)} moored vessels in {box}"
        xy = [f["geometry"]["coordinates"] for f in moored]
        on_land = fine_land().is_on_land([p[0] for p in xy], [p[1] for p in xy])
        assert not on_land.any(), [
            m["properties"]["mmsi"] for m, bad in zip(moored, on_land, strict=True) if bad
        ]
        shot(page, f"40-harbour-berths-{width}x{height}")
        # zoomed out past harbour zoom (12), Natural Earth's land is drawn again
        login(page, harbour_node, f"/?view={lat},{lon},10")
        page.wait_for_selector("body[data-basemap='10m'][data-land=coarse]", state="attached")
        assert not errors, errors
    finally:
        context.close()
