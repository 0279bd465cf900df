"""The per-user profile (`/api/me/profile`) on a real node over HTTP: the page's settings (language, alert
filter, filters, map view, layers) are validated key by key, size-limited, kept per user, and a refused
change leaves what was saved untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seawatch.api.schemas_profile import MAX_PROFILE_BYTES
from seawatch.node.settings import ApiSettings, NodeSettings
from tests.node.harness import RunningNode, free_port, running_node

GOOD = {
    "language": "es",
    "alerts.severity": "all",
    "alerts.show_handled": True,
    "filters": {"ship_type": "tanker", "sources": ["ais", "dark"], "min_speed_kn": 12.5, "zone": "z-1"},
    "map.view": {"lat": 18.1, "lon": -66.3, "zoom": 9},
    "map.layers": {"hidden": ["coverage"]},
}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    settings = NodeSettings(
        node_id="profile-test",
        data_dir=Path(tmp_path_factory.mktemp("node")),
        port=free_port(),
        feeds=[],
        api=ApiSettings(rate_limit_per_s=10_000, rate_limit_burst=10_000),
    )
    with running_node(settings, wait_feeds=False) as running:
        yield running


def test_profile_keeps_the_page_settings_per_user(node: RunningNode) -> None:
    with node.client("viewer") as viewer, node.client("operator") as operator:
        saved = viewer.put("/api/me/profile", json={"values": GOOD})
        assert saved.status_code == 200, saved.text
        assert saved.json()["values"] == GOOD
        assert viewer.get("/api/me/profile").json() == {"user": "viewer", "values": GOOD}
        assert operator.get("/api/me/profile").json()["values"] == {}
        # defaults fill a partial filter; a second PUT changes one key only
        partial = viewer.put("/api/me/profile", json={"values": {"filters": {"min_speed_kn": 30}}})
        assert partial.json()["values"]["filters"] == {
            "ship_type": "",
            "sources": ["ais", "radar", "dark", "partner"],
            "min_speed_kn": 30.0,
            "zone": "",
        }
        assert partial.json()["values"]["language"] == "es"
        assert (
            viewer.put("/api/me/profile", json={"values": {"filters": None}}).json()["values"].get("filters")
            is None
        )
    assert node.node.store.profile("viewer")["map.view"] == {"lat": 18.1, "lon": -66.3, "zoom": 9.0}


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"language": "de"}, "language"),
        ({"language": "ES"}, "language"),
        ({"language": 7}, "language"),
        ({"alerts.severity": "urgent"}, "alerts.severity"),
        ({"alerts.show_handled": "maybe"}, "alerts.show_handled"),
        ({"filters": {"sources": ["sonar"]}}, "filters"),
        ({"filters": {"min_speed_kn": -1}}, "filters"),
        ({"filters": {"colour": "red"}}, "filters"),
        ({"map.view": {"lat": 95, "lon": 0, "zoom": 3}}, "map.view"),
        ({"map.view": {"lat": 10, "lon": 0}}, "map.view"),
        ({"map.layers": {"hidden": ["<script>"]}}, "map.layers"),
        ({"Bad Key!": 1}, "Bad Key!"),
        ({"notes": "x" * 5000}, "notes"),
    ],
)
def test_bad_profile_values_are_422_naming_the_key(
    node: RunningNode, values: dict[str, object], named: str
) -> None:
    with node.client("analyst") as analyst:
        before = analyst.put("/api/me/profile", json={"values": {"language": "fr"}}).json()["values"]
        refused = analyst.put("/api/me/profile", json={"values": {"panel.note": "good sibling", **values}})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert named in refused.json()["detail"]
        assert analyst.get("/api/me/profile").json()["values"] == before  # nothing of the refused body kept


def test_oversize_profile_is_refused_whole(node: RunningNode) -> None:
    with node.client("admin") as admin:
        chunk = "y" * 3500
        keys = MAX_PROFILE_BYTES // 3500 + 1
        first = {f"panel.k{i}": chunk for i in range(keys // 2)}
        assert admin.put("/api/me/profile", json={"values": first}).status_code == 200
        rest = {f"panel.k{i}": chunk for i in range(keys // 2, keys)}
        over = admin.put("/api/me/profile", json={"values": rest})
        assert over.status_code == 422 and "bytes" in over.json()["detail"]
        assert admin.get("/api/me/profile").json()["values"] == first
        too_many = admin.put("/api/me/profile", json={"values": {f"k{i}": 1 for i in range(65)}})
        assert too_many.status_code == 422
