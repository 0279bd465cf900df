"""`GET /api/cases` filters, releasability checked against the node's partners, unlinking and linking a
patrol asset, on a real node (its own API, real sockets), and `seawatch case list` with the same
filters on that node's store. Bad values: problem+json naming the field, nothing written."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from tests.cases.conftest import GOFAST_MMSI
from tests.node.harness import RunningNode

ASSET = {
    "id": "cutter-7",
    "name": "Cutter Seven",
    "kind": "boat",
    "base_lat": 18.0,
    "base_lon": -66.6,
    "max_speed_kn": 30,
    "cruise_speed_kn": 20,
    "endurance_h": 48,
    "fuel_range_nm": 800,
}


def _problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert field in body["detail"], body
    return body


def _ids(client: Any, **params: Any) -> list[str]:
    response = client.get("/api/cases", params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["cases"]]


def test_list_filters_over_the_api_and_the_cli(case_node: RunningNode, gofast: dict[str, Any]) -> None:
    with case_node.client("operator") as op:
        vessel = op.post("/api/cases", json={"mmsi": GOFAST_MMSI, "title": "Filter: the go-fast"}).json()
        track = next(link["ref"] for link in vessel["links"] if link["kind"] == "track")
        between = datetime.now(UTC)
        while datetime.now(UTC) <= between:
            pass
        by_hand = op.post("/api/cases", json={"title": "Filter: dive boat overdue"}).json()
        mine = {vessel["id"], by_hand["id"]}

        def ids(**params: Any) -> list[str]:
            return [i for i in _ids(op, **params) if i in mine]

        assert ids(q="filter:") == [by_hand["id"], vessel["id"]]
        assert ids(q="filter:", opened_before=between.isoformat()) == [vessel["id"]]
        assert ids(q="filter:", opened_after=between.isoformat()) == [by_hand["id"]]
        assert ids(q="filter:", updated_after=between.isoformat()) == [by_hand["id"]]
        assert ids(vessel=str(GOFAST_MMSI)) == [vessel["id"]]
        assert ids(track=track) == [vessel["id"]]
        assert ids(q="DIVE BOAT") == [by_hand["id"]]
        assert ids(q="filter:", status="closed") == []
        # bad values: 422 problem+json naming the parameter, with a stable code and its values (the
        # page words them in its reader's language)
        window = {"opened_after": "2026-12-07T10:00Z", "opened_before": "2026-12-07T09:00Z"}
        statuses = {"expected": "open, monitoring, interdiction, closed"}
        feb30 = "2026-02-30T00:00Z"
        for params, field, code, ctx in [
            ({"status": "shut"}, "status", "literal_error", statuses),
            ({"opened_after": "last week"}, "opened_after", "not_iso_time", {"value": "last week"}),
            ({"updated_before": feb30}, "updated_before", "not_iso_time", {"value": feb30}),
            (window, "opened_before", "empty_window", {"after": "opened_after", "before": "opened_before"}),
            ({"vessel": "12345"}, "vessel", "not_mmsi", {"value": "12345"}),
            ({"vessel": "x"}, "vessel", "vessel_too_short", {"min_length": 2}),
            ({"vessel": "v" * 101}, "vessel", "string_too_long", {"max_length": 100}),
            ({"track": "t" * 201}, "track", "string_too_long", {"max_length": 200}),
            ({"limit": 0}, "limit", "greater_than_equal", {"ge": 1}),
            ({"limit": 1001}, "limit", "less_than_equal", {"le": 1000}),
        ]:
            body = _problem(op.get("/api/cases", params=params), 422, field)
            first = body["errors"][0]
            assert (first["field"], first["type"], first["ctx"]) == (field, code, ctx), body

    # the command, on the same store (the node runs): the same filters, the same answers
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        store = str(case_node.node.store.data_dir)
        command = [sys.executable, "-m", "seawatch", "case", "list", "--data-dir", store, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    listed = cli("--text", "filter:", "--opened-after", between.isoformat())
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [by_hand["id"]]
    listed = cli("--vessel", str(GOFAST_MMSI), "--status", "open", "--text", "filter")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [vessel["id"]]
    refused = cli("--opened-after", "yesterday")
    assert refused.returncode == 1 and "opened_after" in refused.stderr and refused.stdout == ""


def test_releasable_only_to_configured_partners(case_node: RunningNode) -> None:
    with case_node.client("operator") as op:
        before = op.get("/api/cases", params={"limit": 1000}).json()["cases"]
        body = _problem(
            op.post("/api/cases", json={"title": "To a stranger", "releasable_to": ["NL", "XX"]}),
            422,
            "unknown partner 'XX'",
        )
        assert body["errors"][0]["field"] == "releasable_to" and "FR, NL" in body["detail"]
        assert op.get("/api/cases", params={"limit": 1000}).json()["cases"] == before  # nothing written
        made = op.post("/api/cases", json={"title": "To a partner", "releasable_to": ["NL"]}).json()
        path = f"/api/cases/{made['id']}"
        _problem(op.patch(path, json={"releasable_to": ["NL", "US"], "status": "monitoring"}), 422, "'US'")
        kept = op.get(path).json()
        assert (kept["releasable_to"], kept["status"], kept["version"]) == (["NL"], "open", made["version"])
        assert op.patch(path, json={"releasable_to": ["FR", "NL"]}).json()["releasable_to"] == ["FR", "NL"]


def test_link_an_asset_and_unlink(case_node: RunningNode) -> None:
    with case_node.client("admin") as admin:
        added = admin.post("/api/ops/assets", json=ASSET)
        assert added.status_code == 201, added.text
    with case_node.client("operator") as op:
        case = op.post("/api/cases", json={"title": "Asset and unlink"}).json()
        path = f"/api/cases/{case['id']}"
        _problem(op.post(f"{path}/links", json={"kind": "asset", "ref": "no-such"}), 404, "no patrol asset")
        linked = op.post(f"{path}/links", json={"kind": "asset", "ref": "cutter-7"})
        assert linked.status_code == 200, linked.text
        assert [(k["kind"], k["ref"], k["label"]) for k in linked.json()["links"]] == [
            ("asset", "cutter-7", "Cutter Seven")
        ]
        assert _ids(op, asset="cutter-7") == [case["id"]]
        gone = op.delete(f"{path}/links/asset/cutter-7")
        assert gone.status_code == 200, gone.text
        assert gone.json()["links"] == [] and gone.json()["timeline"][-1]["action"] == "unlink"
        _problem(op.delete(f"{path}/links/asset/cutter-7"), 404, "links no asset cutter-7")
    with case_node.client("admin") as admin:
        audit = admin.get("/api/audit", params={"action": "case.unlink", "limit": 5}).json()
    assert [(r["actor"], r["details"]["ref"]) for r in audit if r["details"]["case_id"] == case["id"]] == [
        ("operator", "cutter-7")
    ]
    with case_node.client("viewer") as viewer:
        assert viewer.delete(f"{path}/links/asset/cutter-7").status_code == 403
