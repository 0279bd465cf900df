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
        register(ItemKind("weather", lambda policy, data: True))
    assert "weather" not in KINDS


def test_each_kind_released_only_by_its_switch() -> None:
    items = {
        "track": ShareItem("track", {"lat": 1.0, "lon": 2.0, "sensor": "ais"}),
        "event": ShareItem("event", {"type": "loitering", "lat": 1.0, "lon": 2.0}),
        "sighting": ShareItem("sighting", {"lat": 1.0, "lon": 2.0}),
        "case_message": ShareItem("case_message", {"case_id": "c1", "text": "hi", "releasable_to": ["tt"]}),
        "case": ShareItem("case", {"id": "c1", "room_id": "case:bb:c1", "releasable_to": ["tt"]}),
        "chat_room": ShareItem("chat_room", {"room_id": "region:bb:east", "releasable_to": ["tt"]}),
    }
    switches = {
        "track": {"track_sources": ["ais"]},
        "event": {"event_types": ["loitering"]},
        "sighting": {"sightings": True},
        "case_message": {"case_messages": True},
        "case": {"case_messages": True},
        "chat_room": {"case_messages": True},
    }
    assert set(items) == set(ITEM_KINDS)
    for opened, raw in switches.items():
        policy = SharePolicy.from_dict("tt", raw)
        for kind, item in items.items():
            assert policy.allows_kind(item) == (switches[kind] == raw), (opened, kind)


def test_chat_goes_only_where_the_case_is_releasable() -> None:
    policy = SharePolicy.from_dict("jm", {"case_messages": True, "areas": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
    message = {"id": "bb:1", "room_id": "case:bb:c1", "text": "hi", "lat": 18.0, "lon": -66.0}
    assert policy.apply(ShareItem("case_message", {**message, "releasable_to": ["bb", "tt"]})) is None
    shared = policy.apply(ShareItem("case_message", {**message, "releasable_to": ["bb", "jm"]}))
    assert shared is not None and shared.data["text"] == "hi"  # outside the areas: the case decides
    closed = SharePolicy.from_dict("jm", {"event_types": ["*"]})
    assert closed.apply(ShareItem("case_message", {**message, "releasable_to": ["jm"]})) is None
