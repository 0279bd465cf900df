"""schemathesis over the running node's `/openapi.json`, once per identity (anonymous and each role):
every operation gets generated requests, valid and invalid, and none may answer with a server error.

The examples per operation are bounded (`EXAMPLES`) so the whole run stays near a minute on the CI
machine. Each role fuzzes with its own fresh user and token, so an operation that ends sessions or
changes users cannot cut the run short. Login is fuzzed a few times only (every try is an argon2
hash, on purpose slow) and logout not at all (it would end the fuzzer's own token; tested in
test_sessions). The counts land in figures.json and docs/security.md.

The federated node (`seawatch node`) is fuzzed the same way over its sharing operations
(`/api/share/...`, absent from a lone node); its other operations are the lone node's, fuzzed above.
There every answer counts, 503 too: the sharing part is configured.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from seawatch.store.base import ROLES
from tests.security.conftest import FIGURES, PARTNER, NodeProc

EXAMPLES = 8
FEW = {"/api/auth/login": 2, "/api/auth/password": 2}  # argon2 on every call
SKIP = {("POST", "/api/auth/logout")}
NOT_CONFIGURED = 503  # sharing routes on a node without [federation]: a clear answer, not a crash


def _identities(node: NodeProc) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"anonymous": {}}
    with node.client("admin") as admin:
        for role in ROLES:
            name, password = f"fuzz-{role}", f"fuzz-{role}-password"
            admin.post(
                "/api/users", json={"name": name, "role": role, "password": password}
            ).raise_for_status()
            made = admin.post("/api/tokens", json={"user": name})
            made.raise_for_status()
            token = made.json()["token"]
            node.secrets += [password, token]
            out[role] = {"Authorization": f"Bearer {token}"}
    return out


@pytest.mark.parametrize("app_kind", ["lone", "federated"])
def test_schemathesis_finds_no_server_error(request: pytest.FixtureRequest, app_kind: str) -> None:
    federated = app_kind == "federated"
    node: NodeProc = request.getfixturevalue("fed_node" if federated else "node")
    spec = httpx.get(f"{node.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    if federated:
        operations = [op for op in operations if op.path.startswith("/api/share/")]
        assert len(operations) == 8, [op.path for op in operations]
    statuses: Counter[int] = Counter()
    server_errors: list[tuple[str, str, str, int, str]] = []
    identities = _identities(node)
    per_identity: Counter[str] = Counter()
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        @settings(
            max_examples=FEW.get(operation.path, EXAMPLES),
            deadline=None,
            database=None,
            derandomize=True,  # the same requests every run: a failure can be replayed
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            # a generated partner is never a real one: each request also goes to the real partner, so
            # the fuzzed policies reach the policy parser
            partners = [None, PARTNER] if federated and "partner" in (case.path_parameters or {}) else [None]
            for partner in partners:
                if partner is not None:
                    case.path_parameters["partner"] = partner
                for who, headers in identities.items():  # one generated request, sent by everyone
                    response = case.call(base_url=node.url, headers=dict(headers), timeout=60)
                    per_identity[who] += 1
                    statuses[response.status_code] += 1
                    not_configured = response.status_code == NOT_CONFIGURED and not federated
                    if response.status_code >= 500 and not not_configured:
                        where = f"{case.method} {case.formatted_path}"
                        body = str(case.body)[:200]
                        server_errors.append((who, where, body, response.status_code, response.text[:300]))

        run()
    requests = sum(statuses.values())
    FIGURES["schemathesis_federated" if federated else "schemathesis"] = {
        "operations": len(operations),
        "identities": len(per_identity),
        "requests": requests,
        "requests_per_identity": dict(per_identity),
        "answers_4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "answers_2xx": sum(n for s, n in statuses.items() if 200 <= s < 300),
        "server_errors": len(server_errors),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }
    assert requests > (200 if federated else 500)
    assert not server_errors, server_errors[:10]
