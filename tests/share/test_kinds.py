"""The item kinds agree across their three places (share/kinds.py says how to add one)."""

from __future__ import annotations

import pytest

from seawatch.errors import ShareError
from seawatch.share.fields import POSITIONS, REQUIRED, SCHEMAS
from seawatch.share.kinds import ITEM_KINDS, KINDS, ItemKind, register
from seawatch.share.node_link import OUTGOING
from seawatch.share.node_sink import NodeSink
from seawatch.share.policy import ShareItem, SharePolicy


def test_every_declared_kind_is_registered_and_back() -> None:
    assert set(ITEM_KINDS) == set(SCHEMAS) == set(POSITIONS) == set(REQUIRED)
    assert set(OUTGOING) <= set(KINDS)
    handlers = NodeSink.__new__(NodeSink)
    NodeSink.__init__(handlers, node=None)  # type: ignore[arg-type]
    assert set(handlers.handlers) <= set(KINDS)


def test_a_kind_without_fields_cannot_be_registered() -> None:
    with pytest.raises(ShareError, match="no declaration"):
        register(ItemKind("case", lambda policy, data: True))
    assert "case" not in KINDS


def test_each_kind_released_only_by_its_switch() -> None:
    items = {
        "track": ShareItem("track", {"lat": 1.0, "lon": 2.0, "sensor": "ais"}),
        "event": ShareItem("event", {"type": "loitering", "lat": 1.0, "lon": 2.0}),
        "sighting": ShareItem("sighting", {"lat": 1.0, "lon": 2.0}),
        "case_message": ShareItem("case_message", {"case_id": "c1", "text": "hi"}),
    }
    switches = {
        "track": {"track_sources": ["ais"]},
        "event": {"event_types": ["loitering"]},
        "sighting": {"sightings": True},
        "case_message": {"case_messages": True},
    }
    assert set(items) == set(ITEM_KINDS)
    for opened, raw in switches.items():
        policy = SharePolicy.from_dict("tt", raw)
        for kind, item in items.items():
            assert policy.allows_kind(item) == (kind == opened), (opened, kind)
