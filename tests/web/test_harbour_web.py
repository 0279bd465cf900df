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


def _assert_labels_apart(page: Any) -> None:
    """Moored tugs lie side by side: their labels are decluttered, no two shown ones overlap (those of
    selected or alerted vessels, always shown, aside) and some of the pile are hidden."""
    page.wait_for_function(
        "() => { const l = document.querySelector('[data-testid=map]').dataset.labels;"
        " return l && Number(l.split('/')[0]) >= 3; }"
    )
    placed = page.evaluate(
        """() => {
          const boxes = [...document.querySelectorAll('.track-label')]
            .filter((el) => el.offsetParent !== null && !el.classList.contains('label-always'))
            .map((el) => [el.textContent, el.getBoundingClientRect()]);
          const overlaps = [];
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const [a, p] = boxes[i], [b, q] = boxes[j];
            const apart = p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top;
            if (!apart) overlaps.push([a, b]);
          }
          const labels = document.querySelector('[data-testid=map]').dataset.labels;
          return { shown: boxes.length, overlaps, labels };
        }"""
    )
    assert placed["overlaps"] == [], placed
    shown, total = map(int, placed["labels"].split("/"))
    assert placed["shown"] >= 3 and shown < total, placed


def _luminance(rgb: tuple[int, ...]) -> float:
    lin = [c / 3294.6 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def _assert_land_stands_out(page: Any) -> None:
    """The land's fill (the base map canvas's commonest opaque colour) against the sea (the map's
    background): at least 1.4:1, and the threat colours keep 2.5:1 against both."""
    colours = page.evaluate(
        """() => {
          const canvas = document.querySelector('.leaflet-basemap-pane canvas');
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          const counts = new Map();
          for (let i = 0; i < data.length; i += 16) {
            if (data[i + 3] !== 255) continue;
            const key = `${data[i]},${data[i + 1]},${data[i + 2]}`;
            counts.set(key, (counts.get(key) || 0) + 1);
          }
          const land = [...counts].sort((a, b) => b[1] - a[1])[0][0];
          const sea = getComputedStyle(document.querySelector('.leaflet-container')).backgroundColor;
          return { land, sea: sea.match(/\\d+/g).slice(0, 3).join(',') };
        }"""
    )
    land = tuple(int(v) for v in colours["land"].split(","))
    sea = tuple(int(v) for v in colours["sea"].split(","))
    assert _contrast(land, sea) >= 1.4, colours
    for threat in ((0xFF, 0x2B, 0x2B), (0xFF, 0x3D, 0xF2), (0xFF, 0xD4, 0x00)):
        assert min(_contrast(threat, land), _contrast(threat, sea)) >= 2.5, (threat, colours)


def _assert_credits_in_one_line(page: Any) -> None:
    """Every source is credited (Natural Earth, OpenStreetMap's ODbL, NOAA) in one line that stays
    clear of the scale bar; what each gives is in the line's tooltip."""
    credits = page.get_by_test_id("map-credits")
    text = credits.inner_text()
    for source in ("Natural Earth", "OpenStreetMap (ODbL)", "NOAA"):
        assert source in text, text
    assert "OpenStreetMap" in (credits.get_attribute("title") or "")
    box = credits.bounding_box()
    scale = page.locator(".leaflet-control-scale").bounding_box()
    assert box is not None and scale is not None
    font_px = float(credits.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)"))
    assert box["height"] < 2.2 * font_px, (box, font_px)  # one line (two would be ~2.8 font sizes)
    assert box["x"] >= scale["x"] + scale["width"] or box["y"] >= scale["y"] + scale["height"], (box, scale)


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
        _assert_labels_apart(page)
        _assert_land_stands_out(page)
        _assert_credits_in_one_line(page)
        shot(page, f"40-harbour-berths-{width}x{height}")
        # zoomed out past harbour zoom (12), Natural Earth's land is drawn again
        login(page, harbour_node, f"/?view={lat},{lon},10")
        page.wait_for_selector("body[data-basemap='10m'][data-land=coarse]", state="attached")
        assert not errors, errors
    finally:
        context.close()
