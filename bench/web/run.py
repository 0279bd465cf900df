"""Benchmark: the web picture's build and its cost in a real browser as the number of live tracks grows.

(a) Build: `npm run build` in seawatch/web (esbuild), wall time, and the size of what the node serves.
(b) Browser: a real node (`seawatch serve`, no feeds) is given N vessels through `POST /api/observations`
    (synthetic AIS positions spread over the Caribbean, distinct MMSIs, what `seawatch ingest` sends);
    Debian's Chromium (headless, software rendering) signs in and we measure the time from the sign-in
    click to the whole picture drawn (all N tracks counted and the markers in view drawn), the JS heap,
    and the DOM markers; then 1,000 of the vessels move and we measure the time from posting their new
    positions to the page showing that data time (node commit -> WebSocket -> page).
Run: `.venv/bin/python -m bench.web.run [--tracks 1000,5000,20000] [--record]`.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from seawatch.share.localbroker import free_port

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "seawatch" / "web"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER, PASSWORD = "bench-admin", "bench-password-1"
T0 = datetime(2020, 6, 30, 12, 0, tzinfo=UTC)


def build() -> dict[str, Any]:
    times = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(["npm", "run", "build", "--silent"], cwd=WEB, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    sizes = {}
    for name in ("app.js", "app.css", "basemap/countries-50m.json", "basemap/countries-10m.json"):
        data = (WEB / "dist" / name).read_bytes()
        sizes[name] = (len(data), len(gzip.compress(data)))
    return {"build_s": min(times), "sizes": sizes}


def seawatch(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "seawatch", *args], check=True, capture_output=True, text=True, input=stdin
    )
    return done.stdout.strip()


def observations(count: int, when: datetime, rng: random.Random, offset: int = 0) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        rows.append(
            {
                "time": (when + timedelta(milliseconds=i)).isoformat().replace("+00:00", "Z"),
                "lat": round(rng.uniform(10.0, 25.0), 5),
                "lon": round(rng.uniform(-88.0, -60.0), 5),
                "sensor": "ais",
                "source": "bench",
                "mmsi": 338_000_000 + offset + i,  # valid US MMSIs (an invalid MID would raise events)
                "sog_kn": round(rng.uniform(0, 25), 1),
                "cog_deg": round(rng.uniform(0, 359), 1),
                "heading_deg": None,
            }
        )
    return rows


def post_all(client: httpx.Client, rows: list[dict[str, Any]], chunk: int = 2000) -> None:
    for i in range(0, len(rows), chunk):
        client.post("/api/observations", json={"observations": rows[i : i + chunk]}).raise_for_status()


def measure(browser: Any, url: str, client: httpx.Client, count: int, rng: random.Random) -> dict[str, Any]:
    post_all(client, observations(count, T0, rng))
    deadline = time.monotonic() + 120
    while len(client.get("/api/tracks").json()["features"]) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"node did not reach {count} tracks")
        time.sleep(0.5)

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=url)
    page = context.new_page()
    page.set_default_timeout(180_000)
    page.goto("/")
    page.get_by_test_id("login-username").fill(USER)
    page.get_by_test_id("login-password").fill(PASSWORD)
    start = time.perf_counter()
    page.get_by_test_id("login-submit").click()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    ready_s = time.perf_counter() - start
    if "--debug" in sys.argv:
        timings = page.evaluate(
            "performance.getEntriesByType('resource').map(e => [e.name.slice(-40), Math.round(e.startTime),"
            " Math.round(e.duration)])"
        )
        print(timings, file=sys.stderr)
    page.wait_for_function(
        f"+document.querySelector('[data-testid=track-count]').textContent >= {count}"
        " && +document.querySelector('[data-testid=track-shown]').textContent > 0"
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    drawn_s = time.perf_counter() - start
    shown = int(page.get_by_test_id("track-shown").inner_text())
    markers = page.locator("[data-testid=track-marker]").count()
    mode = page.evaluate("document.body.dataset.trackMode")
    shots = REPO / "test-artifacts" / "web"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"bench-{count}-tracks.png"))
    heap_mb = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1048576 : -1")

    # 1,000 vessels move one minute later: time from posting to the page showing that data time
    later = T0 + timedelta(minutes=1)
    moved = observations(min(1000, count), later, rng)
    start = time.perf_counter()
    post_all(client, moved)
    target_ms = int((later + timedelta(milliseconds=len(moved) - 1)).timestamp() * 1000)
    page.wait_for_function(
        "t => Date.parse(document.querySelector('[data-testid=picture-time]').textContent.replace(' ', 'T'))"
        " >= t",
        arg=target_ms - 999,
    )
    update_s = time.perf_counter() - start
    context.close()
    return {
        "tracks": count,
        "ready_s": ready_s,
        "drawn_s": drawn_s,
        "shown": shown,
        "markers": markers,
        "mode": mode,
        "heap_mb": heap_mb,
        "update_1000_s": update_s,
    }


def run_browser(counts: list[int]) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    results = []
    for count in counts:  # a fresh node per size, so that the counts are exact
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "data"
            common = ["--data-dir", str(data_dir)]
            seawatch(
                "user", "add", USER, "--role", "admin", "--password-stdin", *common, stdin=PASSWORD + "\n"
            )
            token = seawatch("user", "token", USER, *common)
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env_args = [sys.executable, "-m", "seawatch", "serve", *common, "--port", str(port)]
            node = subprocess.Popen(env_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                headers = {"Authorization": f"Bearer {token}"}
                with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
                    deadline = time.monotonic() + 60
                    while True:
                        try:
                            if client.get("/api/health").status_code == 200:
                                break
                        except httpx.HTTPError:
                            pass
                        if time.monotonic() > deadline:
                            raise RuntimeError("node did not start")
                        time.sleep(0.2)
                    with sync_playwright() as pw:
                        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                        try:
                            results.append(measure(browser, url, client, count, random.Random(count)))
                        finally:
                            browser.close()
            finally:
                node.terminate()
                node.wait(timeout=30)
        print(results[-1], file=sys.stderr)
    return results


def report(built: dict[str, Any], rows: list[dict[str, Any]], load: tuple[float, float, float]) -> str:
    lines = [
        "## web",
        "",
        f"`bench/web/run.py`, {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, Chromium headless (software"
        " rendering), viewport 1920x1080, a real `seawatch serve` node given N synthetic AIS vessels over the"
        " Caribbean through `POST /api/observations`. Machine load average during the run (other jobs on"
        f" the 2 shared cores): {load[0]:.1f}; the times below are inflated accordingly.",
        "",
        f"- Build (`npm run build`, esbuild, minified + source maps): {built['build_s']:.2f} s.",
        "- Served: "
        + ", ".join(
            f"`{k}` {raw / 1024:.0f} KiB ({gz / 1024:.0f} KiB gzip)"
            for k, (raw, gz) in built["sizes"].items()
        )
        + " (the 1:10 m base map is fetched only when zoomed in to level 6 or closer).",
        "",
        "| live tracks | sign-in → page ready | sign-in → all drawn | tracks in view | drawn as | JS heap |"
        " 1,000 moved: post → shown |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['tracks']:,} | {r['ready_s']:.2f} s | {r['drawn_s']:.2f} s | {r['shown']:,} |"
            f" {r['mode']} | {r['heap_mb']:.0f} MB | {r['update_1000_s']:.2f} s |"
        )
    return "\n".join(lines) + "\n"


def record(path: Path, section: str) -> None:
    """Replace this benchmark's `## web` section of RESULTS.md (or append it)."""
    text = path.read_text()
    start = text.find("\n## web\n")
    if start < 0:
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + 1)
    rest = text[end:] if end >= 0 else ""
    path.write_text(text[: start + 1] + section + rest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", default="1000,5000,20000", help="comma-separated track counts")
    parser.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    parser.add_argument("--debug", action="store_true", help="print the page's resource timings")
    args = parser.parse_args()
    built = build()
    rows = run_browser([int(n) for n in args.tracks.split(",")])
    text = report(built, rows, os.getloadavg())
    print(text)
    if args.record:
        record(REPO / "bench" / "RESULTS.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
