"""Smoke test of an installed Seawatch wheel, run by the fresh venv's Python (stdlib only).

Run by `scripts/check-package.sh` from an empty temporary folder with no `../shared` beside it and no
`SEAWATCH_SHARED_DATA`: the product must run from what the wheel ships.
1. `seawatch simulate` writes a small exercise; `seawatch detect` on its AIS file must find events,
   among them port visits (the bundled ports) and zone entries (the bundled zones);
2. `seawatch demo --duration-s` must serve the picture, show live tracks to the demo admin, and stop
   by itself with exit code 0;
   and the bundled fine (OpenStreetMap) land of San Juan harbour through `/api/layers/land`;
3. the six message catalogues (seawatch/i18n/locales) ship, complete, for the page and the node.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def seawatch(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "seawatch"), *args], text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def check(ok: bool, what: str, detail: str = "") -> None:
    if not ok:
        sys.exit(f"package smoke: FAILED: {what}\n{detail}")
    print(f"package smoke: ok: {what}", flush=True)


def detect_on_simulated(work: Path) -> None:
    sim = seawatch("simulate", "--scenario", "caribbean-gofast", "--out", str(work / "sim"))
    check(sim.returncode == 0, "seawatch simulate", sim.stderr)
    found = seawatch("detect", str(work / "sim" / "ais.nmea"))
    check(found.returncode == 0, "seawatch detect exits 0", found.stderr)
    types = {json.loads(line)["type"] for line in found.stdout.splitlines() if line.strip()}
    check(
        {"port_visit", "zone_entry"} <= types, f"detect finds port visits and zone entries ({sorted(types)})"
    )


def catalogues_ship() -> None:
    code = (
        "from seawatch import i18n; langs = i18n.LANGUAGES; "
        "print(sum(len(i18n.catalogue(x)) for x in langs), sum(len(i18n.problems(x)) for x in langs))"
    )
    done = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True)
    counts = done.stdout.split()
    ok = done.returncode == 0 and len(counts) == 2 and int(counts[0]) > 0 and counts[1] == "0"
    check(
        ok,
        f"the six message catalogues ship complete ({done.stdout.strip()} messages, problems)",
        done.stderr,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_smoke(work: Path, duration_s: float = 30.0) -> None:
    port = free_port()
    command = [str(BIN / "seawatch"), "demo", "--port", str(port), "--speed", "600"]
    command += ["--duration-s", str(duration_s), "--data-dir", str(work / "demo")]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    banner = "".join(proc.stderr.readline() for _ in range(2))
    login = re.search(r"login: (\S+) / (\S+)", banner)
    check(login is not None, "demo prints its login", banner)
    assert login is not None
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    tracks, logged_in, page = 0, False, b""
    deadline = time.monotonic() + duration_s - 5
    while time.monotonic() < deadline and tracks == 0:
        time.sleep(1.0)
        try:
            if not logged_in:
                body = json.dumps({"username": login.group(1), "password": login.group(2)}).encode()
                request = urllib.request.Request(
                    f"{base}/api/auth/login", body, {"Content-Type": "application/json"}
                )
                opener.open(request, timeout=5).read()
                logged_in = True
                page = opener.open(f"{base}/", timeout=5).read()
            live = json.loads(opener.open(f"{base}/api/tracks", timeout=5).read())
        except OSError:
            continue  # not serving yet
        tracks = len(live.get("features", []))
    check(b"<html" in page.lower(), "demo serves the web picture")
    check(tracks > 0, f"demo shows live tracks ({tracks})")
    san_juan = "-66.14,18.43,-66.08,18.48"
    land = json.loads(opener.open(f"{base}/api/layers/land?bbox={san_juan}", timeout=30).read())
    parts = len(land.get("features", []))
    check(land.get("covered") is True and parts > 0, f"fine land ships: San Juan harbour, {parts} polygons")
    _, rest = proc.communicate(timeout=duration_s + 60)
    check(proc.returncode == 0, f"demo stops by itself after --duration-s (exit {proc.returncode})", rest)


def main() -> None:
    check("SEAWATCH_SHARED_DATA" not in os.environ, "no SEAWATCH_SHARED_DATA")
    work = Path.cwd()
    check(not (work.parent / "shared").exists(), "no ../shared beside the working folder")
    detect_on_simulated(work)
    catalogues_ship()
    demo_smoke(work)


if __name__ == "__main__":
    main()
