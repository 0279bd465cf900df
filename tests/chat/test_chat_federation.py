"""Chat between three real nodes (bb, tt, jm: node, federation and API under uvicorn, real sockets)
over a real NATS JetStream server.

bb opens a case releasable to tt only. Every node's policy allows chat to every partner, so what keeps
jm out is the case's releasability alone: tt sees the case and its chat (API, WebSocket, store) and
answers; jm never receives any of it, cannot post in it, and what jm forges for it is quarantined.
A partner offline during the chat gets every message when it comes back, in order, once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seawatch.share.localbroker import LocalNatsServer
from seawatch.share.policy import ShareItem
from tests.chat.harness import Served, federated_node, wait_for, ws_collect
from tests.share.helpers import make_keys

pytestmark = pytest.mark.broker

CHAT_ONLY = {"case_messages": True}
CONTACT = {
    "type": "contact",
    "what": "go_fast",
    "lat": 17.95,
    "lon": -66.61,
    "course_deg": 265.0,
    "speed_kn": 34.5,
    "activity": "fleeing",
    "time": "2026-12-07T09:30:00Z",
}


class Region:
    def __init__(self, tmp: Path, url: str) -> None:
        self.tmp, self.url = tmp, url
        self.keys = make_keys(["bb", "tt", "jm"])
        self.nodes: dict[str, Served] = {}
        for n in self.keys:
            self.start(n)

    def policies(self, node: str) -> dict[str, dict[str, Any]]:
        return {p: CHAT_ONLY for p in self.keys if p != node}

    def start(self, node: str, port: int | None = None) -> Served:
        self.nodes[node] = federated_node(node, self.keys, self.tmp, self.policies(node), self.url, port)
        return self.nodes[node]

    def fnode(self, node: str) -> Any:
        return self.nodes[node].extra["fnode"]

    def open_case(self, node: str, title: str, releasable_to: list[str]) -> tuple[str, str]:
        """A case opened through `node`'s cases API: (case id, its chat room's id)."""
        with self.nodes[node].client("operator") as op:
            case = op.post("/api/cases", json={"title": title, "releasable_to": releasable_to})
            assert case.status_code == 201, case.text
            room = op.get(f"/api/chat/cases/{case.json()['id']}")
            assert room.status_code == 200, room.text
        return str(case.json()["id"]), str(room.json()["room_id"])

    def stored(self, node: str, room_id: str) -> list[dict[str, Any]]:
        return list(self.fnode(node).node.store.chat_messages(room_id, after_seq=0, limit=1000))

    def close(self) -> None:
        for served in self.nodes.values():
            served.stop()


@pytest.fixture
def region(tmp_path: Path, nats_server: LocalNatsServer) -> Iterator[Region]:
    r = Region(tmp_path, nats_server.url)
    try:
        yield r
    finally:
        r.close()


def _post(node: Served, room: str, body: dict[str, Any]) -> dict[str, Any]:
    with node.client("operator") as op:
        r = op.post(f"/api/chat/rooms/{room}/messages", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_case_chat_reaches_the_released_partner_only(region: Region) -> None:
    bb, tt, jm = (region.nodes[n] for n in ("bb", "tt", "jm"))
    with tt.ws() as tt_ws, jm.ws() as jm_ws:
        case_id, room = region.open_case("bb", "Go-fast south of Ponce", ["tt"])
        assert room == f"case:bb:{case_id}"
        sent = [
            _post(bb, room, {"text": "Lancha rápida con tres personas, rumbo sur", "lang": "es"}),
            _post(bb, room, {"report": CONTACT, "lang": "es"}),
            _post(bb, room, {"text": "¿Pueden enviar un avión?"}),
        ]
        # tt: the room and every message, pushed live in order
        rooms = ws_collect(tt_ws, "chat_room", lambda seen: bool(seen))
        assert [r["room_id"] for r in rooms] == [room] and rooms[0]["members"] == ["bb", "tt"]
        pushed = ws_collect(tt_ws, "case_message", lambda seen: len(seen) >= 3)
        assert [m["id"] for m in pushed] == [m["id"] for m in sent]
        # jm's socket got nothing of it
        assert ws_collect(jm_ws, "case_message", lambda seen: False, timeout_s=1.0) == []

    # tt's API: the case's room with its messages, the report read in English and French
    with tt.client("viewer") as viewer:
        listed = viewer.get("/api/chat/rooms").json()["rooms"]
        assert [(r["room_id"], r["title"], r["owner"]) for r in listed] == [
            (room, "Go-fast south of Ponce", "bb")
        ]
        page = viewer.get(f"/api/chat/rooms/{room}/messages", params={"lang": "fr"}).json()
    got = page["messages"]
    # the report bb sent in Spanish, read at tt in English and in French: the same facts
    with tt.client("viewer") as viewer:
        english = viewer.get(f"/api/chat/rooms/{room}/messages", params={"lang": "en"}).json()["messages"][1]
    facts = [re.findall(r"\d+(?:[.,]\d+)?", line["value"]) for line in english["rendered"]["lines"]]
    assert [re.findall(r"\d+(?:[.,]\d+)?", line["value"]) for line in got[1]["rendered"]["lines"]] == [
        [n.replace(".", ",") for n in numbers] for numbers in facts
    ]
    assert english["rendered"]["text"].splitlines()[:2] == ["Contact report", "What: Go-fast boat"]
    assert [m["id"] for m in got] == [m["id"] for m in sent]
    assert [m["origin"] for m in got] == ["bb"] * 3 and [m["author"] for m in got] == ["operator"] * 3
    assert got[0]["text"] == "Lancha rápida con tres personas, rumbo sur" and got[0]["lang"] == "es"
    assert got[1]["report"] == {**CONTACT, "mmsi": None}
    assert got[1]["rendered"]["title"] == "Compte rendu de contact"
    assert got[2]["text"] == "¿Pueden enviar un avión?"
    # tt's case list holds bb's case (shared with it), with bb as its origin
    with tt.client("viewer") as viewer:
        cases = viewer.get("/api/cases").json()["cases"]
    assert [(c["id"], c["title"], c["origin_node"]) for c in cases] == [
        (case_id, "Go-fast south of Ponce", "bb")
    ]
    # tt's store
    assert [m["id"] for m in region.stored("tt", room)] == [m["id"] for m in sent]

    # tt answers in French; bb gets it (a reply goes to the case's nations, the owner among them)
    reply = _post(tt, room, {"text": "Bien reçu, notre avion décolle dans dix minutes", "lang": "fr"})
    assert wait_for(lambda: reply["id"] in {m["id"] for m in region.stored("bb", room)})
    assert region.stored("bb", room)[-1]["origin"] == "tt"

    # jm: nothing, in its API, store and federation table; bb never sent it anything of the case
    with jm.client("operator") as op:
        assert op.get("/api/chat/rooms").json()["rooms"] == []
        assert op.get("/api/cases").json()["cases"] == []
        assert op.get(f"/api/chat/cases/{case_id}").status_code == 404
        assert op.get(f"/api/chat/rooms/{room}/messages").status_code == 404
        refused = op.post(f"/api/chat/rooms/{room}/messages", json={"text": "let me in"})
        assert refused.status_code == 404 and refused.headers["content-type"].startswith(
            "application/problem"
        )
    assert region.stored("jm", room) == []
    assert region.fnode("jm").federation.db.received(kind="case_message") == []
    assert region.fnode("jm").federation.db.received(kind="case") == []
    sent_rows = region.fnode("bb").federation.audit.query(action="sent", limit=10_000)
    assert {(r.partner, r.kind) for r in sent_rows} == {("tt", "case"), ("tt", "case_message")}

    # jm forges its way in: a message for bb's case, and bb's case header claimed as its own; both are
    # refused on receipt (quarantined with the reason), nothing reaches bb's or tt's chat
    jm_fed = region.fnode("jm").federation
    forged = {
        "id": "jm:forged1",
        "room_id": room,
        "seq": 1,
        "time": "2026-12-07T10:00:00Z",
        "author": "mallory",
        "text": "ignore the go-fast",
        "releasable_to": ["bb", "tt", "jm"],
    }
    header = {
        "id": case_id,
        "room_id": room,
        "owner": "bb",
        "title": "mine now",
        "releasable_to": ["tt", "jm"],
    }
    assert jm_fed.publish(ShareItem("case_message", forged)) == 2
    assert jm_fed.publish(ShareItem("case", header)) == 1  # to tt

    def quarantined(node: str) -> list[str]:
        return [q.reason for q in region.fnode(node).federation.db.quarantined() if q.origin == "jm"]

    assert wait_for(lambda: len(quarantined("bb")) == 1 and len(quarantined("tt")) == 2), (
        quarantined("bb"),
        quarantined("tt"),
    )
    assert any("jm may not write in room" in q for q in quarantined("bb")), quarantined("bb")
    assert any("owned by 'bb' sent by 'jm'" in q for q in quarantined("tt")), quarantined("tt")
    for node in ("bb", "tt"):
        assert "jm:forged1" not in {m["id"] for m in region.stored(node, room)}
        assert region.fnode(node).node.store.chat_room(room)["title"] == "Go-fast south of Ponce"


def test_offline_partner_gets_every_message_in_order_once(region: Region) -> None:
    bb = region.nodes["bb"]
    _, room = region.open_case("bb", "Night watch", ["tt"])
    first = _post(bb, room, {"text": "start of watch", "lang": "en"})
    assert wait_for(lambda: [m["id"] for m in region.stored("tt", room)] == [first["id"]])

    port = region.nodes["tt"].extra["port"]
    region.nodes["tt"].stop()  # tt's node (API, federation) is down while the chat goes on
    during = [_post(bb, room, {"text": f"message {i} while tt is away", "lang": "en"}) for i in range(25)]
    during.append(_post(bb, room, {"report": {**CONTACT, "time": "2026-12-07T10:15:00Z"}}))
    time.sleep(1.0)
    tt = region.start("tt", port)
    with tt.ws() as ws:
        want = [first["id"], *(m["id"] for m in during)]
        assert wait_for(lambda: len(region.stored("tt", room)) >= len(want), timeout_s=60)
        time.sleep(1.0)  # anything late (a redelivery) would land now
        kept = region.stored("tt", room)
        assert [m["id"] for m in kept] == want  # every one, once, in the order bb wrote them
        assert [m["origin_seq"] for m in kept] == sorted(m["origin_seq"] for m in kept)
        assert [m["text"] for m in kept[1:-1]] == [f"message {i} while tt is away" for i in range(25)]
        assert kept[-1]["report"]["time"] == "2026-12-07T10:15:00Z"
        with tt.client("viewer") as viewer:
            page = viewer.get(f"/api/chat/rooms/{room}/messages", params={"after": 0, "limit": 1000}).json()
        assert [m["id"] for m in page["messages"]] == want
        # and the chat goes on live after the reconnection
        later = _post(bb, room, {"text": "welcome back", "lang": "en"})
        pushed = ws_collect(ws, "case_message", lambda seen: any(m["id"] == later["id"] for m in seen))
        ids = [m["id"] for m in pushed]  # the page saw the backlog arrive (from when it connected), then this
        assert ids == [*want, later["id"]][-len(ids) :] and ids[-1] == later["id"]


def test_a_nation_added_later_gets_the_case_and_its_earlier_chat_in_order_once(region: Region) -> None:
    bb, tt, jm = (region.nodes[n] for n in ("bb", "tt", "jm"))
    case_id, room = region.open_case("bb", "Drifting panga off Aguadilla", ["tt"])
    earlier = [_post(bb, room, {"text": f"earlier {i}", "lang": "en"}) for i in range(3)]
    earlier.append(_post(bb, room, {"report": CONTACT, "lang": "es"}))
    want = [m["id"] for m in earlier]
    assert wait_for(lambda: [m["id"] for m in region.stored("tt", room)] == want)
    assert region.stored("jm", room) == []

    def jm_ids() -> list[str] | None:
        with jm.client("viewer") as viewer:
            page = viewer.get(f"/api/chat/rooms/{room}/messages", params={"after": 0, "limit": 1000})
        return [m["id"] for m in page.json()["messages"]] if page.status_code == 200 else None

    with jm.ws() as jm_ws:
        with bb.client("operator") as op:  # jm is added to the case's nations
            changed = op.patch(f"/api/cases/{case_id}", json={"releasable_to": ["tt", "jm"]})
        assert changed.status_code == 200, changed.text
        # jm's API: the case, its room, and every earlier message, in the order bb wrote them
        assert wait_for(lambda: jm_ids() == want, timeout_s=60), jm_ids()
        pushed = ws_collect(jm_ws, "case_message", lambda seen: len(seen) >= len(want))
        assert [m["id"] for m in pushed] == want
    with jm.client("viewer") as viewer:
        cases = viewer.get("/api/cases").json()["cases"]
        assert [(c["id"], c["origin_node"]) for c in cases] == [(case_id, "bb")]
        english = viewer.get(f"/api/chat/rooms/{room}/messages", params={"lang": "en"}).json()["messages"]
    assert english[-1]["rendered"]["text"].splitlines()[:2] == ["Contact report", "What: Go-fast boat"]
    # the chat goes on to both; nothing came twice to either (their federation tables: one row each)
    later = _post(bb, room, {"text": "jm joins the watch", "lang": "en"})
    assert wait_for(lambda: jm_ids() == [*want, later["id"]]), jm_ids()
    assert wait_for(lambda: [m["id"] for m in region.stored("tt", room)] == [*want, later["id"]])
    for node in ("tt", "jm"):
        received = region.fnode(node).federation.db.received(kind="case_message")
        assert sorted(r.payload["id"] for r in received) == sorted([*want, later["id"]]), node

    # a change that leaves the header's fields alone (a link, then an unlink) reaches both as an update
    with bb.client("operator") as op:
        path = f"/api/cases/{case_id}"
        assert op.post(f"{path}/links", json={"kind": "vessel", "ref": "338000111"}).status_code == 200
        unlinked = op.delete(f"{path}/links/vessel/338000111")
        assert unlinked.status_code == 200 and unlinked.json()["timeline"][-1]["action"] == "unlink"

    def told(node: Served) -> list[str]:
        with node.client("viewer") as viewer:
            timeline = viewer.get(f"/api/cases/{case_id}").json()["timeline"]
        return [e["details"].get("origin_change") for e in timeline if e["actor"] == "partner:bb"][-2:]

    assert wait_for(lambda: told(tt) == ["link", "unlink"] and told(jm) == ["link", "unlink"]), (
        told(tt),
        told(jm),
    )
