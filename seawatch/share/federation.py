"""Federation: this node's side of the regional picture, put together from parts with one job each.

- `share.sending.Sender`: policies per partner, sealed bundles into the outbox, the outbox to the broker,
  a changed policy re-applied to what is queued;
- `share.receiving.Receiver`: partner messages verified, validated (quarantine), kept durably, handed to
  the node (the sink);
- `share.origins.OriginLimits`: the originators' limits learned from received items, kept on re-share;
- `share.links.Links`: what each partner link did (link health);
- `share.kinds`: the item kinds and what each needs (fields in `share.fields`).
This module holds the policies, runs the loops (connect and send, receive per partner, retention) and
answers the API (status, link health).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from seawatch.errors import ShareError
from seawatch.model.event import Event
from seawatch.share.audit import AuditLog
from seawatch.share.kinds import ShareItem, as_share_item
from seawatch.share.links import Links, LinkStats
from seawatch.share.localdb import ShareDb
from seawatch.share.origins import OriginLimits
from seawatch.share.policy import SharePolicy
from seawatch.share.receiving import FederationSink, NullSink, Receiver
from seawatch.share.sending import Sender, jitter_secret
from seawatch.share.settings import FederationSettings
from seawatch.share.transport import Delivery, Transport, TransportError

__all__ = ["Federation", "FederationSink", "LinkStats", "NullSink", "as_share_item", "jitter_secret"]

log = logging.getLogger(__name__)


class Federation:
    def __init__(
        self,
        settings: FederationSettings,
        transport: Transport,
        sink: FederationSink | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        settings.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.node_id = settings.node_id
        self._transport = transport
        self.clock = clock  # may be replaced (tests): the parts read it through `_now`
        self.db = ShareDb(settings.db_path)
        self.audit = AuditLog(settings.db_path)
        self.policies: dict[str, SharePolicy] = dict(settings.policies)
        for partner, raw in self.db.saved_policies().items():
            if partner in settings.partner_keys:
                self.policies[partner] = SharePolicy.from_dict(partner, raw)
        self.stats: Counter[str] = Counter()
        self.origins = OriginLimits(self.node_id)
        self.links = Links(settings.partner_keys, self._now)
        self.sender = Sender(
            settings,
            self.db,
            self.audit,
            transport,
            self.policies,
            self.origins,
            self.links,
            self.stats,
            self._now,
            self._poke,
        )
        self.receiver = Receiver(
            settings,
            self.db,
            self.audit,
            transport,
            sink or NullSink(),
            self.origins,
            self.links,
            self.stats,
            self._now,
        )
        self.jitter_secret = self.sender.jitter_secret
        self._stop = asyncio.Event()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.paused_receive = False  # tests and the benchmark simulate a partner outage with this

    def _now(self) -> float:
        return self.clock()

    @property
    def transport(self) -> Transport:
        return self._transport

    @transport.setter
    def transport(self, transport: Transport) -> None:
        # the sender and the receiver hold the same connection: a swap (the benchmark) reaches both
        self._transport = self.sender.transport = self.receiver.transport = transport

    @property
    def sink(self) -> FederationSink:
        return self.receiver.sink

    @sink.setter
    def sink(self, sink: FederationSink) -> None:
        self.receiver.sink = sink

    # --- policy administration -------------------------------------------------------------------
    def policy_for(self, partner: str) -> SharePolicy:
        return self.sender.policy_for(partner)

    def set_policy(self, partner: str, raw: dict[str, Any], user: str | None = None) -> SharePolicy:
        if partner not in self.settings.partner_keys:
            raise ShareError(f"unknown partner {partner!r}: exchange keys first (settings file)")
        policy = SharePolicy.from_dict(partner, raw)
        old = self.policy_for(partner)
        self.db.save_policy(partner, policy.to_dict())
        self.policies[partner] = policy
        self.audit.record("policy_changed", partner=partner, user=user)
        self.reapply_queued(partner, user)
        if not policy.at_least_as_open_as(old):
            self.sender.purge_wanted.add(partner)  # the send loop drops what the broker still holds
            self._poke()
        return policy

    def reapply_queued(self, partner: str, user: str | None = None) -> int:
        return self.sender.reapply_queued(partner, user)

    async def purge_wanted(self) -> None:
        await self.sender.purge()

    # --- sending and receiving (see share.sending, share.receiving) --------------------------------
    def publish(self, item: ShareItem | Event | dict[str, Any]) -> int:
        """Queue one item for every partner allowed to see it; returns how many envelopes were queued."""
        return self.sender.publish_many([item])

    def publish_many(self, items: Iterable[ShareItem | Event | dict[str, Any]]) -> int:
        return self.sender.publish_many(items)

    async def send_due(self) -> int:
        return await self.sender.send_due()

    async def receive_from(self, origin: str, timeout_s: float = 0.5) -> int:
        return await self.receiver.receive_from(origin, timeout_s)

    async def handle(self, deliveries: list[Delivery]) -> int:
        return await self.receiver.handle(deliveries)

    async def merge_unmerged(self) -> int:
        return await self.receiver.merge_unmerged()

    # --- retention -------------------------------------------------------------------------------
    def expire(self) -> int:
        """Delete received items past their retention (and forget old sequence numbers but a floor)."""
        self.db.prune_seen(self.clock() - self.settings.seen_keep_s)
        gone = self.db.expire(self.clock())
        if gone:
            self.sink.forget(gone)
            self.audit.record_many(("expired", None, o, s, k, None, "retention") for o, s, k in gone)
        derived = self.db.expire_derived(self.clock())
        forget_derived = getattr(self.sink, "forget_derived", None)
        if derived and forget_derived is not None:
            forget_derived(derived)
            self.audit.record_many(
                ("expired", None, self.node_id, None, "event", None, f"derived from partner data: {e}")
                for e in derived
            )
        return len(gone) + len(derived)

    def note_derived(self, event_id: str, origins: list[str]) -> None:
        """An own event raised on these partners' data: it ends with their shortest retention."""
        shortest = self.origins.shortest_retention(origins)
        if shortest is not None:
            self.db.note_derived(event_id, self.clock() + shortest)

    # --- running ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the loops in the background (returns at once; connects when the broker is reachable)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._connect_and_send(), name="federation-send")]
        self._tasks += [
            asyncio.create_task(self._receive_loop(origin), name=f"federation-recv-{origin}")
            for origin in self.settings.partner_keys
        ]
        self._tasks.append(asyncio.create_task(self._retention_loop(), name="federation-retention"))

    async def stop(self) -> None:
        self._stop.set()
        if self._wake is not None:
            self._wake.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self.transport.close()

    def close(self) -> None:
        self.db.close()
        self.audit.close()

    def _poke(self) -> None:
        if self._loop is not None and self._wake is not None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is self._loop:
                self._wake.set()
            else:
                self._loop.call_soon_threadsafe(self._wake.set)

    async def _ensure_connected(self) -> bool:
        if self.transport.connected:
            return True
        try:
            await self.transport.start()
            log.info("federation %s connected", self.node_id)
            return True
        except TransportError as exc:
            log.debug("broker unreachable: %s", exc)
            return False

    async def _connect_and_send(self) -> None:
        assert self._wake is not None
        outgoing_ready = False
        while not self._stop.is_set():
            if not await self._ensure_connected():
                await asyncio.sleep(1.0)
                continue
            if not outgoing_ready:  # partners can bind to their consumers before our first item
                try:
                    await self.transport.ensure_outgoing(self.node_id, sorted(self.settings.partner_keys))
                    outgoing_ready = True
                except TransportError as exc:
                    log.debug("outgoing stream: %s", exc)
            try:
                sent = await self.send_due()
            except Exception:
                log.exception("send loop")
                sent = 0
            if sent:
                continue
            pause = 0.5 if self.db.outbox_size() else 0.2
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=pause)

    async def _receive_loop(self, origin: str) -> None:
        while not self._stop.is_set():
            if self.paused_receive or not self.transport.connected:
                await asyncio.sleep(0.2)
                continue
            try:
                await self.receive_from(origin)
            except Exception:
                log.exception("receive loop (%s)", origin)
                await asyncio.sleep(0.5)

    async def _retention_loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.receiver.retry_merge:
                    await self.merge_unmerged()
                self.expire()
                await self.sender.prune_sent()
            except Exception:
                log.exception("retention")
            await asyncio.sleep(5.0)

    # --- reports ---------------------------------------------------------------------------------
    async def link_health(self) -> list[dict[str, Any]]:
        """Per partner: what waits for it here and on the broker, when it last took something, what we
        last received from it, and the last error on the link."""
        waiting = await asyncio.to_thread(self.db.waiting_by_partner)
        out: list[dict[str, Any]] = []
        for partner in sorted(self.settings.partner_keys):
            lag = await self.transport.lag(self.node_id, partner) if self.transport.connected else None
            out.append(
                self.links.report(partner, self.transport.connected, waiting.get(partner, (0, None)), lag)
            )
        return out

    def status(self) -> dict[str, Any]:
        return {
            "node": self.node_id,
            "connected": self.transport.connected,
            "outbox": self.db.outbox_size(),
            "partners": sorted(self.settings.partner_keys),
            "stats": dict(self.stats),
        }
