"""Hand-written bad inputs: each gets a clear 4xx problem+json naming what is wrong, never a 500, and
nothing stored by one of them breaks a later read (`GET /api/zones` after a deeply nested zone)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.security.conftest import FIGURES, NodeProc

SQUARE = {"type": "Polygon", "coordinates": [[[-64.6, 17.0], [-64.4, 17.0], [-64.4, 17.2], [-64.6, 17.0]]]}


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


def _deep_zone_bytes(depth: int) -> bytes:
    """A zone whose properties nest `depth` deep (built as text: json.dumps itself gives up at ~1000)."""
    head = json.dumps(_zone({}))[:-2].encode()  # ...probe"}}  -> without the last two braces
    return head + b', "deep": ' + b'{"a": ' * depth + b'"bottom"' + b"}" * depth + b"}}"


def _zone(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": SQUARE, "properties": {"name": "probe", **properties}}


# (method, path, body or raw bytes, expected status)
CASES: list[tuple[str, str, Any, int]] = [
    ("GET", "/api/vessels/99999999999999999999999999", None, 422),
    ("GET", "/api/vessels/-1", None, 422),
    ("GET", "/api/vessels/1e400", None, 422),
    ("GET", "/api/events?mmsi=99999999999999999999999", None, 422),
    ("GET", "/api/events?limit=99999999999999999999", None, 422),
    ("GET", "/api/events?since=not-a-time", None, 422),
    ("GET", "/api/events?bbox=0,0,1e309,1", None, 422),
    ("GET", "/api/tracks?bbox=nan,nan,nan,nan", None, 422),
    ("GET", "/api/tracks?max_age_s=-5", None, 422),
    ("GET", "/api/tracks?at=9999-99-99", None, 422),
    ("GET", "/api/audit?limit=99999999999999999999999", None, 200),  # clamped
    ("POST", "/api/zones", _zone({"deep": _nested(40)}), 422),
    ("POST", "/api/zones", _deep_zone_bytes(300), 422),
    ("POST", "/api/zones", _deep_zone_bytes(5000), 422),
    ("POST", "/api/zones", b"[" * 100_000 + b"]" * 100_000, 422),
    ("POST", "/api/zones", b'{"type": "Feature", "geometry": ' + b"[" * 2000, 422),
    ("POST", "/api/zones", b"\xff\xfe not json", 400),
    ("POST", "/api/zones", {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": 5}}, 422),
    ("POST", "/api/watchlist", {"mmsi": 10**30}, 422),
    ("POST", "/api/watchlist", {"mmsi": "338000111; DROP TABLE watchlist"}, 422),
    ("POST", "/api/sightings", {"lat": 91, "lon": 0}, 422),
    ("POST", "/api/sightings", b'{"lat": 1e400, "lon": 0}', 422),
    ("POST", "/api/sightings", b'{"lat": NaN, "lon": Infinity}', 422),
    ("POST", "/api/sightings", {"lat": 10, "lon": 10, "cog_deg": -1}, 422),
    (
        "POST",
        "/api/observations",
        {"observations": [{"time": "2020-06-30T00:00:00Z", "lat": 0, "lon": 0, "sog_kn": 1e300}]},
        422,
    ),
    (
        "POST",
        "/api/observations",
        {"observations": [{"time": "2020-06-30T00:00:00Z", "lat": 0, "lon": 999}]},
        422,
    ),
    ("POST", "/api/observations", {"observations": [{"time": "99999-01-01", "lat": 0, "lon": 0}]}, 422),
    ("POST", "/api/users", {"name": "../../etc/passwd", "role": "admin", "password": "long-password"}, 400),
    ("POST", "/api/users", {"name": "x", "role": "root", "password": "long-password"}, 422),
    ("POST", "/api/tokens", {"user": "nobody-at-all"}, 404),
    ("DELETE", "/api/tokens/zzzzzzzzzzzzzzzz", None, 422),
    ("DELETE", "/api/tokens/0000000000000000", None, 404),
    ("POST", "/api/auth/login", {"username": "a" * 10_000, "password": "x"}, 422),
    ("POST", "/api/auth/login", {"username": "admin' OR '1'='1", "password": "' OR '1'='1"}, 401),
    ("GET", "/api/tracks/..%2F..%2Fetc%2Fpasswd/history", None, 404),
    ("GET", "/api/zones/..%2F..%2Fetc%2Fpasswd", None, 404),
    ("GET", "/../../../etc/passwd", None, 404),
    ("POST", "/api/zones", b"x" * (2 * 1024 * 1024), 413),
]


def test_bad_inputs_get_clear_problems_not_server_errors(node: NodeProc) -> None:
    results = []
    with node.client("admin") as admin:
        for method, path, body, expected in CASES:
            if isinstance(body, bytes):
                answer = admin.request(
                    method, path, content=body, headers={"Content-Type": "application/json"}
                )
            else:
                answer = admin.request(method, path, json=body)
            results.append((method, path[:60], answer.status_code))
            assert answer.status_code == expected, (method, path[:80], answer.status_code, answer.text[:300])
            if answer.status_code >= 400 and path.startswith("/api/"):
                problem = answer.json()
                assert answer.headers["content-type"] == "application/problem+json"
                assert problem["status"] == answer.status_code and problem["detail"]
        zones = admin.get("/api/zones")
        assert zones.status_code == 200  # nothing stored above breaks the list
    FIGURES["hand_written_bad_inputs"] = {"tried": len(CASES), "server_errors": 0}


def test_a_nested_zone_is_refused_with_the_field_named(node: NodeProc) -> None:
    with node.client("analyst") as analyst:
        answer = analyst.post("/api/zones", json=_zone({"deep": _nested(12)}))
        assert answer.status_code == 422
        assert "properties" in answer.json()["detail"] and "deep" in answer.json()["detail"]
        too_deep = analyst.post("/api/zones", content=json.dumps(_zone({"d": _nested(100)})))
        assert too_deep.status_code == 422 and "nested" in too_deep.json()["detail"]
        assert analyst.get("/api/zones").status_code == 200


@pytest.mark.parametrize("mmsi", ["0", "999999999", "123456789"])
def test_vessel_numbers_in_range_are_answered(node: NodeProc, mmsi: str) -> None:
    with node.client("viewer") as viewer:
        # in range, so never refused (422): unknown (404), or known (200) when the fuzzers' generated
        # observations or sightings named this boundary number earlier in the suite
        assert viewer.get(f"/api/vessels/{mmsi}").status_code in (200, 404)
