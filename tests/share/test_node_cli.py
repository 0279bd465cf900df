"""`seawatch node` end to end: key generation, two node processes from TOML settings, a NATS server,
real AIS (New York Harbor, first hour of 2020-06-30) replayed into bb and shared with tt by area."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl
import pytest

from seawatch.cli import main
from seawatch.share.localbroker import LocalNatsServer, free_port
from tests.shared import require_shared

pytestmark = [pytest.mark.broker, pytest.mark.shared_data]

AREA = [[-74.06, 40.55], [-73.95, 40.55], [-73.95, 40.70], [-74.06, 40.70], [-74.06, 40.55]]


def _cli(*args: str, cwd: Path, stdin: str | None = None) -> str:
    """Run a `seawatch` command in process (its own output captured), from `cwd`."""
    out, old_cwd, old_stdin = io.StringIO(), Path.cwd(), sys.stdin
    try:
        os.chdir(cwd)
        sys.stdin = io.StringIO(stdin or "")
        with contextlib.redirect_stdout(out):
            code = main(list(args))
    finally:
        os.chdir(old_cwd)
        sys.stdin = old_stdin
    assert code == 0
    return out.getvalue().strip()


def _config(node: str, port: int, url: str, partner: str, policy: str, feeds: str = "") -> str:
    return f"""node_id = "{node}"
data_dir = "{node}-data"
port = {port}
{feeds}
[federation]
nats_url = "{url}"
allow_insecure_broker = true
private_key_file = "keys/{node}.key"

[[federation.partners]]
id = "{partner}"
public_key_file = "keys/{partner}.pub"
{policy}
"""


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "node exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"node did not listen on {port}")


def test_two_node_processes_share_real_ais(tmp_path: Path, nats_server: LocalNatsServer) -> None:
    nmea = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    for node in ("bb", "tt"):
        public = _cli("node", "--keygen", f"keys/{node}.key", cwd=tmp_path)
        assert len(public) == 44
    bb_port, tt_port = free_port(), free_port()
    feeds = f'[[feeds]]\nname = "bb-ais"\nkind = "file"\npaths = ["{nmea}"]\nspeed = 0\n'
    policy = "\n".join(
        [
            "[federation.partners.policy]",
            'track_sources = ["ais"]',
            f"areas = [{AREA}]",
            'strip_fields = ["sensors"]',
            "",
        ]
    )
    (tmp_path / "bb.toml").write_text(_config("bb", bb_port, nats_server.url, "tt", policy, feeds))
    (tmp_path / "tt.toml").write_text(_config("tt", tt_port, nats_server.url, "bb", ""))
    _cli(
        "user",
        "add",
        "admin",
        "--config",
        "tt.toml",
        "--role",
        "admin",
        "--password-stdin",
        cwd=tmp_path,
        stdin="correct horse\n",
    )
    token = _cli("user", "token", "admin", "--config", "tt.toml", cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = []
    for n in ("bb", "tt"):
        with open(tmp_path / f"{n}.log", "wb") as log_file:  # the child keeps its own copy of the fd
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "seawatch", "node", "--config", f"{n}.toml"],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log_file,
                )
            )
    frame = pl.read_csv(nmea)
    inside = frame.filter(pl.col("LON").is_between(-74.06, -73.95) & pl.col("LAT").is_between(40.55, 40.70))
    expected_mmsi = set(inside["MMSI"].to_list())
    last_fix = frame.sort("BaseDateTime").group_by("MMSI").last()
    ends_inside = set(
        last_fix.filter(pl.col("LON").is_between(-74.06, -73.95) & pl.col("LAT").is_between(40.55, 40.70))[
            "MMSI"
        ].to_list()
    )
    try:
        _wait_port(bb_port, procs[0], timeout_s=120)  # a loaded 2-core machine imports slowly
        _wait_port(tt_port, procs[1], timeout_s=120)
        headers = {"authorization": f"Bearer {token}"}
        url = f"http://127.0.0.1:{tt_port}"
        assert httpx.get(f"{url}/api/share/status").status_code == 401
        last, stable_since = -1, time.monotonic()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            feats = httpx.get(f"{url}/api/tracks", headers=headers, params={"max_age_s": 86400}).json()[
                "features"
            ]
            shared = [f for f in feats if "bb" in f["properties"]["nodes"]]
            if len(shared) != last:
                last, stable_since = len(shared), time.monotonic()
            elif ends_inside <= {f["properties"]["mmsi"] for f in shared} and (
                time.monotonic() - stable_since > 3
            ):
                break  # everything expected is there and nothing more came for 3 s
            time.sleep(0.5)
        status = httpx.get(f"{url}/api/share/status", headers=headers).json()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    got_mmsi = {f["properties"]["mmsi"] for f in shared}
    assert status["connected"] is True and status["stats"]["received"] > 0
    # every vessel whose final state is in the area reached tt; nothing from outside it ever did
    # (a vessel only passing through may be missed: the node shares its state once per batch)
    assert ends_inside and ends_inside <= got_mmsi <= expected_mmsi
    for f in shared:
        lon, lat = f["geometry"]["coordinates"]
        assert -74.06 <= lon <= -73.95 and 40.55 <= lat <= 40.70
        assert not any(s.startswith("bb-") for s in f["properties"]["sensors"])  # stripped at bb
