"""The API contract: every route declares what it answers, and what a real node answers matches it.

Routes that render their bodies themselves (orjson, pre-encoded track features) bypass FastAPI's
response validation, so this checks the real answers of a node that replayed real AIS against the
declared models, undeclared fields included (the models are closed), route by route.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter
from websockets.sync.client import connect

from seawatch.api.live_messages import LiveMessage
from tests.node.harness import RunningNode

NO_BODY_STATUS = 204
SHARE_PREFIX = "/api/share/"  # needs a federation: checked by tests/share (node CLI)
REF = "#/components/schemas/"
# answers still declared as open objects (dict[str, Any]), each with why: shrink this list, never grow it
OPEN_ANSWERS: dict[tuple[str, str], str] = {}  # (method, path): why its answer is not declared
# Not sent here (they change users, tokens or assets other tests rely on). Each returns its pydantic
# model, which FastAPI validates on every answer; routes that render their own JSON must be sent here.
NOT_SENT = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),
    ("DELETE", "/api/tokens/{token_id}"),
    ("DELETE", "/api/users/{name}"),
    ("POST", "/api/users/{name}/revoke"),
    ("POST", "/api/ops/assets"),
    ("GET", "/api/ops/assets/{asset_id}"),
    ("GET", "/api/ops/assets/{asset_id}/log"),
    ("PUT", "/api/ops/assets/{asset_id}/readiness"),
    ("PUT", "/api/ops/assets/{asset_id}/position"),
    ("POST", "/api/ops/assets/{asset_id}/task"),
    ("POST", "/api/ops/assets/{asset_id}/release"),
    ("GET", "/api/ops/intercept/{track_id}"),
    ("POST", "/api/ops/intercept"),
}
# Answered with files, not JSON (their 200 declares the file's media type): checked by tests/cases.
FILE_ANSWERS = {
    ("GET", "/api/cases/{case_id}/attachments/{attachment_id}"),
    ("GET", "/api/cases/{case_id}/evidence"),
}


@functools.cache
def _declared_models() -> dict[str, type[BaseModel]]:
    """Every pydantic model of the package by class name (the OpenAPI schema's names); a name two
    models share maps to None (FastAPI would have named them apart)."""
    # after an app was created: it imports every route module (sharing's too)

    found: dict[str, type[BaseModel] | None] = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("seawatch."):
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module_name:
                known = found.get(value.__name__, value)
                found[value.__name__] = value if known is value else None
    return {name: model for name, model in found.items() if model is not None}


def _python_type(schema: dict[str, Any]) -> Any:
    """The response model behind an OpenAPI response schema (a model, a list or a dict of one)."""
    if "$ref" in schema:
        return _declared_models()[schema["$ref"].removeprefix(REF)]
    if schema.get("type") == "array":
        return list[_python_type(schema["items"])]  # type: ignore[misc]
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        return dict[str, _python_type(schema["additionalProperties"])]  # type: ignore[misc]
    raise AssertionError(f"response schema without a model: {schema}")


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]+\}", template)  # /api/zones/{zone_id} -> ["/api/zones/", ""]
    return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")


class Checker:
    """Sends requests and validates each JSON answer against the schema `/openapi.json` publishes."""

    def __init__(self, live_node: RunningNode) -> None:
        self.live_node = live_node
        self.spec = live_node.app.openapi()  # type: ignore[attr-defined]
        self.checked: set[tuple[str, str]] = set()

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        exact = self.spec["paths"].get(path, {})
        if method.lower() in exact:
            return path, exact[method.lower()]
        for template, operations in self.spec["paths"].items():
            if method.lower() in operations and _template_regex(template).match(path):
                return template, operations[method.lower()]
        raise AssertionError(f"no operation for {method} {path}")

    def validate(self, method: str, path: str, response: httpx.Response) -> Any:
        template, operation = self.operation(method, path)
        self.checked.add((method, template))
        documented = operation["responses"][str(response.status_code)]
        if response.status_code == NO_BODY_STATUS:
            assert response.content == b""
            return None
        media = response.headers["content-type"].split(";")[0]
        assert media == "application/json" or media.endswith("+json"), media  # e.g. application/geo+json
        body = response.json()
        if (method.lower(), template) in OPEN_ANSWERS:
            return body
        TypeAdapter(_python_type(documented["content"]["application/json"]["schema"])).validate_python(body)
        return body

    def __call__(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        with self.live_node.client(role) as client:
            response = client.request(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text[:300])
        return self.validate(method, path, response)


def test_every_route_declares_its_answer(live_node: RunningNode) -> None:
    spec = live_node.app.openapi()  # type: ignore[attr-defined]
    assert "LiveMessage" in spec["components"]["schemas"]
    undeclared = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "default" in operation["responses"], (method, path)  # problem+json errors
            for status, answer in operation["responses"].items():
                content = answer.get("content", {})
                if status == str(NO_BODY_STATUS) or (method, path) in OPEN_ANSWERS:
                    continue
                if not status.startswith("2"):  # errors: problem+json
                    if set(content) != {"application/problem+json"}:
                        undeclared.append(f"{method} {path} {status}: {sorted(content)}")
                    continue
                for media, body in content.items():
                    if media == "application/json":
                        _python_type(body["schema"])  # a declared model
                    elif "schema" not in body:
                        undeclared.append(f"{method} {path} {status}: {media} without a schema")
                if not content:
                    undeclared.append(f"{method} {path} {status}: no content")
    assert not undeclared, f"answers without a declared model: {undeclared}"


def test_real_answers_match_the_models(live_node: RunningNode) -> None:
    check = Checker(live_node)
    end = datetime.fromtimestamp(live_node.node.data_time_s, UTC)

    tracks = check("viewer", "GET", "/api/tracks")["features"]
    assert tracks, "the replay left no live track"
    ais = next(f for f in tracks if f["properties"]["mmsi"])
    check("viewer", "GET", "/api/tracks", params={"at": end.isoformat(), "bbox": "-98,18,-60,31"})
    check("viewer", "GET", f"/api/tracks/{ais['id']}/history")
    dossier = check("viewer", "GET", f"/api/vessels/{ais['properties']['mmsi']}")
    assert dossier["identity"] is not None or dossier["history"] is not None
    events = check("viewer", "GET", "/api/events", params={"limit": 500})
    check("viewer", "GET", "/api/alerts")
    if events:
        state = f"/api/alerts/{events[0]['id']}/state"
        check("operator", "PUT", state, json={"state": "acknowledged"})
        check("operator", "PUT", state, json={"state": "open"})
    check("viewer", "PUT", "/api/me/profile", json={"values": {"map.zoom": 7}})
    check("viewer", "GET", "/api/me/profile")
    for path in (
        "/api/ops/assets",
        "/api/ops/readiness",
        "/api/ops/alerts",
        "/api/ops/taskings",
    ):
        check("viewer", "GET", path)
    check("analyst", "GET", "/api/ops/tak")

    zone = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[-66, 18], [-65, 18], [-65, 19], [-66, 18]]]},
        "properties": {"name": "contract box", "kind": "custom", "note": "free-form property"},
    }
    zone_id = check("analyst", "POST", "/api/zones", json=zone)["id"]
    check("viewer", "GET", "/api/zones")
    check("viewer", "GET", "/api/zones/kinds")
    check("viewer", "GET", "/api/zones/bundled")
    check("viewer", "GET", "/api/layers/coverage")
    check("viewer", "GET", "/api/layers/maritime-limits")
    check("viewer", "GET", "/api/layers/land", params={"bbox": "-74.10,40.60,-74.00,40.70"})
    check("viewer", "GET", "/api/search/vessels", params={"q": str(ais["properties"]["mmsi"])[:5]})
    check("viewer", "GET", f"/api/zones/{zone_id}")
    check("analyst", "PUT", f"/api/zones/{zone_id}", json=zone)
    check("analyst", "DELETE", f"/api/zones/{zone_id}")

    entry = check("analyst", "POST", "/api/watchlist", json={"mmsi": 338000333, "reason": "contract"})
    check("viewer", "GET", "/api/watchlist")
    check("analyst", "DELETE", f"/api/watchlist/{entry['id']}")

    sighting = {"time": end.isoformat(), "lat": 18.3, "lon": -65.9, "notes": "contract", "sog_kn": 20}
    check("operator", "POST", "/api/sightings", json=sighting)
    check("viewer", "GET", "/api/sightings")

    live_node.node.set_partners(["NL", "tt"])  # cases are releasable to configured partners only
    case = check("operator", "POST", "/api/cases", json={"title": "contract case", "releasable_to": ["NL"]})
    path = f"/api/cases/{case['id']}"
    check("viewer", "GET", "/api/cases", params={"status": "open", "q": "contract"})
    check("viewer", "GET", "/api/cases/vocabulary")
    check("viewer", "GET", path)
    check("operator", "PATCH", path, json={"status": "monitoring", "summary": "contract"})
    check("operator", "POST", f"{path}/notes", json={"text": "contract note"})
    check("operator", "POST", f"{path}/sightings", json=sighting)
    check("operator", "POST", f"{path}/links", json={"kind": "vessel", "ref": "338000333"})
    check("operator", "DELETE", f"{path}/links/vessel/338000333")
    attach = {
        "params": {"name": "contract.txt"},
        "content": b"contract",
        "headers": {"content-type": "text/plain"},
    }
    check("operator", "POST", f"{path}/attachments", **attach)
    check("viewer", "GET", f"{path}/map")
    observation = {"time": end.isoformat(), "lat": 18.4, "lon": -66.2, "mmsi": 338000333, "sog_kn": 8.0}
    check("operator", "POST", "/api/observations", json={"observations": [observation]})

    case = check("operator", "POST", "/api/cases", json={"title": "chat contract", "releasable_to": ["tt"]})
    chat = "/api/chat/rooms/" + check("viewer", "GET", f"/api/chat/cases/{case['id']}")["room_id"]
    check(
        "admin", "POST", "/api/chat/rooms", json={"slug": "contract", "title": "contract", "members": ["tt"]}
    )
    check("viewer", "GET", "/api/chat/rooms")
    check("viewer", "GET", chat)
    check("operator", "POST", f"{chat}/messages", json={"text": "contract text", "lang": "en"})
    report = {"type": "assistance", "need": "tow", "lat": 18.0, "lon": -66.0, "time": end.isoformat()}
    check("operator", "POST", f"{chat}/messages", json={"report": report})
    assert len(check("viewer", "GET", f"{chat}/messages", params={"lang": "pap"})["messages"]) == 2

    check("viewer", "GET", "/api/auth/me")
    check("admin", "GET", "/api/users")
    check("admin", "POST", "/api/users", json={"name": "contract", "role": "viewer"})
    check("admin", "POST", "/api/tokens", json={"user": "contract"})
    check("admin", "GET", "/api/audit")
    check("analyst", "GET", "/api/rejects")
    check("analyst", "GET", "/api/rejects/counts")
    check("viewer", "GET", "/api/export")
    check("viewer", "GET", "/api/export/events", params={"format": "geojson", "end": end.isoformat()})
    check("admin", "GET", "/api/tokens")
    check("viewer", "GET", "/api/health")
    with httpx.Client(base_url=live_node.url, timeout=30) as anonymous:
        login = anonymous.post(
            "/api/auth/login", json={"username": "analyst", "password": live_node.passwords["analyst"]}
        )
        assert login.status_code == 200
        check.validate("POST", "/api/auth/login", login)

    declared = (
        {
            (method.upper(), path)
            for path, operations in check.spec["paths"].items()
            for method in operations
            if path.startswith("/api/") and not path.startswith(SHARE_PREFIX)
        }
        - NOT_SENT
        - FILE_ANSWERS
    )
    assert declared <= check.checked, f"answers not checked: {sorted(declared - check.checked)}"


def test_live_messages_match_the_schema(live_node: RunningNode) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(LiveMessage)
    end = datetime.fromtimestamp(live_node.node.data_time_s, UTC).isoformat()
    url = live_node.url.replace("http", "ws") + "/api/live"
    kinds: set[str] = set()
    with connect(url, additional_headers={"Authorization": f"Bearer {live_node.tokens['viewer']}"}) as ws:
        with live_node.client("analyst") as analyst:
            entry = analyst.post("/api/watchlist", json={"mmsi": 338000444, "reason": "contract"}).json()
        with live_node.client("operator") as operator:
            obs = {"time": end, "lat": 18.5, "lon": -66.3, "mmsi": 338000444, "sog_kn": 12.0}
            assert operator.post("/api/observations", json={"observations": [obs]}).status_code == 200
            sighting = {"time": end, "lat": 18.1, "lon": -65.4, "notes": "contract"}
            assert operator.post("/api/sightings", json=sighting).status_code == 201
            assert operator.post("/api/cases", json={"title": "live contract"}).status_code == 201
        while not {"track", "event", "sighting", "case"} <= kinds:  # a case opens its chat room too
            message = json.loads(ws.recv(timeout=30))
            adapter.validate_python(message)
            kinds.add(message["kind"])
        with live_node.client("operator") as operator:
            case = operator.post("/api/cases", json={"title": "live chat"}).json()
            room = operator.get(f"/api/chat/cases/{case['id']}").json()
            body = {"text": "live contract", "lang": "en"}
            assert operator.post(f"/api/chat/rooms/{room['room_id']}/messages", json=body).status_code == 201
        while not {"chat_room", "case_message"} <= kinds:
            message = json.loads(ws.recv(timeout=30))
            adapter.validate_python(message)
            kinds.add(message["kind"])
        with live_node.client("analyst") as analyst:
            assert analyst.delete(f"/api/watchlist/{entry['id']}").status_code == 204


@pytest.mark.parametrize("path", ["/api/vessels/1", "/api/zones/nope"])
def test_errors_are_problems_as_documented(live_node: RunningNode, path: str) -> None:
    from seawatch.api.models import Problem

    with live_node.client("viewer") as client:
        response = client.get(path)
    assert response.status_code == 404
    assert re.match(r"application/problem\+json", response.headers["content-type"])
    Problem.model_validate(response.json())
