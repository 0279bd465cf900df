"""Chat on one real node (uvicorn, real sockets): rooms, messages, paging, reports rendered per language,
the live push, and bad input answered with problem+json and nothing kept half-way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seawatch.api.models import Problem
from tests.chat.harness import Served, lone_node, ws_collect

CONTACT = {
    "type": "contact",
    "what": "go_fast",
    "lat": 17.95,
    "lon": -66.61,
    "course_deg": 265,
    "speed_kn": 34.5,
    "activity": "fleeing",
    "time": "2026-12-07T09:30:00Z",
}


def open_case(served: Served, title: str, releasable_to: list[str]) -> str:
    """A case opened by hand through the cases API; its chat room's id."""
    with served.client("operator") as op:
        case = op.post("/api/cases", json={"title": title, "releasable_to": releasable_to})
        assert case.status_code == 201, case.text
        room = op.get(f"/api/chat/cases/{case.json()['id']}")
        assert room.status_code == 200, room.text
    return str(room.json()["room_id"])


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with lone_node(tmp_path_factory.mktemp("chat"), "bb") as served:
        served.extra["room"] = open_case(served, "Go-fast off Ponce", ["tt"])
        yield served


def _count(node: Served, room_id: str) -> int:
    return int(node.extra["node"].store.chat_room(room_id)["messages"])


def test_post_list_page_and_push(node: Served) -> None:
    room_id = node.extra["room"]
    with node.ws() as ws, node.client("operator") as op:
        sent = []
        for i in range(5):
            r = op.post(
                f"/api/chat/rooms/{room_id}/messages", json={"text": f"Lancha número {i} hacia el sur"}
            )
            assert r.status_code == 201, r.text
            sent.append(r.json())
        pushed = ws_collect(ws, "case_message", lambda seen: len(seen) >= 5)
    assert [m["id"] for m in pushed] == [m["id"] for m in sent]
    assert [m["origin_seq"] for m in sent] == sorted(m["origin_seq"] for m in sent)
    assert all(m["lang"] == "es" and m["lang_source"] == "detected" for m in sent)
    assert all(m["translation_note"] == "no translation model installed" for m in sent)
    with node.client("viewer") as viewer:
        page = viewer.get(f"/api/chat/rooms/{room_id}/messages", params={"limit": 2}).json()
        assert [m["text"] for m in page["messages"]] == [
            "Lancha número 3 hacia el sur",
            "Lancha número 4 hacia el sur",
        ]
        older = viewer.get(
            f"/api/chat/rooms/{room_id}/messages", params={"before": page["messages"][0]["seq"], "limit": 10}
        ).json()
        assert [m["text"] for m in older["messages"]] == [f"Lancha número {i} hacia el sur" for i in range(3)]
        newer = viewer.get(f"/api/chat/rooms/{room_id}/messages", params={"after": sent[2]["seq"]}).json()
        assert [m["id"] for m in newer["messages"]] == [sent[3]["id"], sent[4]["id"]]
        assert newer["last_seq"] == sent[4]["seq"]
        rooms = viewer.get("/api/chat/rooms").json()["rooms"]
        assert any(
            r["room_id"] == room_id and r["messages"] >= 5 and r["members"] == ["bb", "tt"] for r in rooms
        )


def test_report_rendered_in_each_language(node: Served) -> None:
    room_id = node.extra["room"]
    with node.client("operator") as op:
        r = op.post(f"/api/chat/rooms/{room_id}/messages", json={"report": CONTACT, "lang": "es"})
        assert r.status_code == 201, r.text
        sent = r.json()
        assert sent["rendered"]["title"] == "Informe de contacto"
    with node.client("viewer") as viewer:
        for lang, title, what in (
            ("en", "Contact report", "Go-fast boat"),
            ("fr", "Compte rendu de contact", "Go-fast"),
            ("nl", "Contactrapport", "Go-fast boot"),
        ):
            page = viewer.get(
                f"/api/chat/rooms/{room_id}/messages", params={"after": sent["seq"] - 1, "lang": lang}
            ).json()
            (msg,) = page["messages"]
            assert (
                msg["report"] == {**CONTACT, "mmsi": None} | {"mmsi": None} or msg["report"]["lat"] == 17.95
            )
            rendered = msg["rendered"]
            assert rendered["lang"] == lang and rendered["title"] == title
            assert rendered["lines"][0]["value"] == what


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("CASE", {"text": "x" * 4001}, 422, "text"),
        ("CASE", {"text": ""}, 422, "text"),
        ("CASE", {"text": "   \n "}, 422, "text"),
        ("CASE", {}, 422, "text"),
        ("CASE", {"text": "hola", "lang": "de"}, 422, "lang"),
        ("CASE", {"report": {**CONTACT, "lat": 95}}, 422, "report.contact.lat"),
        ("CASE", {"report": {**CONTACT, "what": "submarine"}}, 422, "report.contact.what"),
        ("CASE", {"report": {**CONTACT, "type": "gossip"}}, 422, "report"),
        ("CASE", {"report": {**CONTACT, "time": "2026-12-07T09:30:00"}}, 422, "report.contact.time"),
        ("CASE", {"text": "hi", "colour": "red"}, 422, "colour"),
        ("case:bb:nope", {"text": "hello"}, 404, None),
        ("region:tt:east", {"text": "hello"}, 404, None),
    ],
)
def test_bad_input_is_a_problem_and_nothing_is_kept(
    node: Served, path: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    room = node.extra["room"]
    before = _count(node, room)
    with node.client("operator") as op:
        r = op.post(f"/api/chat/rooms/{path.replace('CASE', room)}/messages", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = Problem.model_validate(r.json())
    if field is not None:
        assert problem.errors is not None and problem.errors[0].field == field, problem
    assert _count(node, room) == before


def test_roles_and_unknown_rooms(node: Served) -> None:
    room = node.extra["room"]
    with node.client("viewer") as viewer:
        assert viewer.post(f"/api/chat/rooms/{room}/messages", json={"text": "hi"}).status_code == 403
        assert viewer.get("/api/chat/cases/nope").status_code == 404
        assert viewer.get("/api/chat/rooms/case:bb:nope/messages").status_code == 404
        assert viewer.get("/api/chat/rooms/case:bb:nope").status_code == 404
        assert (
            viewer.post("/api/chat/rooms", json={"slug": "east", "title": "E", "members": ["tt"]}).status_code
            == 403
        )
    with node.client("operator") as op:  # the room follows its case: a new title and nation
        case_id = room.split(":")[-1]
        changed = op.patch(
            f"/api/cases/{case_id}", json={"title": "Go-fast, Ponce", "releasable_to": ["tt", "jm"]}
        )
        assert changed.status_code == 200, changed.text
        again = op.get(f"/api/chat/rooms/{room}").json()
        assert again["title"] == "Go-fast, Ponce" and again["members"] == ["bb", "jm", "tt"]
    with node.client("admin") as admin:
        r = admin.post(
            "/api/chat/rooms", json={"slug": "east", "title": "Eastern Caribbean", "members": ["tt", "jm"]}
        )
        assert r.status_code == 201, r.text
        assert r.json()["room_id"] == "region:bb:east" and r.json()["members"] == ["bb", "jm", "tt"]


def test_store_survives_restart(tmp_path: Path) -> None:
    with lone_node(tmp_path, "bb") as served:
        room = open_case(served, "kept", [])
        with served.client("operator") as op:
            first = op.post(f"/api/chat/rooms/{room}/messages", json={"text": "one", "lang": "en"}).json()
    with lone_node(tmp_path, "bb") as served, served.client("operator") as op:
        second = op.post(f"/api/chat/rooms/{room}/messages", json={"text": "two", "lang": "en"}).json()
        texts = [m["text"] for m in op.get(f"/api/chat/rooms/{room}/messages").json()["messages"]]
    assert texts == ["one", "two"]
    assert second["origin_seq"] == first["origin_seq"] + 1


def test_partner_message_deleted_when_its_retention_ends(tmp_path: Path) -> None:
    """A partner's message noted as a partner item leaves the store with it (federation retention)."""
    from seawatch.store.base import PartnerItem
    from seawatch.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path)
    try:
        room = {
            "room_id": "case:tt:x",
            "kind": "case",
            "case_id": "x",
            "title": "t",
            "owner": "tt",
            "members": ["bb"],
        }
        store.chat_put_room(room)
        msg = {
            "msg_id": "tt:1",
            "room_id": "case:tt:x",
            "origin": "tt",
            "origin_seq": 1,
            "author": "a",
            "t": 1.0,
        }
        store.note_partner_items([PartnerItem("tt", 7, "case_message", "tt:1")])
        store.chat_add_message({**msg, "text": "hola", "lang": "es"}, own=False)
        store.chat_set_translation("tt:1", "en", "hello", "argos")
        assert store.chat_message("tt:1") is not None
        store.forget_partner_items([("tt", 7, "case_message")])
        assert store.chat_message("tt:1") is None and store.chat_translations(["tt:1"]) == {}
        assert store.chat_room("case:tt:x") is not None  # the room stays (its header has no retention here)
    finally:
        store.close()
