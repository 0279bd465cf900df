"""The cases API on a real node: a case opened from a real go-fast alert, notes, sightings, links and
files; roles (viewer reads, operator edits, analyst downloads the evidence pack); bad input answered
with problem+json naming what is wrong; changes pushed on the WebSocket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.sync.client import connect

from seawatch.cases.model import MAX_NOTE_CHARS
from tests.cases.conftest import GOFAST_MMSI, MAX_ATTACHMENT
from tests.node.harness import RunningNode

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def _problem(response: Any, status: int, mentions: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert mentions in body["detail"], body
    return body


@pytest.fixture(scope="module")
def case(case_node: RunningNode, gofast: dict[str, Any]) -> dict[str, Any]:
    with case_node.client("operator") as operator:
        response = operator.post("/api/cases", json={"event_id": gofast["id"]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_open_from_a_go_fast_alert(case: dict[str, Any], gofast: dict[str, Any]) -> None:
    assert case["opened_from"] == "alert" and case["opened_ref"] == gofast["id"]
    kinds = {link["kind"]: link for link in case["links"]}
    assert set(kinds) == {"event", "track", "vessel"}
    assert kinds["vessel"]["mmsi"] == GOFAST_MMSI and kinds["track"]["mmsi"] == GOFAST_MMSI
    assert case["timeline"][0]["action"] == "open" and case["timeline"][0]["actor"] == "operator"


def test_notes_sightings_status_and_live_push(case_node: RunningNode, case: dict[str, Any]) -> None:
    url = case_node.url.replace("http", "ws") + "/api/live"
    headers = {"Authorization": f"Bearer {case_node.tokens['viewer']}"}
    path = f"/api/cases/{case['id']}"
    with connect(url, additional_headers=headers) as ws, case_node.client("operator") as operator:
        noted = operator.post(f"{path}/notes", json={"text": "Coast guard cutter en route"})
        assert noted.status_code == 200 and noted.json()["notes"][-1]["text"] == "Coast guard cutter en route"
        sighting = {"lat": 25.01, "lon": -89.8, "sog_kn": 28, "notes": "grey panga, 3 outboards"}
        seen = operator.post(f"{path}/sightings", json=sighting)
        assert seen.status_code == 200, seen.text
        linked = [link for link in seen.json()["links"] if link["kind"] == "sighting"]
        assert linked and linked[0]["label"] == "grey panga, 3 outboards"
        changed = operator.patch(path, json={"status": "interdiction", "summary": "boarding planned"})
        assert changed.status_code == 200 and changed.json()["status"] == "interdiction"
        pushed: list[dict[str, Any]] = []
        while not pushed or pushed[-1]["status"] != "interdiction":
            message = json.loads(ws.recv(timeout=30))
            if message["kind"] == "case":
                pushed.append(message["data"])
    assert all(p["id"] == case["id"] for p in pushed) and len(pushed) == 3
    with case_node.client("viewer") as viewer:
        sightings = viewer.get("/api/sightings").json()
        assert any(s["id"] == linked[0]["ref"] for s in sightings)  # a real sighting of the picture
        listed = viewer.get("/api/cases", params={"status": "interdiction", "vessel": GOFAST_MMSI}).json()
    assert [c["id"] for c in listed["cases"]] == [case["id"]]
    assert listed["cases"][0]["counts"]["sighting"] == 1 and listed["cases"][0]["counts"]["note"] >= 1


def test_roles(case_node: RunningNode, case: dict[str, Any]) -> None:
    path = f"/api/cases/{case['id']}"
    with case_node.client("viewer") as viewer:
        assert viewer.get(path).status_code == 200
        assert viewer.get("/api/cases").status_code == 200
        _problem(viewer.post(f"{path}/notes", json={"text": "hi"}), 403, "needs 'operator'")
        _problem(viewer.patch(path, json={"status": "closed", "outcome": "other"}), 403, "operator")
        _problem(viewer.post("/api/cases", json={"title": "mine"}), 403, "operator")
        _problem(viewer.get(f"{path}/evidence"), 403, "needs 'analyst'")
    with case_node.client("operator") as operator:
        _problem(operator.get(f"{path}/evidence"), 403, "needs 'analyst'")
    with case_node.client() as anonymous:
        _problem(anonymous.get(path), 401, "no valid session")
    with case_node.client("viewer") as viewer:
        timeline = viewer.get(path).json()["timeline"]
    assert all(e["actor"] != "viewer" for e in timeline)


def test_bad_input(case_node: RunningNode, case: dict[str, Any]) -> None:
    path = f"/api/cases/{case['id']}"
    with case_node.client("operator") as op:
        _problem(op.get("/api/cases/nope"), 404, "no case nope")
        _problem(op.post("/api/cases/nope/notes", json={"text": "x"}), 404, "no case nope")
        _problem(op.post("/api/cases", json={"event_id": "nope"}), 404, "no event nope")
        _problem(op.post("/api/cases", json={"track_id": "nope"}), 404, "no track nope")
        _problem(op.post("/api/cases", json={}), 422, "title")
        _problem(op.post("/api/cases", json={"event_id": "x", "mmsi": 338200001}), 422, "one of")
        _problem(op.post("/api/cases", json={"mmsi": 12}), 422, "mmsi")
        body = _problem(op.post(f"{path}/notes", json={"text": "x" * (MAX_NOTE_CHARS + 1)}), 422, "text")
        assert body["errors"][0]["field"] == "text"
        _problem(op.patch(path, json={"status": "shut"}), 422, "status")
        _problem(op.patch(path, json={"releasable_to": ["bad id"]}), 422, "releasable_to")
        _problem(op.post(f"{path}/links", json={"kind": "sighting", "ref": "nope"}), 404, "no sighting")
        _problem(op.post(f"{path}/links", json={"kind": "moon", "ref": "x"}), 422, "kind")
        _problem(op.delete(f"{path}/links/track/nope"), 404, "links no track nope")
        _problem(op.get(f"{path}/attachments/nope"), 404, "no attachment")
        _problem(op.get("/api/cases", params={"status": "shut"}), 422, "status")
        _problem(op.get("/api/cases", params={"since": "yesterday"}), 422, "since")
        before = op.get(path).json()

        def attach(name: str, content: bytes, media: str) -> Any:
            return op.post(f"{path}/attachments", params={"name": name}, content=content,
                           headers={"content-type": media})  # fmt: skip

        _problem(attach("run.exe", b"MZ\x90\x00", "application/x-msdownload"), 415, "refused")
        _problem(attach("page.html", b"<html>", "text/html"), 415, "refused")
        _problem(attach("big.png", PNG + bytes(MAX_ATTACHMENT), "image/png"), 413, "at most")
        _problem(attach("huge.png", PNG + bytes(2 * 1024 * 1024), "image/png"), 413, "larger than")
        _problem(attach("fake.png", b"%PDF-1.4 not a png", "image/png"), 422, "not image/png")
        _problem(attach("empty.txt", b"", "text/plain"), 422, "empty")
        after = op.get(path).json()
    assert after["attachments"] == before["attachments"] and after["version"] == before["version"]


def test_attachments_round_trip(case_node: RunningNode, case: dict[str, Any]) -> None:
    path = f"/api/cases/{case['id']}"
    with case_node.client("operator") as op:
        saved = op.post(f"{path}/attachments", params={"name": "C:\\photos\\panga é.png"}, content=PNG,
                        headers={"content-type": "image/png"})  # fmt: skip
        assert saved.status_code == 201, saved.text
        meta = saved.json()
    assert meta["name"] == "panga é.png" and meta["size"] == len(PNG)
    with case_node.client("viewer") as viewer:
        got = viewer.get(f"{path}/attachments/{meta['id']}")
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"


def test_open_from_a_vessel_links_its_track(case_node: RunningNode, gofast: dict[str, Any]) -> None:
    with case_node.client("operator") as op:
        made = op.post("/api/cases", json={"mmsi": GOFAST_MMSI})
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["opened_from"] == "vessel" and case["opened_ref"] == str(GOFAST_MMSI)
    assert {(link["kind"], link["mmsi"]) for link in case["links"]} == {
        ("vessel", GOFAST_MMSI),
        ("track", GOFAST_MMSI),
    }


def test_close_needs_an_outcome_and_reopen(case_node: RunningNode) -> None:
    with case_node.client("operator") as op:
        made = op.post("/api/cases", json={"title": "Overdue dive boat", "releasable_to": ["NL"]}).json()
        path = f"/api/cases/{made['id']}"
        _problem(op.patch(path, json={"status": "closed"}), 422, "outcome")
        closed = op.patch(path, json={"status": "closed", "outcome": "rescued"}).json()
        assert closed["status"] == "closed" and closed["outcome"] == "rescued"
        reopened = op.patch(path, json={"status": "open"}).json()
    assert reopened["status"] == "open" and made["releasable_to"] == ["NL"]
    changes = [e["details"]["changed"] for e in reopened["timeline"] if e["action"] == "update"]
    assert changes == [
        {"status": ["open", "closed"], "outcome": [None, "rescued"]},
        {"status": ["closed", "open"]},
    ]
