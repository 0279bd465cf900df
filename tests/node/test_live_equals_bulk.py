"""Live = bulk on the node's own path: the same real file given to `seawatch detect` and, through
`seawatch ingest` (HTTP, operator token), to a running `seawatch serve` gives the same events: types,
vessels, times, positions and ids. Also: AIS static reports reach the dossier through the same path."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from seawatch.store.base import EventQuery
from seawatch.store.sqlite import SqliteStore
from tests.node.harness import free_port, prepare_users
from tests.node.test_crash import _health
from tests.shared import require_shared


def _seawatch(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "seawatch", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def _serve(tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str], Path]:
    data_dir = tmp_path / "node"
    tokens, _ = prepare_users(data_dir)
    port = free_port()
    config = tmp_path / "node.toml"
    config.write_text(f'node_id = "live"\ndata_dir = "{data_dir}"\nport = {port}\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "seawatch", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _health(url, tokens["viewer"], proc)
    except BaseException:  # never leave a node running behind a failed start
        proc.kill()
        proc.wait(10)
        raise
    return proc, url, tokens, data_dir


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT: uvicorn's graceful shutdown; the node drains its queue and flushes open events."""
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(60) == 130  # the CLI's code for an interrupt, after uvicorn's graceful shutdown
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _comparable(event: dict[str, object]) -> tuple[object, ...]:
    return tuple(event[k] for k in ("id", "type", "mmsi", "start", "end", "lat", "lon"))


@pytest.mark.timeout(300)
def test_node_ingest_gives_the_events_of_seawatch_detect(tmp_path: Path) -> None:
    source = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    bulk = [json.loads(line) for line in _seawatch("detect", str(source)).stdout.splitlines()]
    assert len({e["type"] for e in bulk}) >= 4  # port visits, rendezvous, speed anomalies, identity conflict

    proc, url, tokens, data_dir = _serve(tmp_path)
    try:
        _seawatch("ingest", str(source), "--to", url, f"--token={tokens['operator']}")
    finally:
        _stop(proc)
    store = SqliteStore(data_dir)
    live = [e.to_json() for e in store.events(EventQuery(limit=100_000))]
    store.close()
    assert sorted(map(_comparable, live)) == sorted(map(_comparable, bulk))


@pytest.mark.timeout(300)
def test_ingest_carries_static_reports_to_the_dossier(tmp_path: Path) -> None:
    """A vessel renamed (new name and call sign, AIS type 5) between two positions."""
    csv = tmp_path / "renamed.csv"
    header = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length"
    header += ",Width"
    rows = [
        "367000001,2020-06-30T10:00:00,18.40,-66.10,8.0,90.0,90,OLD NAME,IMO1234567,OLDCS,70,0,90,15",
        "367000001,2020-06-30T11:00:00,18.40,-65.90,8.0,90.0,90,NEW NAME,IMO1234567,NEWCS,70,0,90,15",
    ]
    csv.write_text("\n".join([header, *rows]) + "\n")
    proc, url, tokens, _ = _serve(tmp_path)
    try:
        done = _seawatch("ingest", str(csv), "--to", url, f"--token={tokens['operator']}")
        assert "2 static reports" in done.stderr
        headers = {"Authorization": f"Bearer {tokens['viewer']}"}
        dossier = httpx.get(f"{url}/api/vessels/367000001", headers=headers, timeout=10).json()
    finally:
        _stop(proc)
    text = json.dumps(dossier)
    assert "NEW NAME" in text and "NEWCS" in text
