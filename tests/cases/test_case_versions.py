"""Optimistic concurrency on `PATCH /api/cases/{id}`, on a real node (its own API, real sockets): two
officers read the same case, both change it; the second's change, made on the version it read, is
refused (409 problem+json, code `stale_version` {current_version}) and the case keeps the first's.
A change on the current version is made; appends (notes, links, sightings, files) need no version; a
PATCH without a version is the last writer's (scripts); `seawatch case list` sees what was kept."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest

from seawatch.store.cases import StaleCaseVersion
from tests.cases.conftest import GOFAST_MMSI
from tests.node.harness import RunningNode

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _stale(response: httpx.Response, current: int) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == 409 and body["title"] == "Conflict"
    assert body["errors"] == [
        {
            "field": "version",
            "message": body["detail"],
            "type": "stale_version",
            "ctx": {"current_version": current},
        }
    ], body
    return body


def test_a_stale_change_is_refused_and_the_first_kept(case_node: RunningNode) -> None:
    with case_node.client("operator") as first, case_node.client("admin") as second:
        case = first.post("/api/cases", json={"title": "Two officers, one case"}).json()
        path = f"/api/cases/{case['id']}"
        seen_by_first = first.get(path).json()
        seen_by_second = second.get(path).json()
        assert seen_by_first["version"] == seen_by_second["version"] == case["version"]
        version = case["version"]

        changed = first.patch(path, json={"status": "interdiction", "version": version})
        assert changed.status_code == 200, changed.text
        assert changed.json()["status"] == "interdiction"
        assert changed.json()["version"] == version + 1

        # the second officer's change, made on the version it read: refused, nothing written
        for stale in (
            {"status": "monitoring", "version": version},
            {"status": "closed", "outcome": "false_alarm", "version": version},
            {"title": "Renamed by the second", "version": version},
            {"releasable_to": ["NL"], "version": version},
            {"status": "interdiction", "version": version},  # the same value: still a stale change
        ):
            _stale(second.patch(path, json=stale), version + 1)
        kept = second.get(path).json()
        assert (kept["status"], kept["title"], kept["outcome"], kept["releasable_to"]) == (
            "interdiction", "Two officers, one case", None, [],
        )  # fmt: skip
        assert kept["version"] == version + 1
        assert [e["action"] for e in kept["timeline"]] == ["open", "update"]
        assert [e["actor"] for e in kept["timeline"]] == ["operator", "operator"]

        # reloaded, the second makes the change on the current version: made
        again = second.patch(path, json={"status": "monitoring", "version": kept["version"]})
        assert again.status_code == 200, again.text
        assert (again.json()["status"], again.json()["version"]) == ("monitoring", version + 2)
        # now the first is the stale one
        _stale(first.patch(path, json={"outcome": "other", "version": version + 1}), version + 2)

        # a version from the future is as stale as one from the past
        _stale(first.patch(path, json={"status": "open", "version": version + 99}), version + 2)
        # bad versions are a 422 naming the field, not a conflict
        bad = first.patch(path, json={"status": "open", "version": -1})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "version", bad.text
        bad = first.patch(path, json={"status": "open", "version": "latest"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "version", bad.text
        # an unknown case: 404, version or not
        assert first.patch("/api/cases/nosuchcase", json={"status": "open", "version": 0}).status_code == 404


def test_the_store_checks_the_version_in_the_change_itself(case_node: RunningNode) -> None:
    """The service's early check aside, the store refuses a stale version inside the write transaction,
    so two changes made at the same moment on the same version cannot both be written."""
    store = case_node.node.store
    with case_node.client("operator") as op:
        case = op.post("/api/cases", json={"title": "Checked in the transaction"}).json()
    version = case["version"]
    assert store.update_case(case["id"], {"status": "monitoring"}, "first", version=version)
    with pytest.raises(StaleCaseVersion) as caught:
        store.update_case(case["id"], {"status": "interdiction"}, "second", version=version)
    assert caught.value.current_version == version + 1
    row = store.case_row(case["id"])
    assert row is not None and (row["status"], row["version"]) == ("monitoring", version + 1)
    assert store.update_case(case["id"], {"status": "interdiction"}, "second", version=version + 1)


def test_appends_need_no_version_and_move_it(case_node: RunningNode, gofast: dict[str, Any]) -> None:
    with case_node.client("operator") as op, case_node.client("admin") as other:
        case = op.post("/api/cases", json={"title": "Appends without a version"}).json()
        path = f"/api/cases/{case['id']}"
        version = case["version"]
        noted = op.post(f"{path}/notes", json={"text": "seen heading north"})
        assert noted.status_code == 200, noted.text
        linked = other.post(f"{path}/links", json={"kind": "vessel", "ref": str(GOFAST_MMSI)})
        assert linked.status_code == 200, linked.text
        sighted = op.post(f"{path}/sightings", json={"lat": 18.1, "lon": -66.5, "notes": "wake seen"})
        assert sighted.status_code == 200, sighted.text
        attached = op.post(
            f"{path}/attachments", params={"name": "wake.png"}, content=PNG,
            headers={"Content-Type": "image/png"},
        )  # fmt: skip
        assert attached.status_code == 201, attached.text
        now = op.get(path).json()
        assert len(now["notes"]) == 1 and len(now["attachments"]) == 1
        assert {link["kind"] for link in now["links"]} >= {"vessel", "sighting"}
        assert now["version"] == version + 4  # each append is a change: a version read before is stale
        _stale(other.patch(path, json={"status": "monitoring", "version": version}), version + 4)
        made = other.patch(path, json={"status": "monitoring", "version": now["version"]})
        assert made.status_code == 200 and made.json()["status"] == "monitoring", made.text
        # appends made on a case read long ago still work (they are not conflicts)
        assert op.post(f"{path}/notes", json={"text": "still north"}).status_code == 200


def test_without_a_version_the_last_writer_wins(case_node: RunningNode) -> None:
    with case_node.client("operator") as first, case_node.client("admin") as second:
        case = first.post("/api/cases", json={"title": "A script's changes"}).json()
        path = f"/api/cases/{case['id']}"
        assert first.patch(path, json={"status": "interdiction"}).status_code == 200
        last = second.patch(path, json={"status": "monitoring"})
        assert last.status_code == 200, last.text
        assert second.get(path).json()["status"] == "monitoring"
        assert [e["actor"] for e in second.get(path).json()["timeline"]] == ["operator", "operator", "admin"]


def test_the_cli_sees_what_was_kept(case_node: RunningNode) -> None:
    with case_node.client("operator") as first, case_node.client("admin") as second:
        case = first.post("/api/cases", json={"title": "Versions: seen from the command"}).json()
        path = f"/api/cases/{case['id']}"
        version = case["version"]
        assert first.patch(path, json={"status": "interdiction", "version": version}).status_code == 200
        _stale(second.patch(path, json={"status": "monitoring", "version": version}), version + 1)

    store = str(case_node.node.store.data_dir)
    command = [sys.executable, "-m", "seawatch", "case", "list", "--data-dir", store]
    listed = subprocess.run(
        [*command, "--text", "versions: seen"], capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:2] for line in listed.stdout.splitlines()] == [[case["id"], "interdiction"]]
    listed = subprocess.run(
        [*command, "--text", "versions: seen", "--status", "monitoring"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert listed.returncode == 0 and listed.stdout == "", listed.stderr
    exported = subprocess.run(
        [sys.executable, "-m", "seawatch", "case", "export", case["id"], "--data-dir", store, "--out",
         str(case_node.node.store.data_dir / f"versions-{case['id']}.zip")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
