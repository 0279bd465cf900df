"""Partner items into the node (the federation's sink), by kind.

Tracks and sightings enter fusion as observations with `sensor = partner`, `source = partner:<origin>`,
the node of origin in `extra["node"]` (so the track state lists it in `nodes`) and
`target_ref = <origin>:<partner track id>`; an AIS-identified partner track lands on the same
`mmsi:<mmsi>` track as our own AIS, giving one track with both nodes as sources. Events go to
`Node.ingest_events(events, origin)`. Chat (a case's header `case`, a regional `chat_room`, a
`case_message`) goes to the node's chat (`node/chat.py`), in order, after `NodeSink.vet` checked it
against the case's or room's releasability (what fails is quarantined by the federation). A kind without
a handler in `NodeSink.handlers` stays in the federation's received table (GET /api/share/received).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from seawatch.model import AisStatic, Event, Observation, SensorKind
from seawatch.share.envelope import Envelope
from seawatch.share.kinds import CHAT_KINDS
from seawatch.store.base import EventQuery, PartnerItem
from seawatch.timeutil import parse_utc

if TYPE_CHECKING:
    from seawatch.node.node import Node
    from seawatch.store.base import Store

log = logging.getLogger(__name__)


def _partner_static(env: Envelope, obs: Observation) -> AisStatic | None:
    p = env.payload
    name, ship_type = p.get("name"), p.get("ship_type")
    if obs.mmsi is None or (name is None and ship_type is None):
        return None
    return AisStatic(
        mmsi=obs.mmsi,
        msg_type=5,
        shipname=None if name is None else str(name),
        ship_type=None if ship_type is None else int(ship_type),
        received_at=obs.time,
        source=f"partner:{env.origin}",
    )


def envelope_observation(env: Envelope) -> Observation | None:
    """A partner track or sighting as an observation for fusion (None if it has no usable position)."""
    p = env.payload
    try:
        when = parse_utc(str(p["time"])) if "time" in p else env.time
        lat, lon = float(p["lat"]), float(p["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    ref = p.get("track_id") or p.get("id") or f"{env.kind}-{env.seq}"
    mmsi = p.get("mmsi")

    def _f(key: str) -> float | None:
        value = p.get(key)
        return None if value is None else float(value)

    return Observation(
        time=when,
        lat=lat,
        lon=lon,
        sensor=SensorKind.PARTNER,
        source=f"partner:{env.origin}",
        mmsi=int(mmsi) if mmsi is not None else None,
        target_ref=f"{env.origin}:{ref}",
        sog_kn=_f("sog_kn"),
        cog_deg=_f("cog_deg"),
        heading_deg=_f("heading_deg"),
        received_at=env.time,
        extra={
            "node": env.origin,
            "share_seq": env.seq,
            "share_kind": env.kind,
            "partner_sources": list(p.get("sources") or ()),
        },
    )


SAME_EVENT_SLACK = timedelta(hours=1)  # a partner's event this close to our own one is the same event
OWN_TRACK_WINDOW_S = 1800.0  # a partner's report of a vessel we track ourselves within this time...
OWN_TRACK_GATE_M = 5_000.0  # ...that lies farther than this (plus 50 kn for the time between) is refused
MAX_SOG_MPS = 50 * 0.514444


def same_events(store: Store, event: Event, wanted: Callable[[str | None], bool]) -> list[tuple[str, str]]:
    """(event id, origin) of stored events of the same thing as `event` (same type, same vessels, within
    `SAME_EVENT_SLACK`) whose origin `wanted` accepts. Dark targets (no MMSI) match nothing."""
    if not event.mmsi:
        return []
    query = EventQuery(
        types=(event.type,),
        mmsi=event.mmsi[0],
        since=event.start - SAME_EVENT_SLACK,
        until=event.end + SAME_EVENT_SLACK,
        limit=20,
    )
    out: list[tuple[str, str]] = []
    for candidate in store.events(query):
        if set(candidate.mmsi) != set(event.mmsi):
            continue
        origin = store.event_origin(candidate.event_id)
        if wanted(origin):
            out.append((candidate.event_id, str(origin)))
    return out


@dataclass
class _Batch:
    """What one merge collects per origin before handing it to the node."""

    own_tracks: dict[int, tuple[float, float, float]]
    observations: dict[str, list[Observation]] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    statics: dict[str, list[AisStatic]] = field(default_factory=dict)
    noted: list[PartnerItem] = field(default_factory=list)


class NodeSink:
    """FederationSink that feeds a Node. A partner never writes into the node's own data: its events
    are stored under its origin (an event id the node already holds from another origin is not
    rewritten, see store/events.py), and a position report for a vessel the node itself tracks (same
    MMSI, own data within `OWN_TRACK_WINDOW_S`) that contradicts the node's own position is not merged,
    so it cannot drag or replace the own track; consistent reports merge into it (one track, both
    nodes)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        # what the node does with a partner's item, per kind (share/kinds.py: adding a kind)
        self.handlers: dict[str, Callable[[Envelope, _Batch], Awaitable[None]]] = {
            "track": self._position,
            "sighting": self._position,
            "event": self._event,
            "case": self._chat,
            "chat_room": self._chat,
            "case_message": self._chat,
        }
        self.skipped = 0
        self.own_preferred = 0
        self.merged_into_own = 0

    def _own_same_event(self, event: Event) -> str | None:
        """The node's own event of the same type, vessel(s) and time, if it has one."""
        found = same_events(self.node.store, event, lambda origin: origin == self.node.node_id)
        return found[0][0] if found else None

    def fold_partner_copies(self, event: Event) -> list[str]:
        """An own event just committed: partner events of the same thing already stored become part of
        it (`details.also_reported_by`), so the picture shows one alert whichever came first. Returns
        the partner event ids folded in."""
        own = self.node.node_id
        folded: list[str] = []
        for partner_id, origin in same_events(self.node.store, event, lambda o: o is not None and o != own):
            if self.node.store.fold_partner_event(event.event_id, partner_id, origin):
                folded.append(partner_id)
                self.merged_into_own += 1
        return folded

    def _own_tracks(self) -> dict[int, tuple[float, float, float]]:
        """MMSI -> (time, lat, lon) of the node's own latest state for vessels it tracks itself."""
        own = self.node.node_id
        out: dict[int, tuple[float, float, float]] = {}
        for state in self.node.live.values():
            if state.mmsi and (not state.nodes or own in state.nodes):
                t = state.time.timestamp()
                if state.mmsi not in out or out[state.mmsi][0] < t:
                    out[state.mmsi] = (t, state.lat, state.lon)
        return out

    @staticmethod
    def _contradicts(obs: Observation, own: tuple[float, float, float] | None) -> bool:
        if own is None:
            return False
        dt = abs(obs.time.timestamp() - own[0])
        if dt > OWN_TRACK_WINDOW_S:
            return False
        gap_m = _distance_m(obs.lat, obs.lon, own[1], own[2])
        return gap_m > OWN_TRACK_GATE_M + MAX_SOG_MPS * dt

    async def merge(self, envelopes: list[Envelope]) -> None:
        batch = _Batch(own_tracks=self._own_tracks())
        origins: dict[str, None] = {}  # in order of arrival
        for env in envelopes:
            origins.setdefault(env.origin)
            handler = self.handlers.get(env.kind)
            if handler is not None:
                await handler(env, batch)
        if batch.noted:  # before the items reach the store, so whatever they leave there can be found again
            await asyncio.to_thread(self.node.store.note_partner_items, batch.noted)
        for origin in origins:
            if batch.statics.get(origin):  # name and ship type, where the partner's policy let them through
                await self.node.submit(f"partner:{origin}", batch.statics[origin])
            if batch.observations.get(origin):
                await self.node.ingest_observations(batch.observations[origin], origin)
            if batch.events.get(origin):
                await self.node.ingest_events(batch.events[origin], origin)

    def vet(self, envelopes: list[Envelope]) -> list[tuple[Envelope, str]]:
        """Chat items the node must refuse (a case or room not releasable to us, a message for a room we
        do not know or from a nation not in it): quarantined by the federation with the reason."""
        chat = [e for e in envelopes if e.kind in CHAT_KINDS]
        if not chat:
            return []
        refused = self.node.chat.vet([(e.origin, e.kind, e.payload) for e in chat])
        return [(chat[i], reason) for i, reason in sorted(refused.items())]

    async def _chat(self, env: Envelope, batch: _Batch) -> None:
        """A vetted case header, room or message: kept by the node's chat and pushed to its pages."""
        if env.kind == "case_message":  # deleted when the partner's retention for it ends
            batch.noted.append(PartnerItem(env.origin, env.seq, env.kind, str(env.payload.get("id"))))
        await self.node.chat.receive(env.origin, env.kind, env.payload)

    async def _position(self, env: Envelope, batch: _Batch) -> None:
        """A partner track state or sighting: into fusion, unless it contradicts our own track."""
        obs = envelope_observation(env)
        if obs is None:
            self.skipped += 1
            return
        if obs.mmsi and self._contradicts(obs, batch.own_tracks.get(obs.mmsi)):
            self.own_preferred += 1  # kept in the federation's received table, not in our track
            log.info("partner %s report of %s contradicts our own track: not merged", env.origin, obs.mmsi)
            return
        batch.observations.setdefault(env.origin, []).append(obs)
        static = _partner_static(env, obs)
        if static is not None and obs.mmsi not in batch.own_tracks:  # never rename a vessel we track
            batch.statics.setdefault(env.origin, []).append(static)
        batch.noted.append(
            PartnerItem(env.origin, env.seq, env.kind, obs.target_ref, obs.time.timestamp(), obs.lat, obs.lon)
        )

    async def _event(self, env: Envelope, batch: _Batch) -> None:
        """A partner event: stored under its origin, or folded into our own event of the same thing."""
        try:
            payload = env.payload
            if payload.get("withheld"):  # positions the partner's policy kept back: say so
                details = {**(payload.get("details") or {}), "withheld": list(payload["withheld"])}
                payload = {**payload, "details": details}
            event = Event.from_json(payload)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("partner event %s:%s unusable: %s", env.origin, env.seq, exc)
            self.skipped += 1
            return
        own = await asyncio.to_thread(self._own_same_event, event)
        if own is not None:  # we detected it too: one event, listing the partner as well
            await asyncio.to_thread(self.node.store.also_reported_by, own, env.origin)
            self.merged_into_own += 1
            return
        batch.events.setdefault(env.origin, []).append(event)
        batch.noted.append(PartnerItem(env.origin, env.seq, env.kind, event.event_id))

    def forget_derived(self, event_ids: list[str]) -> None:
        """Own events raised on partner data, past the shortest retention of their sources: deleted
        (through the store's partner-item bookkeeping, under our own origin)."""
        own = self.node.node_id
        items = [
            PartnerItem(
                own, -(int.from_bytes(hashlib.sha256(e.encode()).digest()[:7], "big") + 1), "event", e
            )
            for e in event_ids
        ]
        self.node.store.note_partner_items(items)
        self.node.store.forget_partner_items([(i.origin, i.seq, i.kind) for i in items])

    def forget(self, gone: list[tuple[str, int, str]]) -> None:
        """Partner items past their retention: deleted from the store, their tracks from the picture."""
        dropped = self.node.store.forget_partner_items(gone)
        self.node.drop_from_picture(dropped)
        if dropped:
            log.info("%d partner tracks past retention left the picture", len(dropped))


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))
