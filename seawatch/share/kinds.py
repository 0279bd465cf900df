"""The kinds of item a node shares, and what each one needs besides its fields.

Adding a kind (say `case`) touches three places, each with one job:
1. `share/fields.py`: declare its fields (`SCHEMAS`), its positions (`POSITIONS`, own position first)
   and what it must carry (`REQUIRED`). That declaration is the allow-list both ways.
2. here: register an `ItemKind` with the policy switch that releases it to a partner (and, if the
   switch is a new policy key, add that key to `SharePolicy`) and the fields that identify one item
   (they key its jitter).
3. the node's side: `share/node_link.py` `OUTGOING` turns the node's live item of the kind into a
   `ShareItem` (and `IMMEDIATE` says whether it goes to the outbox before the node confirms it);
   `share/node_sink.py` `NodeSink.handlers` says what the node does with a partner's item of the kind
   (a kind with no handler stays in the federation's received table, GET /api/share/received).
`tests/share/test_kinds.py` checks the three agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seawatch.errors import ShareError
from seawatch.model.event import Event
from seawatch.share.fields import POSITIONS, REQUIRED, SCHEMAS
from seawatch.timeutil import iso_utc

if TYPE_CHECKING:
    from seawatch.share.policy import SharePolicy
    from seawatch.store.base import TrackState


@dataclass(frozen=True, slots=True)
class ShareItem:
    """One thing the node may share: a kind and its JSON-able data."""

    kind: str
    data: dict[str, Any]


def track_item(state: TrackState) -> ShareItem:
    """A live track state as a shared item (the node's federation and its NMEA outputs both apply their
    policies to it)."""
    return ShareItem(
        "track",
        {
            "track_id": state.track_id,
            "mmsi": state.mmsi,
            "time": iso_utc(state.time),
            "lat": state.lat,
            "lon": state.lon,
            "sog_kn": state.sog_kn,
            "cog_deg": state.cog_deg,
            "heading_deg": state.heading_deg,
            "name": state.name,
            "ship_type": state.ship_type,
            "sources": list(state.sources),
            "sensors": list(state.sensors),
            "nodes": list(state.nodes),
            "dark": state.dark,
        },
    )


@dataclass(frozen=True, slots=True)
class ItemKind:
    """What sharing needs to know of one kind beyond its declared fields.

    `released(policy, data)`: whether the partner's agreement covers this item (areas and fields are
    applied afterwards, for every kind alike). `ref_keys` / `time_keys`: the first present of each
    identifies one item (with the partner and the position's path they key its jitter)."""

    name: str
    released: Callable[[SharePolicy, Mapping[str, Any]], bool]
    ref_keys: tuple[str, ...] = ("track_id", "id")
    time_keys: tuple[str, ...] = ("time", "start")

    def identity(self, data: Mapping[str, Any]) -> tuple[str, str]:
        ref = next((data[k] for k in self.ref_keys if data.get(k)), "")
        when = next((data[k] for k in self.time_keys if data.get(k)), "")
        return str(ref), str(when)


def _track_released(policy: SharePolicy, data: Mapping[str, Any]) -> bool:
    sensor = "patrol" if data.get("asset") else data.get("sensor")
    if sensor:
        return str(sensor) in policy.track_sources
    sources = set(data.get("sources") or ())
    return bool(sources) and sources <= policy.track_sources


def _event_released(policy: SharePolicy, data: Mapping[str, Any]) -> bool:
    return "*" in policy.event_types or str(data.get("type")) in policy.event_types


KINDS: dict[str, ItemKind] = {}


def register(kind: ItemKind) -> ItemKind:
    """Add a kind (its fields must already be declared in `share.fields`)."""
    tables: dict[str, Mapping[str, object]] = {
        "SCHEMAS": SCHEMAS,
        "POSITIONS": POSITIONS,
        "REQUIRED": REQUIRED,
    }
    missing = [name for name, table in tables.items() if kind.name not in table]
    if missing:
        raise ShareError(f"item kind {kind.name!r} has no declaration in share.fields {missing}")
    KINDS[kind.name] = kind
    return kind


register(ItemKind("track", _track_released))
register(ItemKind("event", _event_released))
register(ItemKind("sighting", lambda policy, data: policy.sightings))


def _chat_released(policy: SharePolicy, data: Mapping[str, Any]) -> bool:
    """Chat (a case's header, a regional room, a message): the partner's agreement allows chat AND the
    case or room is releasable to that partner (`releasable_to`, stamped by node/chat.py)."""
    return policy.case_messages and policy.partner in (data.get("releasable_to") or ())


register(ItemKind("case_message", _chat_released))
register(ItemKind("case", _chat_released, ref_keys=("room_id",), time_keys=("updated",)))
register(ItemKind("chat_room", _chat_released, ref_keys=("room_id",), time_keys=("updated",)))
# chat goes where the case's releasability says, wherever its positions lie: areas do not apply
CHAT_KINDS = frozenset({"case_message", "case", "chat_room"})

ITEM_KINDS = tuple(KINDS)


def kind_of(name: str) -> ItemKind | None:
    return KINDS.get(name)


def as_share_item(item: ShareItem | Event | dict[str, Any]) -> ShareItem:
    """What a caller hands `Federation.publish` as a `ShareItem` (an Event, `{kind, data}`, or one)."""
    if isinstance(item, ShareItem):
        return item
    if isinstance(item, Event):
        return ShareItem("event", item.to_json())
    if isinstance(item, dict) and "kind" in item and "data" in item:
        return ShareItem(str(item["kind"]), dict(item["data"]))
    raise ShareError(f"cannot share {type(item).__name__}")
