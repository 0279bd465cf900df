"""The evidence pack of a case on a real node: every file present, checksums as the manifest says,
KML that fastkml reads, the same bytes twice and from the command line, downloads audited."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastkml import kml as fkml

from tests.cases.conftest import GOFAST_MMSI
from tests.node.harness import RunningNode

EXPECTED = {"case.json", "timeline.json", "chat.json", "tracks.geojson", "tracks.kml", "positions.csv",
            "events.geojson", "events.kml", "events.json", "sightings.geojson", "manifest.json"}  # fmt: skip
CHAT = "Boarding team ready, cutter 2 nm astern"
TEXT = b"contact report\nposition 25N 90W, 30 kn, heading east\n"


@pytest.fixture(scope="module")
def case_id(case_node: RunningNode, gofast: dict[str, Any]) -> str:
    with case_node.client("operator") as op:
        case = op.post(
            "/api/cases", json={"event_id": gofast["id"], "title": "Go-fast east of the bank"}
        ).json()
        path = f"/api/cases/{case['id']}"
        assert op.post(f"{path}/notes", json={"text": "evidence note"}).status_code == 200
        assert (
            op.post(f"{path}/sightings", json={"lat": 25.0, "lon": -89.9, "notes": "seen"}).status_code == 200
        )
        saved = op.post(f"{path}/attachments", params={"name": "report.txt"}, content=TEXT,
                        headers={"content-type": "text/plain"})  # fmt: skip
        assert saved.status_code == 201
        room = op.get(f"/api/chat/cases/{case['id']}")
        assert room.status_code == 200, room.text
        said = op.post(
            f"/api/chat/rooms/{room.json()['room_id']}/messages", json={"text": CHAT, "lang": "en"}
        )
        assert said.status_code in (200, 201), said.text
    return str(case["id"])


def _seawatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seawatch", *args], capture_output=True, text=True, timeout=120
    )


def _download(node: RunningNode, case_id: str) -> bytes:
    with node.client("analyst") as analyst:
        response = analyst.get(f"/api/cases/{case_id}/evidence")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return response.content


def test_pack_contents_and_checksums(case_node: RunningNode, case_id: str) -> None:
    pack = zipfile.ZipFile(io.BytesIO(_download(case_node, case_id)))
    prefix = f"case-{case_id}/"
    names = [n.removeprefix(prefix) for n in pack.namelist()]
    assert all(n.startswith(prefix) for n in pack.namelist())
    attachments = [n for n in names if n.startswith("attachments/")]
    assert set(names) - set(attachments) == EXPECTED and len(attachments) == 1
    assert pack.read(prefix + attachments[0]) == TEXT
    manifest = json.loads(pack.read(prefix + "manifest.json"))
    assert manifest["case_id"] == case_id and manifest["format"] == "seawatch-evidence/1"
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(names) - {"manifest.json"}
    for path, entry in listed.items():
        data = pack.read(prefix + path)
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"], path

    tracks = json.loads(pack.read(prefix + "tracks.geojson"))
    assert [f["properties"]["mmsi"] for f in tracks["features"]] == [GOFAST_MMSI]
    assert tracks["features"][0]["geometry"]["type"] == "LineString"
    assert len(tracks["features"][0]["geometry"]["coordinates"]) == 21  # every fix of the race
    events = json.loads(pack.read(prefix + "events.json"))
    assert [e["type"] for e in events] == ["speed_anomaly"] and events[0]["mmsi"] == [GOFAST_MMSI]
    rows = pack.read(prefix + "positions.csv").decode().splitlines()
    assert rows[0].startswith("time,track_id,mmsi,lat,lon") and len(rows) == 22
    case = json.loads(pack.read(prefix + "case.json"))
    assert case["title"] == "Go-fast east of the bank" and case["notes"][0]["text"] == "evidence note"
    timeline = json.loads(pack.read(prefix + "timeline.json"))
    assert [e["action"] for e in timeline] == ["open", "note", "link", "attach"]
    chat = json.loads(pack.read(prefix + "chat.json"))
    assert [(m["author"], m["text"]) for m in chat] == [("operator", CHAT)]
    sightings = json.loads(pack.read(prefix + "sightings.geojson"))
    assert [f["properties"]["notes"] for f in sightings["features"]] == ["seen"]

    for name, placemarks in (("tracks.kml", 1), ("events.kml", 1)):
        root: Any = fkml.KML.from_string(pack.read(prefix + name))
        found = list(root.features[0].features)
        assert len(found) == placemarks, name
    track_kml: Any = fkml.KML.from_string(pack.read(prefix + "tracks.kml"))
    assert track_kml.features[0].features[0].name == f"MMSI {GOFAST_MMSI}"


def test_pack_is_reproducible_and_audited(case_node: RunningNode, case_id: str, tmp_path: Path) -> None:
    first = _download(case_node, case_id)
    second = _download(case_node, case_id)
    assert first == second
    audit = case_node.node.store.audit_rows(action="case.evidence")
    assert audit and audit[0]["actor"] == "analyst" and audit[0]["details"]["case_id"] == case_id
    assert audit[0]["details"]["sha256"] == hashlib.sha256(first).hexdigest()
    # the command line writes the same bytes from the store of the running node
    out = tmp_path / "pack.zip"
    data_dir = case_node.node.settings.data_dir
    run = _seawatch("case", "export", case_id, "--store", str(data_dir), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == first and hashlib.sha256(first).hexdigest() in run.stderr
    listing = _seawatch("case", "list", "--data-dir", str(data_dir))
    assert listing.returncode == 0 and case_id in listing.stdout
    missing = _seawatch("case", "export", "nope", "--store", str(data_dir), "--out", str(out))
    assert missing.returncode == 1 and "no case nope" in missing.stderr
    # a change makes a new pack (a new version); downloading did not change the case
    with case_node.client("operator") as op:
        assert op.post(f"/api/cases/{case_id}/notes", json={"text": "later"}).status_code == 200
    assert _download(case_node, case_id) != first
