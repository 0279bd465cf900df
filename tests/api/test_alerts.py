"""The alert panel's API on a node that replayed the real Gulf/Caribbean day: ranking, names,
acknowledge / dismiss with a reason (kept, audited, pushed live), and each user's own profile."""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import connect

from seawatch.model import AisStatic
from seawatch.store.base import IngestBatch
from tests.node.harness import RunningNode


def _alerts(node: RunningNode, **params: Any) -> list[dict[str, Any]]:
    with node.client("viewer") as viewer:
        response = viewer.get("/api/alerts", params={"limit": 2000, **params})
    assert response.status_code == 200, response.text
    alerts: list[dict[str, Any]] = response.json()["alerts"]
    return alerts


def test_alerts_ranked_by_severity_then_newest_with_names(live_node: RunningNode) -> None:
    alerts = _alerts(live_node)
    assert alerts, "the real day raises events"
    levels = [a["severity"] for a in alerts]
    assert levels == sorted(levels, key=lambda s: s != "alert")  # every alert before every notice
    for level in ("alert", "notice"):
        starts = [a["start"] for a in alerts if a["severity"] == level]
        assert starts == sorted(starts, reverse=True)
    with_mmsi = [a for a in alerts if a["mmsi"]]
    assert with_mmsi and all([v["mmsi"] for v in a["vessels"]] == a["mmsi"] for a in with_mmsi)
    # the day's CSV has no names: give one vessel its static report, as a type 5 message would
    mmsi = with_mmsi[0]["mmsi"][0]
    static = AisStatic(mmsi=mmsi, msg_type=5, shipname="GULF TRADER", callsign="WDA1234", imo=9123456)
    live_node.node.store.write_batch(IngestBatch(statics=[static]))
    named = [a for a in _alerts(live_node) if mmsi in a["mmsi"]]
    assert named and all(
        v == {"mmsi": mmsi, "name": "GULF TRADER", "callsign": "WDA1234", "imo": 9123456, "ship_type": None}
        for a in named
        for v in a["vessels"]
        if v["mmsi"] == mmsi
    )
    assert all(a["state"]["state"] == "open" for a in alerts)
    assert {a["severity"] for a in _alerts(live_node, severity="notice")} <= {"notice"}


def test_acknowledge_and_dismiss_are_kept_audited_and_pushed_live(live_node: RunningNode) -> None:
    first, second = _alerts(live_node, limit=2)
    url = live_node.url.replace("http", "ws") + "/api/live"
    other_operator = {"Authorization": f"Bearer {live_node.tokens['viewer']}"}
    with connect(url, additional_headers=other_operator) as ws, live_node.client("operator") as operator:
        path = f"/api/alerts/{first['id']}/state"
        acked = operator.put(path, json={"state": "acknowledged"})
        assert acked.status_code == 200, acked.text
        no_reason = operator.put(
            f"/api/alerts/{second['id']}/state", json={"state": "dismissed", "reason": " "}
        )
        assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
        reason = "known ferry, schedule checked"
        dismissed = operator.put(
            f"/api/alerts/{second['id']}/state", json={"state": "dismissed", "reason": reason}
        )
        assert dismissed.status_code == 200
        pushed = []
        while len(pushed) < 2:
            message = json.loads(ws.recv(timeout=30))
            if message["kind"] == "alert_state":
                pushed.append(message["data"])
    assert [(p["event_id"], p["state"]) for p in pushed] == [
        (first["id"], "acknowledged"),
        (second["id"], "dismissed"),
    ]
    assert pushed[1]["reason"] == reason and pushed[1]["by"] == "operator"

    states = {a["id"]: a["state"] for a in _alerts(live_node)}
    assert states[first["id"]]["state"] == "acknowledged"
    assert states[second["id"]] == {**states[second["id"]], "state": "dismissed", "reason": reason}
    assert [a["id"] for a in _alerts(live_node, state="dismissed")] == [second["id"]]
    assert second["id"] not in {a["id"] for a in _alerts(live_node, state="open")}
    with live_node.client("admin") as admin:
        audit = admin.get("/api/audit", params={"limit": 50}).json()
    rows = audit if isinstance(audit, list) else audit.get("rows", audit.get("items", []))
    actions = {(r["action"], r["details"].get("event_id")) for r in rows}
    assert ("alert.acknowledge", first["id"]) in actions and ("alert.dismiss", second["id"]) in actions

    with live_node.client("operator") as operator:  # reopened: open again for everyone
        assert operator.put(f"/api/alerts/{second['id']}/state", json={"state": "open"}).status_code == 200
    assert second["id"] in {a["id"] for a in _alerts(live_node, state="open")}


def test_alert_state_needs_an_operator_and_a_known_event(live_node: RunningNode) -> None:
    (one,) = _alerts(live_node, limit=1)
    with live_node.client("viewer") as viewer, live_node.client("operator") as operator:
        assert viewer.put(f"/api/alerts/{one['id']}/state", json={"state": "acknowledged"}).status_code == 403
        assert (
            operator.put("/api/alerts/nosuchevent/state", json={"state": "acknowledged"}).status_code == 404
        )
        bad = operator.put(f"/api/alerts/{one['id']}/state", json={"state": "ignored"})
        assert bad.status_code == 422
        assert viewer.get("/api/alerts", params={"severity": "urgent"}).status_code == 422


def test_profile_is_per_user_and_survives(live_node: RunningNode) -> None:
    with live_node.client("viewer") as viewer, live_node.client("operator") as operator:
        for client in (viewer, operator):  # the package's node is shared: start from empty profiles
            kept = client.get("/api/me/profile").json()["values"]
            client.put("/api/me/profile", json={"values": dict.fromkeys(kept)})
        saved = viewer.put(
            "/api/me/profile", json={"values": {"alerts.severity": "alert", "layers": ["eez"]}}
        )
        assert saved.status_code == 200, saved.text
        assert (
            operator.put("/api/me/profile", json={"values": {"alerts.severity": "notice"}}).status_code == 200
        )
        assert viewer.get("/api/me/profile").json() == {
            "user": "viewer",
            "values": {"alerts.severity": "alert", "layers": ["eez"]},
        }
        assert operator.get("/api/me/profile").json()["values"] == {"alerts.severity": "notice"}
        assert viewer.put("/api/me/profile", json={"values": {"layers": None}}).json()["values"] == {
            "alerts.severity": "alert"
        }
        bad_key = viewer.put("/api/me/profile", json={"values": {"Bad Key!": 1}})
        assert bad_key.status_code == 422 and "Bad Key!" in bad_key.json()["detail"]
        huge = viewer.put("/api/me/profile", json={"values": {"notes": "x" * 5000}})
        assert huge.status_code == 422
    assert live_node.node.store.profile("viewer") == {"alerts.severity": "alert"}
