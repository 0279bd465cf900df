"""Vessel labels do not cover other vessels' symbols: the real NY Harbor hour replayed into a node, the page
at zoom 15 over the Port Richmond tug berths where tugs lie side by side (tests/web/test_harbour_web.py's
view), at laptop (1366x768) and wall (2560x1440, bigger symbols) sizes. A label that would cover another
label or symbol on the right of its own symbol takes the first free side of left, above, below; every shown
label (those of selected or alerted vessels, always shown, aside), on whichever side, keeps off every other
vessel's symbol and off the other labels, and more labels show than with the right side only (the page's
`data-label-sides="right"`, as before sides were tried). The placement's cost stays in its class: the page
counts the box tests it made, and the labels module, run alone on synthetic pictures of 1 000 to 16 000
vessels at one density, makes a number of tests that grows with the vessels, not with their square.
Screenshots in test-artifacts/web/63-*."""

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
  const off = [];  // shown labels cut by the map's edge
  const edge = document.querySelector('[data-testid=map]').getBoundingClientRect();
  for (const label of labels) {
    if (label.classList.contains('label-always')) continue;
    const r = label.getBoundingClientRect();
    if (r.left < edge.left - 1 || r.top < edge.top - 1
        || r.right > edge.right + 1 || r.bottom > edge.bottom + 1) off.push(label.textContent);
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
  const sides = {};
  for (const label of labels) {
    const side = ['left', 'above', 'below'].find((s) => label.classList.contains(`label-${s}`)) ?? 'right';
    sides[side] = (sides[side] ?? 0) + 1;
  }
  return {covered, off, sides, shown: labels.length, symbols: symbols.length, labels: map.labels,
          checks: Number(map.labelChecks), boxes: Number(map.labelBoxes)};
}"""


@pytest.fixture(scope="module")
def harbour_node(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[NodeProcess]:
    data = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    with web_node(tmp_path_factory, artifacts, "labelnode", replay=(data, 0.0)) as running:
        yield running


# before the page's scripts: <html> data-label-sides="right" (set as the parser makes the element)
RIGHT_ONLY = """new MutationObserver((_, seen) => {
  if (!document.documentElement) return;
  document.documentElement.dataset.labelSides = 'right';
  seen.disconnect();
}).observe(document, {childList: true});"""


def _placed_labels(context: Any, node: NodeProcess, right_only: bool) -> dict[str, Any]:
    """The labels of the harbour view once the replayed hour is drawn, measured in the page."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if right_only:
        page.add_init_script(RIGHT_ONLY)
    lat, lon, zoom = HARBOUR
    login(page, node, f"/?view={lat},{lon},{zoom}")
    page.wait_for_function(
        "() => { const l = document.querySelector('[data-testid=map]').dataset.labels;"
        " return l && Number(l.split('/')[0]) >= 3; }"
    )
    page.wait_for_timeout(500)  # the last render of the replayed hour
    seen: dict[str, Any] = page.evaluate(COVERED)
    seen["page"] = page
    seen["errors"] = errors
    return seen


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (2560, 1440)])
def test_labels_keep_off_other_vessels_symbols(
    browser: Any, harbour_node: NodeProcess, width: int, height: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=harbour_node.url, bypass_csp=True
    )
    context.add_cookies([sign_in(harbour_node)])
    try:
        right = _placed_labels(context, harbour_node, right_only=True)
        seen = _placed_labels(context, harbour_node, right_only=False)
        summary = {k: v for k, v in seen.items() if k not in ("page", "errors")}
        # the same replayed hour in both pages
        assert seen["labels"].split("/")[1] == right["labels"].split("/")[1], (summary, right["labels"])
        assert right["covered"] == [] and right["sides"] == {"right": right["shown"]}, right["sides"]
        assert seen["covered"] == [] and seen["off"] == [] and right["off"] == [], summary
        shown, total = map(int, seen["labels"].split("/"))
        right_shown = int(right["labels"].split("/")[0])
        # labels that did not fit on the right now show on another side: strictly more of them, not all
        assert right_shown >= 3 and right_shown < shown < total and seen["symbols"] > shown, (
            summary,
            right["labels"],
        )
        assert seen["sides"].get("right", 0) > 0 and len(seen["sides"]) > 1, summary
        # the placement's count of box tests: a few per label and symbol and side, far from every pair
        assert 0 < seen["checks"] <= 16 * seen["boxes"] < seen["boxes"] ** 2 / 2, summary
        print(width, height, "right only", right["labels"], right["checks"], "sides", summary)
        shot(right["page"], f"63-labels-right-only-{width}x{height}")
        shot(seen["page"], f"63-labels-off-symbols-{width}x{height}")
        assert not right["errors"] and not seen["errors"], (right["errors"], seen["errors"])
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
    items.push({ x: x + 13, y: y - 8, w: 40 + rand() * 60, h: 15, rank: i % 3, always: false,
                 around: { x, y, reach: 13 } });
    symbols.push({ x: x - 11, y: y - 11, w: 22, h: 22, owner: i });
  }
  const stats = { checks: 0 }, right = { checks: 0 };
  const shown = placeLabels(items, symbols, stats).filter(Boolean).length;
  const rightShown = placeLabels(items, symbols, right, ["right"]).filter(Boolean).length;
  out[n] = { checks: stats.checks, shown, rightChecks: right.checks, rightShown };
}
console.log(JSON.stringify(out));
"""


def _run_with_labels(tmp_path: Path, script_text: str) -> Any:
    """`script_text` (importing placeLabels from "LABELS") bundled with labels.ts by the page's esbuild and
    run by node; what it printed, as JSON."""
    script = tmp_path / "script.ts"
    script.write_text(script_text.replace("LABELS", str(WEB / "src" / "labels.ts")))
    bundled = tmp_path / "script.mjs"
    esbuild = WEB / "node_modules" / ".bin" / "esbuild"
    build = [str(esbuild), str(script), "--bundle", "--format=esm", f"--outfile={bundled}"]
    subprocess.run(build, check=True, capture_output=True, cwd=WEB)
    run = subprocess.run(["node", str(bundled)], check=True, capture_output=True, text=True)
    return json.loads(run.stdout)


def test_label_placement_cost_grows_with_the_vessels_not_their_square(tmp_path: Path) -> None:
    """labels.ts alone (bundled by the page's esbuild, run by node): 4x and 16x the vessels at the same
    density cost about 4x and 16x the box tests (a quadratic placement would be 16x and 256x); trying the
    other sides costs a constant factor over the right side alone (at most 4 positions) and shows more."""
    counts = _run_with_labels(tmp_path, BENCH)
    small, mid, big = (counts[str(n)] for n in (1000, 4000, 16000))
    assert small["checks"] > 0 and 0 < small["shown"] < 1000, counts
    assert mid["checks"] < 6 * small["checks"] and big["checks"] < 6 * mid["checks"], counts
    for one in (small, mid, big):
        # up to 4 positions per label, each against a few more placed labels than with the right alone
        assert one["rightChecks"] < one["checks"] < 6 * one["rightChecks"], counts
        assert one["rightShown"] < one["shown"], counts
    print(counts)


EDGE = """
import { placeLabels } from "LABELS";
const view = { x: 0, y: 0, w: 400, h: 300 };
// a label w px wide beside a vessel at (x, y), on its right as the page places it
const label = (x, y, w) =>
  ({ x: x + 13, y: y - 8, w, h: 15, rank: 1, always: false, around: { x, y, reach: 13 } });
const items = [
  label(370, 150, 80), // 30 px from the view's right edge: on the right it would run 63 px past it
  label(380, 0, 420), // in the top-right corner, wider than the room on any side: no side fits inside
  label(100, 150, 80), // well inside: the right, as ever
  label(-5, 220, 60), // drawn just past the left edge (Leaflet draws a margin): its label would fit inside
];
console.log(JSON.stringify({
  withView: placeLabels(items, [], undefined, undefined, view),
  withoutView: placeLabels(items),
  rightOnly: placeLabels(items, [], undefined, ["right"], view),
}));
"""


def test_a_label_by_the_maps_edge_takes_a_side_inside_the_map_or_none(tmp_path: Path) -> None:
    """A label that would run off the map's edge on the right goes left; one that fits inside on no side
    is hidden, as is the label of a vessel drawn just past the edge; without a view, all on the right."""
    sides = _run_with_labels(tmp_path, EDGE)
    assert sides["withView"] == ["left", None, "right", None], sides
    assert sides["withoutView"] == ["right", "right", "right", "right"], sides
    assert sides["rightOnly"] == [None, None, "right", None], sides
