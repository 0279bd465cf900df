"""Vessel labels do not cover other vessels' symbols: the real NY Harbor hour replayed into a node, the page
at zoom 15 over the Port Richmond tug berths where tugs lie side by side (tests/web/test_harbour_web.py's
view), at laptop (1366x768) and wall (2560x1440, bigger symbols) sizes. Every shown label (those of
selected or alerted vessels, always shown, aside) keeps off every other vessel's symbol and off the other
labels. The placement's cost stays in its class: the page counts the box tests it made, and the labels
module, run alone on synthetic pictures of 1 000 to 16 000 vessels at one density, makes a number of
tests that grows with the vessels, not with their square. Screenshots in test-artifacts/web/63-*."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.shared import require_shared
from tests.web.conftest import sign_in, web_node
from tests.web.harness import ROOT, NodeProcess, login, shot

HARBOUR = (40.6413, -74.1265, 15)
WEB = ROOT / "seawatch" / "web"

# for each shown label (not an always-shown one): the other vessels' symbols and shown labels it covers
COVERED = """() => {
  const inside = (p, q) => Math.min(p.right, q.right) - Math.max(p.left, q.left) > 1
    && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 1;
  const symbols = [...document.querySelectorAll('.track-icon [data-testid=track-marker]')]
    .map((el) => [el.dataset.trackId, el.getBoundingClientRect()]);
  const labels = [...document.querySelectorAll('.track-label')].filter((el) => el.offsetParent !== null);
  const covered = [];
  for (const label of labels) {
    if (label.classList.contains('label-always')) continue;
    const own = label.parentElement.querySelector('[data-testid=track-marker]').dataset.trackId;
    const box = label.getBoundingClientRect();
    for (const [id, sym] of symbols) {
      if (id !== own && inside(box, sym)) covered.push([label.textContent, id]);
    }
    for (const other of labels) {
      const near = other.getBoundingClientRect();
      if (other !== label && inside(box, near)) covered.push([label.textContent, other.textContent]);
    }
  }
  const map = document.querySelector('[data-testid=map]').dataset;
  return {covered, shown: labels.length, symbols: symbols.length, labels: map.labels,
          checks: Number(map.labelChecks), boxes: Number(map.labelBoxes)};
}"""


@pytest.fixture(scope="module")
def harbour_node(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[NodeProcess]:
    data = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    with web_node(tmp_path_factory, artifacts, "labelnode", replay=(data, 0.0)) as running:
        yield running


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (2560, 1440)])
def test_labels_keep_off_other_vessels_symbols(
    browser: Any, harbour_node: NodeProcess, width: int, height: int
) -> None:
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
        page.wait_for_function(
            "() => { const l = document.querySelector('[data-testid=map]').dataset.labels;"
            " return l && Number(l.split('/')[0]) >= 3; }"
        )
        page.wait_for_timeout(500)  # the last render of the replayed hour
        seen = page.evaluate(COVERED)
        assert seen["covered"] == [], seen
        shown, total = map(int, seen["labels"].split("/"))
        assert shown >= 3 and shown < total and seen["symbols"] > shown, seen
        # the placement's count of box tests: a few per label and symbol, far from every pair
        assert 0 < seen["checks"] <= 8 * seen["boxes"] < seen["boxes"] ** 2 / 2, seen
        shot(page, f"63-labels-off-symbols-{width}x{height}")
        assert not errors, errors
    finally:
        context.close()


BENCH = """
import { placeLabels } from "LABELS";
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const out = {};
for (const n of [1000, 4000, 16000]) {
  const side = Math.sqrt(n) * 40; // one vessel per 40 x 40 px, whatever the number: a harbour's density
  const items = [], symbols = [];
  for (let i = 0; i < n; i++) {
    const x = rand() * side, y = rand() * side;
    items.push({ x: x + 13, y: y - 8, w: 40 + rand() * 60, h: 15, rank: i % 3, always: false });
    symbols.push({ x: x - 11, y: y - 11, w: 22, h: 22, owner: i });
  }
  const stats = { checks: 0 };
  const shown = placeLabels(items, symbols, stats).filter(Boolean).length;
  out[n] = { checks: stats.checks, shown };
}
console.log(JSON.stringify(out));
"""


def test_label_placement_cost_grows_with_the_vessels_not_their_square(tmp_path: Path) -> None:
    """labels.ts alone (bundled by the page's esbuild, run by node): 4x and 16x the vessels at the same
    density cost about 4x and 16x the box tests (a quadratic placement would be 16x and 256x)."""
    script = tmp_path / "bench.ts"
    script.write_text(BENCH.replace("LABELS", str(WEB / "src" / "labels.ts")))
    bundled = tmp_path / "bench.mjs"
    esbuild = WEB / "node_modules" / ".bin" / "esbuild"
    build = [str(esbuild), str(script), "--bundle", "--format=esm", f"--outfile={bundled}"]
    subprocess.run(build, check=True, capture_output=True, cwd=WEB)
    counts = json.loads(
        subprocess.run(["node", str(bundled)], check=True, capture_output=True, text=True).stdout
    )
    small, mid, big = (counts[str(n)] for n in (1000, 4000, 16000))
    assert small["checks"] > 0 and 0 < small["shown"] < 1000, counts
    assert mid["checks"] < 6 * small["checks"] and big["checks"] < 6 * mid["checks"], counts
    print(counts)
