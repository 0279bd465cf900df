"""The README's region example, run as written: "## Three nations on one machine (bb, tt, jm)".

The example is the section's fenced blocks up to and including the one that stops everything
(`kill $(jobs -p)`); later blocks in the section are variations, not part of the run. Every block of the
example is `sh` (so each file it needs is written by its commands). They are fed, in order and
unchanged, to one bash in a fresh folder (as a reader types them into one shell), with `set -e` so a
failing command fails the test. The folder has `.venv` linked to this venv, as in a clone after `make
web`, and PATH starts with the venv's bin. The ports are the README's own (the broker's 4333, the
nodes' 8801-8803): they must be free, or the test fails saying so; nothing in the text is replaced.

Then, through the nodes' APIs, logged in as the README's admin with its password: tt's picture holds
bb's tracks with `nodes: ["bb"]`, inside bb's area, without bb's sensor ids, named, and bb's events;
jm holds none of bb's tracks and (bb's policy delays events 600 s, more than the test waits) none of
bb's events yet, while bb's `GET /api/share/links` counts them waiting for jm, its audit has sent jm
nothing, and its outbox (`share.sqlite`, read only) holds them as events not before 600 s after they
were queued. Last the README's stop block runs: every process it started must exit, and the shell's
output (what the reader sees) holds no traceback, error or warning. Whatever happens, the test kills
the shell's whole process group.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Three nations on one machine (bb, tt, jm)"
STOP = "kill $(jobs -p)"
T = TypeVar("T")


def example_blocks(readme: str) -> list[str]:
    """The sh blocks of the README's region example, in order, the stop block last."""
    lines = readme.splitlines(keepends=True)
    assert SECTION + "\n" in lines, f"README.md has no section {SECTION!r}"
    start = lines.index(SECTION + "\n") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = "".join(lines[start:end])
    blocks = re.findall(r"^```(\w*)\n(.*?)^```\s*$", section, re.M | re.S)
    stops = [i for i, (_, text) in enumerate(blocks) if STOP in text]
    assert stops, f"the section has no block that stops everything ({STOP!r})"
    example = blocks[: stops[0] + 1]
    langs = [lang for lang, _ in example]
    assert langs == ["sh"] * len(example), f"every block of the example must be sh (heredocs): {langs}"
    return [text for _, text in example]


def _port_free(port: int) -> bool:
    """Nobody listens there (bound as the servers bind: a closed socket's TIME_WAIT does not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def poll(what: str, get: Callable[[], T | None], timeout_s: float, step_s: float = 0.5) -> T:
    """`get()` until it returns something, at most `timeout_s` (a bound, never a measurement)."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while True:
        try:
            got = get()
        except (httpx.HTTPError, sqlite3.Error) as exc:
            got, last_error = None, exc
        if got is not None:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s:.0f} s (last error: {last_error!r})")
        time.sleep(step_s)


class Shell:
    """One bash reading commands from a pipe: the reader's terminal. Blocks are sourced from files
    (stdin /dev/null, so no command can eat the next one); each one's status lands in a mark file."""

    def __init__(self, cwd: Path, work: Path, env: dict[str, str]) -> None:
        self.cwd, self.work = cwd, work
        self.log_path = work / "shell.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            ["bash"],
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            text=True,
            start_new_session=True,  # its own process group: everything it starts, killed at the end
        )
        self.send("set -e")
        self.count = 0

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def run(self, text: str, timeout_s: float = 300.0) -> None:
        self.count += 1
        block = self.work / f"block{self.count}.sh"
        block.write_text(text)
        mark = self.work / f"block{self.count}.status"
        tmp = mark.with_suffix(".tmp")
        self.send(f". {shlex.quote(str(block))} </dev/null; echo $? > {tmp}; mv {tmp} {mark}")

        def done() -> str | None:
            if mark.exists():
                return mark.read_text().strip()
            if self.proc.poll() is not None:
                pytest.fail(f"block {self.count} failed (shell exited {self.proc.returncode}):\n{self.log()}")
            return None

        status = poll(f"block {self.count} to finish\n{text}", done, timeout_s, step_s=0.2)
        assert status == "0", f"block {self.count} ended with status {status}:\n{self.log()}"

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        self._log.close()


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    clone = tmp_path / "clone"  # where the reader stands: a clone after `make web`
    clone.mkdir()
    (clone / ".venv").symlink_to(Path(sys.prefix))
    work = tmp_path / "work"
    work.mkdir()
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
    sh = Shell(clone, work, env)
    try:
        yield sh
    finally:
        sh.kill()


def _login(url: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10.0)

    def logged_in() -> bool | None:
        resp = client.post("/api/auth/login", json={"username": "admin", "password": password})
        assert resp.status_code in (200, 503), resp.text
        return True if resp.status_code == 200 else None

    poll(f"admin to log in on {url}", logged_in, 120.0)
    return client


def _inside(lon: float, lat: float, ring: list[list[float]], margin: float) -> bool:
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]  # bb's area is a lon/lat box
    return min(lons) - margin <= lon <= max(lons) + margin and min(lats) - margin <= lat <= max(lats) + margin


def test_readme_region_runs_as_written(shell: Shell) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = example_blocks(readme)
    setup_blocks, stop_block = blocks[:-1], blocks[-1]
    start_at = next(i for i, b in enumerate(setup_blocks) if "seawatch node --config" in b)
    urls = dict(re.findall(r"(tt|jm)'s\s+(?:picture\s+)?\((http://127\.0\.0\.1:\d+)\)", readme))
    assert set(urls) == {"tt", "jm"}, urls
    password = re.search(r"echo '([^']+)' \| seawatch user add admin", setup_blocks[start_at])
    assert password, "the README no longer sets the admin's password with --password-stdin"

    ports = [int(p) for p in re.findall(r"^port = (\d+)", "".join(blocks), re.M)]  # broker's, nodes'
    assert len(ports) == 4, ports
    busy = [p for p in ports if not _port_free(p)]
    assert not busy, f"the README's ports {busy} are in use on this machine: the example cannot run here"

    for text in setup_blocks[:start_at]:  # keys, region, broker, the three settings files
        shell.run(text)
    region = shell.cwd / "region"
    settings = {n: tomllib.loads((region / f"{n}.toml").read_text()) for n in ("bb", "tt", "jm")}
    for n in ("tt", "jm"):
        assert urls[n] == f"http://127.0.0.1:{settings[n]['port']}", (n, urls[n])
    for text in setup_blocks[start_at:]:  # the admins, then the three nodes in the background
        shell.run(text)

    bb = _login(f"http://127.0.0.1:{settings['bb']['port']}", password.group(1))
    tt = _login(urls["tt"], password.group(1))
    jm = _login(urls["jm"], password.group(1))
    try:
        bb_policies = {p["id"]: p["policy"] for p in settings["bb"]["federation"]["partners"]}
        tt_area = bb_policies["tt"]["areas"][0]
        jm_delay = bb_policies["jm"]["delay_s"]

        def tt_has_bb() -> list[dict[str, Any]] | None:
            """bb's tracks on tt, once some are named and bb's events are there too."""
            feats = tt.get("/api/tracks").json()["features"]
            tracks = [f for f in feats if "bb" in f["properties"]["nodes"]]
            events = [e for e in tt.get("/api/events").json() if e["origin"] == "bb"]
            named = [f for f in tracks if f["properties"]["name"] and f["properties"]["ship_type"]]
            return tracks if named and events else None

        tracks = poll("bb's named tracks and events on tt", tt_has_bb, 240.0)
        for f in tracks:
            props = f["properties"]
            assert props["nodes"] == ["bb"], props
            assert set(props["sensors"]) <= {"partner"}, props  # bb's sensor ids stripped
            lon, lat = f["geometry"]["coordinates"]
            assert _inside(lon, lat, tt_area, margin=0.1), (lon, lat, props)

        def queued_for_jm() -> int | None:
            links = {link["partner"]: link for link in bb.get("/api/share/links").json()["links"]}
            return links["jm"]["outbox_items"] or None

        poll("bb's events waiting for jm", queued_for_jm, 120.0)
        bb_events = bb.get("/api/events").json()
        assert bb_events, "bb queued items for jm but holds no event"
        sent_to_jm = bb.get("/api/share/audit", params={"action": "sent", "partner": "jm"}).json()
        assert sent_to_jm["records"] == []
        db = sqlite3.connect(f"file:{region / settings['bb']['data_dir'] / 'share.sqlite'}?mode=ro", uri=True)
        try:
            rows = db.execute(
                "SELECT kind, not_before - created_t FROM share_outbox WHERE partner = 'jm'"
            ).fetchall()
        finally:
            db.close()
        assert rows and {kind for kind, _ in rows} == {"event"}, rows
        assert all(held >= jm_delay - 1e-3 for _, held in rows), rows

        # jm, up and on the broker: none of bb's tracks, none of bb's events yet, nothing from bb at all
        assert jm.get("/api/share/status").json()["connected"] is True
        jm_tracks = jm.get("/api/tracks").json()["features"]
        assert [f for f in jm_tracks if "bb" in f["properties"]["nodes"]] == []
        assert [e for e in jm.get("/api/events").json() if e["origin"] == "bb"] == []
        assert jm.get("/api/share/received", params={"origin": "bb"}).json()["items"] == []
    finally:
        for client in (bb, tt, jm):
            client.close()

    shell.run(stop_block, timeout_s=60.0)
    shell.send("wait")  # every job the README started must end on its own after the stop block
    shell.send("exit 0")
    with contextlib.suppress(subprocess.TimeoutExpired):
        shell.proc.wait(timeout=60)
    assert shell.proc.returncode == 0, f"processes left after the stop block:\n{shell.log()}"
    for port in ports:
        assert _port_free(port), f"port {port} still taken after the stop block"
    # what the reader's terminal showed: no traceback, error or warning, from start to stop
    alarming = [
        line
        for line in shell.log_path.read_text(errors="replace").splitlines()
        if line.startswith(("Traceback", "ERROR", "WARNING", "CRITICAL"))
        or "[ERR]" in line
        or "[FTL]" in line
    ]
    assert alarming == [], "\n".join(alarming)
