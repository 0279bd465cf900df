"""The role matrix over every route of the app, enumerated from the app itself (a new route is covered
without editing this test): each route's required role is read from its `require_<role>` dependency,
then every identity (anonymous, viewer, operator, analyst, admin) calls it on the running node.

Anonymous: 401. Below the role: 403. At or above it: never 401/403 (the request may still be refused
for its empty body, 422, or a missing thing, 404). A route with no role dependency must be one of the
declared public paths, so a route that forgot its guard fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from seawatch.api.app import PUBLIC_PATHS, create_app
from seawatch.node.node import Node
from seawatch.node.settings import NodeSettings
from seawatch.store.base import ROLES, role_rank
from tests.security.conftest import FIGURES, NodeProc

PARAM_VALUES = {"mmsi": "123456789", "token_id": "0" * 16, "name": "nobody-x"}


def _required_role(dependant: Any) -> str | None:
    found: list[str] = []
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        name = getattr(dep.call, "__name__", "")
        if name.startswith("require_"):
            found.append(name.removeprefix("require_"))
        stack.extend(dep.dependencies)
    return max(found, key=role_rank) if found else None


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str | None]]:
    """(method, path, required role) of every HTTP route of the app `seawatch serve` runs."""
    node = Node(NodeSettings(data_dir=Path(tmp_path_factory.mktemp("matrix"))), detectors=[])
    try:
        app = create_app(node, manage_node=False)
        out = []
        for ctx in iter_route_contexts(app.routes):
            route = ctx.original_route
            if isinstance(route, APIRoute):
                role = _required_role(ctx.dependant)
                for method in sorted(set(ctx.methods or ()) - {"HEAD", "OPTIONS"}):
                    out.append((method, str(ctx.path), role))
            elif isinstance(route, APIWebSocketRoute):
                assert ctx.path == "/api/live", f"new WebSocket route {ctx.path}: add it to this test"
    finally:
        node.store.close()
    # logout ends the caller's token: last
    return sorted(out, key=lambda r: (r[1] == "/api/auth/logout", r[1], r[0]))


def test_every_route_is_guarded_or_declared_public(routes: list[tuple[str, str, str | None]]) -> None:
    unguarded = sorted({path for _, path, role in routes if role is None} - PUBLIC_PATHS)
    assert not unguarded, f"routes without a role dependency: {unguarded}"
    assert len(routes) > 30


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAM_VALUES.get(m.group(1), "x"), path)


def test_role_matrix(node: NodeProc, routes: list[tuple[str, str, str | None]]) -> None:
    with node.client("admin") as admin:  # throwaway tokens: the matrix calls logout too
        tokens = {}
        for role in ROLES:
            made = admin.post("/api/tokens", json={"user": role})
            assert made.status_code == 201
            tokens[role] = made.json()["token"]
            node.secrets.append(tokens[role])
    identities: dict[str | None, dict[str, str]] = {None: {}}
    identities.update({role: {"Authorization": f"Bearer {tokens[role]}"} for role in ROLES})
    wrong: list[tuple[str, str, str | None, int]] = []
    calls = 0
    with node.client() as client:
        for method, path, required in routes:
            if path in ("/docs/oauth2-redirect",):
                continue
            body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
            for who, headers in identities.items():
                answer = client.request(method, _fill(path), headers=headers, json=body)
                calls += 1
                status = answer.status_code
                # 503: a part not configured on this node (sharing without [federation]): said, not crashed
                assert status not in (500, 502, 504), (method, path, who, status, answer.text[:300])
                if required is None:
                    ok = status not in (401, 403) or path == "/api/auth/login"
                elif who is None:
                    ok = status == 401
                elif role_rank(who) < role_rank(required):
                    ok = status == 403
                else:
                    ok = status not in (401, 403)
                if not ok:
                    wrong.append((method, path, who, status))
    FIGURES["role_matrix"] = {
        "routes": len({(m, p) for m, p, _ in routes}),
        "identities": len(identities),
        "requests": calls,
        "mismatches": len(wrong),
    }
    assert not wrong, wrong


def test_live_stream_needs_a_credential(node: NodeProc) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(node.ws_url(), open_timeout=10)
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(node.ws_url() + "?token=made-up-token", open_timeout=10)
    with connect(node.ws_url() + f"?token={node.tokens['viewer']}", open_timeout=10) as ws:
        ws.ping().wait(5)
