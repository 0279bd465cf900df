"""The role matrix over every route of the app, enumerated from the app itself (a new route is covered
without editing this test): each route's required role is read from its `require_<role>` dependency,
then every identity (anonymous, viewer, operator, analyst, admin) calls it on the running node.

It runs on both apps a node can serve: the lone node's (`seawatch serve`) and the federated node's
(`seawatch node`, with the sharing routes `/api/share/...`, whose role checks are the API's, wired in by
`seawatch.server.federated_app` through `dependency_overrides`: those are followed here too).

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
from seawatch.server import federated_app
from seawatch.share.service import FederatedNode
from seawatch.store.base import ROLES, role_rank
from tests.security.conftest import FIGURES, PARTNER, NodeProc
from tests.share.helpers import make_keys, make_settings

PARAM_VALUES = {"mmsi": "123456789", "token_id": "0" * 16, "name": "nobody-x", "partner": PARTNER}
APPS = {"lone": "node", "federated": "fed_node"}  # app kind -> the running node's fixture

Route = tuple[str, str, str | None]


def _required_role(dependant: Any, overrides: dict[Any, Any]) -> str | None:
    found: list[str] = []
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        name = getattr(overrides.get(dep.call, dep.call), "__name__", "")
        if name.startswith("require_"):
            found.append(name.removeprefix("require_"))
        stack.extend(dep.dependencies)
    return max(found, key=role_rank) if found else None


@pytest.fixture(scope="module", params=sorted(APPS))
def app_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def routes(app_kind: str, tmp_path_factory: pytest.TempPathFactory) -> list[Route]:
    """(method, path, required role) of every HTTP route of the app `seawatch serve` (lone) or
    `seawatch node` (federated) runs; the federated app is built, never started (no broker needed)."""
    tmp = Path(tmp_path_factory.mktemp(f"matrix-{app_kind}"))
    if app_kind == "federated":
        fed_settings = make_settings("m", make_keys(["m", PARTNER]), tmp)
        fnode = FederatedNode(NodeSettings(node_id="m", data_dir=tmp / "data"), fed_settings, detectors=[])
        node = fnode.node
        app = federated_app(fnode, manage=False)
    else:
        node = Node(NodeSettings(data_dir=tmp), detectors=[])
        app = create_app(node, manage_node=False)
    try:
        out = []
        for ctx in iter_route_contexts(app.routes):
            route = ctx.original_route
            if isinstance(route, APIRoute):
                role = _required_role(ctx.dependant, app.dependency_overrides)
                for method in sorted(set(ctx.methods or ()) - {"HEAD", "OPTIONS"}):
                    out.append((method, str(ctx.path), role))
            elif isinstance(route, APIWebSocketRoute):
                assert ctx.path == "/api/live", f"new WebSocket route {ctx.path}: add it to this test"
    finally:
        node.store.close()
    # logout ends the caller's token: last
    return sorted(out, key=lambda r: (r[1] == "/api/auth/logout", r[1], r[0]))


def test_every_route_is_guarded_or_declared_public(app_kind: str, routes: list[Route]) -> None:
    unguarded = sorted({path for _, path, role in routes if role is None} - PUBLIC_PATHS)
    assert not unguarded, f"routes without a role dependency: {unguarded}"
    assert len(routes) > 30
    share = {(m, p): role for m, p, role in routes if p.startswith("/api/share")}
    if app_kind == "federated":  # the role table of docs/security.md, for the sharing routes
        assert share == SHARE_ROLES, share
    else:
        assert not share


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAM_VALUES.get(m.group(1), "x"), path)


# docs/security.md: viewers read sharing status, link health and received partner items; admins the
# policies, quarantine and audit
SHARE_ROLES = {
    ("GET", "/api/share/status"): "viewer",
    ("GET", "/api/share/links"): "viewer",
    ("GET", "/api/share/received"): "viewer",
    ("GET", "/api/share/policies"): "admin",
    ("GET", "/api/share/policies/{partner}"): "admin",
    ("PUT", "/api/share/policies/{partner}"): "admin",
    ("GET", "/api/share/quarantine"): "admin",
    ("GET", "/api/share/audit"): "admin",
}


def test_role_matrix(request: pytest.FixtureRequest, app_kind: str, routes: list[Route]) -> None:
    node: NodeProc = request.getfixturevalue(APPS[app_kind])
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
                # 503 only for a part not configured on this node; the federated node has them all
                server_error = status >= 500 and (app_kind == "federated" or status != 503)
                assert not server_error, (method, path, who, status, answer.text[:300])
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
    FIGURES["role_matrix" if app_kind == "lone" else "role_matrix_federated"] = {
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
