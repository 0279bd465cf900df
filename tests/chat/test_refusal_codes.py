"""The node's refusals carry a machine-readable reason beside the unchanged English `detail`: one `errors`
entry whose `type` is a stable code and whose `ctx` holds the values (the 422s' shape), for a chat room's
title and members, a case's `releasable_to` naming a nation that is not a partner, 409 conflicts (an asset
that already exists or is not on task, the last admin) and a wrong password. One real node (uvicorn, real
sockets) configured with partners tt and jm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from seawatch.api.models import Problem
from seawatch.i18n import LANGUAGES
from seawatch.node.chat import MAX_TITLE, ChatInputError, ChatService
from tests.chat.harness import Served, lone_node
from tests.ops.helpers import boat


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with lone_node(tmp_path_factory.mktemp("refusals"), "bb", partners=("tt", "jm")) as served:
        yield served


def refusal(response: httpx.Response, status: int) -> tuple[str, dict[str, Any] | None, str, str]:
    """The answer's first error as (type, ctx, field) and its detail, after checking it is problem+json
    of the published shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = Problem.model_validate(response.json())  # the contract: undeclared fields fail
    assert problem.errors, problem
    first = problem.errors[0]
    assert first.type is not None and first.message, problem
    return first.type, first.ctx, first.field, problem.detail


def test_region_room_members_not_node_ids(node: Served) -> None:
    with node.client("admin") as admin:
        answer = admin.post(
            "/api/chat/rooms", json={"slug": "south", "title": "Southern", "members": ["Bahamas!", "tt"]}
        )
    kind, ctx, field, detail = refusal(answer, 422)
    assert (kind, ctx, field) == ("not_node_ids", {"ids": "Bahamas!"}, "members")
    assert detail == "members: not node ids: ['Bahamas!']"  # API users keep the English text


def test_region_room_blank_title(node: Served) -> None:
    with node.client("admin") as admin:
        answer = admin.post("/api/chat/rooms", json={"slug": "blank", "title": "   ", "members": ["tt"]})
    kind, ctx, field, detail = refusal(answer, 422)
    assert (kind, ctx, field) == ("string_too_short", {"min_length": 1}, "title")
    assert detail == f"title: 1 to {MAX_TITLE} characters"
    with node.client("admin") as admin:
        assert admin.get("/api/chat/rooms/region:bb:blank").status_code == 404  # nothing kept


def test_chat_service_codes_for_slug_case_id_title_lang_and_report(node: Served) -> None:
    """What the API's own models catch first (slug pattern, lang, a report) the service refuses the same
    way when it is reached another way (the CLI, a partner's message)."""
    chat: ChatService = node.extra["node"].chat
    with pytest.raises(ChatInputError) as slug:
        chat.open_region_room("Bad Slug", "Eastern", ["tt"])
    assert (slug.value.field, slug.value.kind, slug.value.ctx) == ("slug", "slug_chars", {"max_length": 64})
    with pytest.raises(ChatInputError) as case_id:
        chat.open_case_room("no such case!", "A case", ["tt"])
    assert (case_id.value.kind, case_id.value.ctx) == ("id_chars", {"max_length": 64})
    with pytest.raises(ChatInputError) as long_title:
        chat.open_region_room("long", "x" * (MAX_TITLE + 1), ["tt"])
    assert (long_title.value.kind, long_title.value.ctx) == ("string_too_long", {"max_length": MAX_TITLE})
    with pytest.raises(ChatInputError) as lang:
        ChatService._checked("hallo", "de", None)
    assert (lang.value.field, lang.value.kind) == ("lang", "literal_error")
    assert lang.value.ctx == {"expected": ", ".join(LANGUAGES)}
    bad_report = {
        "type": "contact",
        "what": "go_fast",
        "lat": 95,
        "lon": -66.6,
        "time": "2026-12-07T09:30:00Z",
    }
    with pytest.raises(ChatInputError) as report:
        ChatService._checked(None, None, bad_report)
    assert report.value.field.startswith("report.") and report.value.field.endswith("lat")
    assert report.value.kind == "less_than_equal" and report.value.ctx == {"le": 90.0}


def test_message_lang_and_report_refused_with_their_type(node: Served) -> None:
    with node.client("operator") as op:
        made = op.post("/api/cases", json={"title": "Lancha al sur de Ponce", "releasable_to": ["tt"]})
        assert made.status_code == 201, made.text
        room = op.get(f"/api/chat/cases/{made.json()['id']}").json()["room_id"]
        lang = op.post(f"/api/chat/rooms/{room}/messages", json={"text": "hallo", "lang": "de"})
        report = op.post(
            f"/api/chat/rooms/{room}/messages",
            json={"report": {"type": "contact", "what": "go_fast", "lat": 95, "lon": -66.6,
                             "time": "2026-12-07T09:30:00Z"}},
        )  # fmt: skip
    kind, ctx, field, _ = refusal(lang, 422)
    assert (kind, field) == ("literal_error", "lang") and ctx and "es" in str(ctx["expected"])
    kind, ctx, field, _ = refusal(report, 422)
    assert (kind, ctx, field) == ("less_than_equal", {"le": 90}, "report.contact.lat")


@pytest.mark.parametrize(
    ("method", "body", "kind", "ctx"),
    [
        ("post", {"title": "Overdue ketch", "releasable_to": ["tt", "xx"]}, "unknown_partner",
         {"ids": "xx", "known": "jm, tt"}),
        ("post", {"title": "Overdue ketch", "releasable_to": ["bad id"]}, "not_node_ids", {"ids": "bad id"}),
        ("patch", {"releasable_to": ["jm", "NL", "fr"]}, "unknown_partner",
         {"ids": "NL, fr", "known": "jm, tt"}),
        ("patch", {"status": "shut"}, "literal_error",
         {"expected": "'open', 'monitoring', 'interdiction' or 'closed'"}),
    ],
)  # fmt: skip
def test_case_refusals(
    node: Served, method: str, body: dict[str, Any], kind: str, ctx: dict[str, Any]
) -> None:
    with node.client("operator") as op:
        case = op.post("/api/cases", json={"title": "Drifting panga", "releasable_to": ["tt"]}).json()
        path = "/api/cases" if method == "post" else f"/api/cases/{case['id']}"
        answer = op.request(method.upper(), path, json=body)
        after = op.get(f"/api/cases/{case['id']}").json()
    got_kind, got_ctx, field, detail = refusal(answer, 422)
    assert (got_kind, got_ctx) == (kind, ctx)
    assert field == ("status" if "status" in body else "releasable_to") and detail.startswith(f"{field}: ")
    assert after["version"] == case["version"] and after["releasable_to"] == ["tt"]  # nothing changed


def test_unknown_partner_on_a_node_without_partners(tmp_path: Path) -> None:
    with lone_node(tmp_path, "aa", partners=()) as lone, lone.client("operator") as op:
        answer = op.post("/api/cases", json={"title": "Overdue ketch", "releasable_to": ["tt"]})
    kind, ctx, _, detail = refusal(answer, 422)
    assert (kind, ctx) == ("unknown_partner", {"ids": "tt", "known": ""})
    assert detail == "releasable_to: unknown partner 'tt': this node's partners are none"


def test_conflicts_carry_their_code(node: Served) -> None:
    asset = boat("CG-7", 17.7, -64.7).model_dump(mode="json")
    with node.client("admin") as admin:
        assert admin.post("/api/ops/assets", json=asset).status_code == 201
        again = admin.post("/api/ops/assets", json=asset)
        release = admin.post("/api/ops/assets/CG-7/release")
        on_task = admin.put("/api/ops/assets/CG-7/readiness", json={"state": "on_task"})
        last_admin = admin.delete("/api/users/admin")
    kind, ctx, field, detail = refusal(again, 409)
    assert (kind, ctx, field, detail) == (
        "asset_exists",
        {"asset": "CG-7"},
        "asset_id",
        "asset CG-7 already exists",
    )
    kind, ctx, _, detail = refusal(release, 409)
    assert (kind, ctx, detail) == ("asset_not_on_task", {"asset": "CG-7"}, "asset CG-7 is not on task")
    kind, ctx, _, _ = refusal(on_task, 409)
    assert (kind, ctx) == ("task_not_by_state", {"asset": "CG-7"})
    kind, ctx, field, detail = refusal(last_admin, 409)
    assert (kind, ctx, field) == ("last_admin", {"user": "admin"}, "name")
    assert detail == "the last admin cannot be removed"


def test_wrong_password_is_not_a_role_refusal(node: Served) -> None:
    with node.client("viewer") as viewer:
        answer = viewer.post(
            "/api/auth/password", json={"current_password": "not-it-at-all", "new_password": "x" * 12}
        )
    kind, ctx, field, detail = refusal(answer, 403)
    assert (kind, ctx, field, detail) == (
        "wrong_password",
        None,
        "current_password",
        "current password is wrong",
    )
