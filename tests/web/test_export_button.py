"""The Download control exports what the map shows: the file Chromium saves holds only rows inside the
map's extent and the hour before the picture time, and equals what the API gives for the same request."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.web.harness import NodeProcess, login, shot

pytestmark = pytest.mark.browser


def test_download_the_current_view(page: Any, node: NodeProcess) -> None:
    login(page, node)
    page.wait_for_selector("[data-testid=track-marker]")
    page.get_by_test_id("export-kind").select_option("positions")
    page.get_by_test_id("export-format").select_option("csv")
    with page.expect_request(lambda r: "/api/export/" in r.url) as asked, page.expect_download() as saved:
        page.get_by_test_id("export-download").click()
    url = asked.value.url
    params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert params["format"] == "csv" and urlparse(url).path == "/api/export/positions"
    lon0, lat0, lon1, lat1 = (float(x) for x in params["bbox"].split(","))
    start, end = (datetime.fromisoformat(params[k].replace("Z", "+00:00")) for k in ("start", "end"))
    assert (end - start).total_seconds() == 3600
    download = saved.value
    assert download.suggested_filename.startswith(
        "seawatch-positions-"
    ) and download.suggested_filename.endswith(".csv")
    saved_bytes = Path(download.path()).read_bytes()
    rows = list(csv.DictReader(io.StringIO(saved_bytes.decode())))
    assert rows, "the view had tracks, the export must have positions"
    for r in rows:
        assert lon0 <= float(r["lon"]) <= lon1 and lat0 <= float(r["lat"]) <= lat1
        assert start <= datetime.fromisoformat(r["time"].replace("Z", "+00:00")) <= end
    with node.client() as client:
        again = client.get(url.removeprefix(node.url))
    assert again.status_code == 200 and again.content == saved_bytes
    for width, height in ((1366, 768), (2560, 1440)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
        assert page.get_by_test_id("export-download").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"20-export-{width}x{height}")


def test_a_refused_export_is_shown_not_saved(page: Any, node: NodeProcess) -> None:
    login(page, node)
    page.wait_for_selector("[data-testid=track-marker]")
    page.get_by_test_id("export-kind").select_option("positions")
    page.get_by_test_id("export-format").evaluate("el => el.add(new Option('xlsx', 'xlsx'))")
    page.get_by_test_id("export-format").select_option("xlsx")
    page.get_by_test_id("export-download").click()
    hint = page.locator("#map-hint")
    hint.wait_for(state="visible")
    assert "format" in hint.inner_text() and "xlsx" in hint.inner_text()
