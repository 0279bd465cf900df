"""The browser tests' harness: a real node process, sign-in and screenshots."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from seawatch.share.localbroker import free_port
from tests.shared import require_shared

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "seawatch" / "web" / "dist"
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--lang=en-US",  # the page follows the browser's language (tests that want another set it per context)
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPLAY_SPEED = 300.0  # data seconds per wall second: the day's 23 h would pass in about 4.6 min
USER, PASSWORD = "watch-officer", "harbour-lights-42"
SESSION_COOKIE = "seawatch_session"


def require_built_page() -> None:
    """The web picture is built, and from the sources as they are: a bundle older than a source file would
    test yesterday's page (a long-lived checkout after a pull), so that fails, naming the file."""
    bundle = DIST / "app.js"
    if not (DIST / "index.html").is_file() or not bundle.is_file():
        unavailable(f"web picture not built ({DIST} has no index.html or app.js): run `make web`")
        return
    built = bundle.stat().st_mtime
    sources = [p for p in (DIST.parent / "src").rglob("*") if p.is_file() and "generated" not in p.parts]
    newer = [p for p in sources if p.stat().st_mtime > built]
    if newer:
        first = newer[0].relative_to(ROOT)
        pytest.fail(f"web picture older than {first} (and {len(newer) - 1} more): run `make web`")


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser), closed on leaving."""
    require_built_page()
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        unavailable(f"{CHROMIUM} not found: install Debian's chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class NamedVessel:
    mmsi: int
    name: str


@dataclass
class NodeProcess:
    url: str
    user: str
    password: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    spare: NamedVessel | None = None  # a named vessel the replay does not sail (see real_names)

    @contextmanager
    def client(self) -> Iterator[httpx.Client]:
        """An HTTP client logged in as the test user (session cookie)."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            login = {"username": self.user, "password": self.password}
            client.post("/api/auth/login", json=login).raise_for_status()
            yield client

    def data_time(self) -> str | None:
        with self.client() as c:
            value = c.get("/api/tracks").json().get("time")
        return str(value) if value else None


def gulf_slice(dest: Path) -> Path:
    """The Gulf/Caribbean part of the real US coastal day, in time order (so the replay paces on it)."""
    source = require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
    frame = pl.read_csv(source)
    frame = frame.filter((pl.col("lat") < 31) & (pl.col("lon") > -98) & (pl.col("lon") < -60))
    frame.sort("timestamp_utc").write_csv(dest)
    return dest


def real_names(dest: Path, gulf: Path) -> NamedVessel:
    """Type 5 static reports (NMEA) giving the vessels of the Gulf slice their real names, call signs and
    IMO numbers, taken from the MarineCadastre sample of 2022 (the 2020 day carries positions only).

    One more named vessel of that sample, absent from the slice, is returned: tests sail it themselves."""
    from pyais.encode import encode_dict

    source = require_shared("ais-positions-marinecadastre-2022-01-03", "AIS_2022_01_03_first99999.csv.gz")
    statics = pl.read_csv(source, infer_schema_length=0).filter(pl.col("VesselName").is_not_null())
    statics = statics.with_columns(pl.col("MMSI").cast(pl.Int64)).unique("MMSI", keep="first")
    seen = set(pl.read_csv(gulf)["mmsi"].unique().to_list())
    spare = statics.filter(
        ~pl.col("MMSI").is_in(list(seen))
        & pl.col("MMSI").is_between(201_000_000, 775_999_999)
        & pl.col("VesselName").str.contains("^[A-Z ]{6,}$")
        & ~pl.col("VesselName").str.contains("TEST")
    )
    spare = spare.sort("MMSI").head(1)
    lines: list[str] = []
    for row in statics.filter(pl.col("MMSI").is_in(list(seen))).vstack(spare).iter_rows(named=True):
        imo = (row["IMO"] or "").removeprefix("IMO")
        report = {
            "type": 5,
            "mmsi": row["MMSI"],
            "shipname": row["VesselName"],
            "callsign": row["CallSign"] or "",
            "imo": int(imo) if imo.isdigit() else 0,
            "ship_type": int(row["VesselType"] or 0),
        }
        lines += encode_dict(report, talker_id="AI", sentence_type="VDM", seq_id=len(lines) % 10)
    dest.write_text("\n".join(lines) + "\n")
    return NamedVessel(int(spare["MMSI"][0]), str(spare["VesselName"][0]).strip())


def seawatch(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "seawatch", *args], check=True, capture_output=True, **kwargs
    )


def login(page: Any, node: NodeProcess, path: str = "/") -> None:
    """Open the page (signed in by the session cookie, else through the form) and wait for the picture.
    `path` may carry the page's options, e.g. `/?view=25.5,-91.5,9` (open there)."""
    page.goto(path)
    page.wait_for_selector("[data-testid=app]:visible, [data-testid=login-screen]:visible")
    if page.get_by_test_id("login-screen").is_visible():
        page.get_by_test_id("login-username").fill(node.user)
        page.get_by_test_id("login-password").fill(node.password)
        page.get_by_test_id("login-submit").click()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.wait_for_selector("body[data-basemap]", state="attached")


def shot(page: Any, name: str) -> Path:
    """Save a screenshot once the base map for the current zoom (1:10 m from zoom 6) is on screen."""
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=map]').dataset.center || '0,0,0';"
        " const z = +c.split(',')[2]; return document.body.dataset.basemap === (z >= 6 ? '10m' : '50m'); }"
    )
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it is still running after 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(
    common: list[str], log_path: Path, cwd: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`seawatch serve` with `common` (config, data folder) on a free port, its output in `log_path`;
    yields its URL and process once it answers, stops it after."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "seawatch", "serve", *common, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                exited = process.poll()
                assert exited is None, f"seawatch serve exited with {exited}: see {log_path}"
                try:
                    if httpx.get(f"{url}/api/health", timeout=2).status_code in (200, 401):
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"seawatch serve did not answer in 60 s: see {log_path}"
                time.sleep(0.2)
            yield url, process
        finally:
            stop_process(process)


def radar_run(
    ref: str, lat: float, lon: float, cog_deg: float, sog_kn: float, end: datetime
) -> list[dict[str, Any]]:
    """A radar contact's 12 minutes of fixes ending at `end` (what a coastal radar reports every 30 s)."""
    fixes = []
    for k in range(25):
        run_nm = sog_kn * 30 * (k - 24) / 3600.0
        fixes.append(
            {
                "time": (end - timedelta(seconds=30 * (24 - k))).isoformat(),
                "lat": lat + run_nm * math.cos(math.radians(cog_deg)) / 60.0,
                "lon": lon + run_nm * math.sin(math.radians(cog_deg)) / 60.0 / math.cos(math.radians(lat)),
                "sensor": "radar",
                "source": f"radar:{ref}",
                "target_ref": ref,
                "sog_kn": sog_kn,
                "cog_deg": cog_deg,
            }
        )
    return fixes
