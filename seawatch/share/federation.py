"""Federation: this node's side of the regional picture.

Sending: `publish(item)` (sync, cheap, never blocks on the network) applies each partner's policy,
wraps what passes in a signed envelope addressed to that partner alone, and writes it to the local
outbox (SQLite). A send loop drains the outbox to the broker and deletes rows only once the broker
has stored them, so a broker or link outage just lets the outbox grow until it comes back.

Receiving: one loop per partner pulls from that partner's stream through its durable consumer, verifies
each envelope (size, format, known origin, signature, sealed to us, subject matches origin), checks the
item against its kind's declaration (`share.fields`: types, ranges, sizes; a bad one is quarantined with
its reason, never handed to the node), drops replays of (origin, seq) already seen, and keeps the item
and marks it seen in one transaction (fsynced). Only then does it ack the broker; the item is handed to
the sink (the node: fusion as a `partner` sensor, events) and marked merged once the node committed it;
what a crash left unmerged is handed over again at start. Everything refused is audited with its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from seawatch.errors import ShareError
from seawatch.model.event import Event
from seawatch.share.audit import AuditLog
from seawatch.share.envelope import Envelope, Releasability, open_sealed, seal
from seawatch.share.fields import Invalid, validate
from seawatch.share.localdb import OutboxRow, ReceivedRow, ShareDb
from seawatch.share.policy import ITEM_KINDS, ShareItem, SharePolicy
from seawatch.share.settings import FederationSettings
from seawatch.share.transport import Delivery, Transport, TransportError, subject_for
from seawatch.timeutil import iso_utc

log = logging.getLogger(__name__)


class FederationSink(Protocol):
    """Where verified partner items go (the node). `merge` returns once they are safely kept; if it
    raises, the items are not acknowledged and come again."""

    async def merge(self, envelopes: list[Envelope]) -> None: ...

    def forget(self, gone: list[tuple[str, int, str]]) -> None: ...


class NullSink:
    """Keeps nothing beyond the federation's own received table."""

    async def merge(self, envelopes: list[Envelope]) -> None:
        return None

    def forget(self, gone: list[tuple[str, int, str]]) -> None:
        return None


def jitter_secret(key: Ed25519PrivateKey) -> bytes:
    """The node's secret for jitter: derived from its private key, so stable across restarts and
    unknown to every partner."""
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"seawatch-jitter-v1").derive(seed)


def as_share_item(item: ShareItem | Event | dict[str, Any]) -> ShareItem:
    if isinstance(item, ShareItem):
        return item
    if isinstance(item, Event):
        return ShareItem("event", item.to_json())
    if isinstance(item, dict) and "kind" in item and "data" in item:
        return ShareItem(str(item["kind"]), dict(item["data"]))
    raise ShareError(f"cannot share {type(item).__name__}")


@dataclass
class LinkStats:
    """What this node saw of one partner link (the broker's side is asked for in `link_health`)."""

    last_sent_t: float | None = None  # the broker confirmed an item for the partner
    last_received_t: float | None = None  # an item from the partner was kept
    last_error: str | None = None
    last_error_t: float | None = None
    received: int = 0
    refused: int = 0


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
        self.transport = transport
        self.sink: FederationSink = sink or NullSink()
        self.clock = clock
        self.db = ShareDb(settings.db_path)
        self.audit = AuditLog(settings.db_path)
        self.policies: dict[str, SharePolicy] = dict(settings.policies)
        for partner, raw in self.db.saved_policies().items():
            if partner in settings.partner_keys:
                self.policies[partner] = SharePolicy.from_dict(partner, raw)
        self.stats: Counter[str] = Counter()
        self.jitter_secret = jitter_secret(settings.private_key)
        self._reshare: dict[str, bool] = {}
        self._origin_retention: dict[str, float] = {}  # shortest retention an origin gave us
        self._withheld_audited: dict[tuple[str, tuple[str, ...]], float] = {}
        self._stop = asyncio.Event()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._links: dict[str, LinkStats] = {p: LinkStats() for p in settings.partner_keys}
        self._merge_lock = asyncio.Lock()
        self._purge_wanted: set[str] = set()
        self._retry_merge = True  # at start: whatever a crash left between keeping and merging
        self.paused_receive = False  # tests and the benchmark simulate a partner outage with this

    # --- policy administration -------------------------------------------------------------------
    def policy_for(self, partner: str) -> SharePolicy:
        return self.policies.get(partner) or SharePolicy(partner=partner)

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
            self._purge_wanted.add(partner)  # the send loop drops what the broker still holds for it
            self._poke()
        return policy

    def reapply_queued(self, partner: str, user: str | None = None) -> int:
        """Apply the partner's current policy to everything still in the outbox for it: items it no
        longer allows are withheld (and audited), the rest re-sealed, held at least the new delay.
        Returns how many items were withheld."""
        policy = self.policy_for(partner)
        deletes: list[int] = []
        updates: list[tuple[bytes, int, int, float, bytes, int]] = []
        withheld: list[tuple[Any, ...]] = []
        for row in self.db.queued_for(partner):
            if row.items is None:  # queued by an older version without plaintext: cannot check, drop
                deletes.append(row.id)
                withheld += [
                    ("withheld", partner, self.node_id, q, row.kind, user, "policy changed (unverifiable)")
                    for q in range(row.seq, row.seq + row.count)
                ]
                continue
            kept: list[Envelope] = []
            for seq, data in row.items:
                shared = policy.apply(ShareItem(row.kind, data), self.jitter_secret)
                if shared is None:
                    withheld.append(
                        ("withheld", partner, self.node_id, seq, row.kind, user, "policy changed")
                    )
                    continue
                stamp = datetime.fromtimestamp(row.created_t or self.clock(), tz=UTC)
                rel = Releasability((partner,), policy.may_reshare, policy.retention_s)
                kept.append(Envelope(self.node_id, int(seq), stamp, row.kind, rel, shared.data))
            if not kept:
                deletes.append(row.id)
                continue
            wire = seal(kept, self.settings.private_key, partner, self.settings.partner_keys[partner])
            not_before = max(row.not_before, (row.created_t or 0.0) + policy.delay_s)
            plain = orjson.dumps([[e.seq, e.payload] for e in kept])
            updates.append((wire, kept[0].seq, len(kept), not_before, plain, row.id))
        if deletes or updates:
            self.db.requeue(deletes, updates)
        if withheld:
            self.audit.record_many(withheld)
            self.stats["withheld"] += len(withheld)
        return len(withheld)

    async def purge_wanted(self) -> None:
        """Drop from the broker what it still holds, undelivered, for partners whose policy narrowed."""
        for partner in sorted(self._purge_wanted):
            try:
                purged = await self.transport.purge_partner(self.node_id, partner)
            except TransportError as exc:
                log.info("purge for %s postponed: %s", partner, exc)
                continue
            self._purge_wanted.discard(partner)
            reason = f"policy narrowed: {purged} undelivered messages purged from the broker"
            await asyncio.to_thread(
                self.audit.record_many, [("withheld", partner, self.node_id, None, None, None, reason)]
            )

    # --- sending ---------------------------------------------------------------------------------
    def publish(self, item: ShareItem | Event | dict[str, Any]) -> int:
        """Queue one item for every partner allowed to see it; returns how many envelopes were queued."""
        return self.publish_many([item])

    def publish_many(self, items: Iterable[ShareItem | Event | dict[str, Any]]) -> int:
        now = self.clock()
        planned: list[tuple[str, ShareItem, SharePolicy]] = []
        withheld: list[tuple[Any, ...]] = []
        for raw in items:
            item = as_share_item(raw)
            if item.kind not in ITEM_KINDS:
                raise ShareError(f"unknown item kind {item.kind!r}")
            foreign = self._foreign_origins(item)
            for partner, policy in self.policies.items():
                shared = policy.apply(item, self.jitter_secret)
                if shared is None:
                    continue
                blocked = [o for o in foreign if o == partner or not self._reshare.get(o, False)]
                if not blocked and foreign:
                    policy = self._originators_limits(policy, foreign)
                if blocked:
                    self.stats["withheld"] += 1
                    if self._audit_withheld_now(partner, blocked, now):
                        withheld.append(
                            ("withheld", partner, None, None, item.kind, None, f"no re-share of {blocked}")
                        )
                    continue
                planned.append((partner, shared, policy))
        if withheld:
            self.audit.record_many(withheld)
        if not planned:
            return 0
        return self._enqueue_bundles(planned, now)

    def _enqueue_bundles(self, planned: list[tuple[str, ShareItem, SharePolicy]], now: float) -> int:
        """Group per (partner, kind, delay) in order, cut into bundles, number, sign and queue them."""
        groups: dict[tuple[str, str, float], list[tuple[ShareItem, SharePolicy, int]]] = {}
        oversized: list[tuple[Any, ...]] = []
        limit = self.settings.max_item_bytes
        for partner, shared, policy in planned:
            size = len(orjson.dumps(shared.data))
            if size > limit:
                oversized.append(("withheld", partner, None, None, shared.kind, None, f"oversized: {size} B"))
                continue
            groups.setdefault((partner, shared.kind, policy.delay_s), []).append((shared, policy, size))
        if oversized:
            self.audit.record_many(oversized)
            self.stats["withheld"] += len(oversized)
        bundles: list[tuple[str, str, float, list[tuple[ShareItem, SharePolicy]]]] = []
        max_items, max_bytes = self.settings.bundle_max_items, self.settings.max_payload_bytes // 2
        for (partner, kind, delay_s), members in groups.items():
            current: list[tuple[ShareItem, SharePolicy]] = []
            used = 0
            for shared, policy, size in members:
                if current and (len(current) >= max_items or used + size > max_bytes):
                    bundles.append((partner, kind, delay_s, current))
                    current, used = [], 0
                current.append((shared, policy))
                used += size + 200  # envelope overhead
            if current:
                bundles.append((partner, kind, delay_s, current))
        if not bundles:
            return 0
        total = sum(len(b[3]) for b in bundles)
        seq = self.db.next_seqs(total).start
        stamp = datetime.fromtimestamp(now, tz=UTC)
        rows = []
        for partner, kind, delay_s, bundle in bundles:
            first = seq
            envelopes = []
            for shared, policy in bundle:
                envelopes.append(
                    Envelope(
                        origin=self.node_id,
                        seq=seq,
                        time=stamp,
                        kind=shared.kind,
                        releasability=Releasability((partner,), policy.may_reshare, policy.retention_s),
                        payload=shared.data,
                    )
                )
                seq += 1
            wire = seal(envelopes, self.settings.private_key, partner, self.settings.partner_keys[partner])
            plain = orjson.dumps([[e.seq, e.payload] for e in envelopes])
            rows.append(
                (
                    partner,
                    first,
                    len(envelopes),
                    kind,
                    subject_for(self.node_id, partner, kind),
                    wire,
                    now + delay_s,
                    plain,
                    now,
                )
            )
        self.db.enqueue(rows)
        self.stats["enqueued"] += total
        self._poke()
        return total

    def _originators_limits(self, policy: SharePolicy, origins: list[str]) -> SharePolicy:
        """A re-share keeps the most restrictive of the originators' releasability and our policy:
        the shortest retention any of them gave us."""
        kept = [self._origin_retention[o] for o in origins if o in self._origin_retention]
        if not kept or min(kept) >= policy.retention_s:
            return policy
        return dataclasses.replace(policy, retention_s=min(kept))

    def _audit_withheld_now(self, partner: str, blocked: list[str], now: float) -> bool:
        """One audit row per (partner, blocked origins) and minute: the count is in `stats`."""
        key = (partner, tuple(blocked))
        if now - self._withheld_audited.get(key, -1e18) < 60.0:
            return False
        self._withheld_audited[key] = now
        return True

    def _foreign_origins(self, item: ShareItem) -> list[str]:
        nodes = item.data.get("nodes") or ()
        origin = item.data.get("origin_node")
        found = {str(n) for n in nodes} | ({str(origin)} if origin else set())
        return sorted(found - {self.node_id})

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

    async def send_due(self) -> int:
        """Push what is due from the outbox; returns how many the broker confirmed."""
        if self._purge_wanted and self.transport.connected:
            await self.purge_wanted()
        rows = await asyncio.to_thread(self.db.due, self.clock(), self.settings.publish_batch)
        if not rows:
            return 0
        try:
            await self.transport.ensure_outgoing(self.node_id, sorted(self.settings.partner_keys))
        except TransportError as exc:
            log.debug("outgoing stream: %s", exc)
            return 0
        results = await asyncio.gather(
            *(self.transport.publish(r.subject, r.wire, f"{self.node_id}:{r.seq}+{r.count}") for r in rows),
            return_exceptions=True,
        )
        sent = [r for r, res in zip(rows, results, strict=True) if res is None]
        failed = [res for res in results if res is not None]
        if sent:
            await asyncio.to_thread(self._mark_sent, sent)
        if failed:
            self.stats["publish_failures"] += len(failed)
            for r, res in zip(rows, results, strict=True):
                if res is not None:
                    self._note_error(r.partner, f"publish: {res}")
            log.info("%d publishes failed (kept in outbox): %s", len(failed), failed[0])
        return len(sent)

    def _mark_sent(self, sent: list[OutboxRow]) -> None:
        self.db.mark_sent(
            (r.id for r in sent),
            [
                ("sent", r.partner, self.node_id, seq, r.kind, None, None)
                for r in sent
                for seq in range(r.seq, r.seq + r.count)
            ],
        )
        self.stats["sent"] += sum(r.count for r in sent)
        now = self.clock()
        for r in sent:
            self._link(r.partner).last_sent_t = now

    # --- receiving -------------------------------------------------------------------------------
    async def receive_from(self, origin: str, timeout_s: float = 0.5) -> int:
        """One pull from `origin`'s stream; returns how many new items were merged."""
        deliveries = await self.transport.fetch(origin, self.node_id, self.settings.fetch_batch, timeout_s)
        if not deliveries:
            return 0
        merged = await self.handle(deliveries)
        for d in deliveries:
            try:
                await d.ack()
            except Exception as exc:  # a lost ack means a redelivery, which dedupe absorbs
                log.debug("ack: %s", exc)
        return merged

    async def handle(self, deliveries: list[Delivery]) -> int:
        """Verify, validate, dedupe and keep a batch of deliveries (durably: the caller may ack once this
        returns), then hand the fresh items to the node. Signature checks and SQLite work run in a
        worker thread, off the node's event loop."""
        fresh, rejected = await asyncio.to_thread(self._check, deliveries)
        await asyncio.to_thread(self._audit_received, fresh, rejected)
        if fresh:
            await self._merge(fresh)
        return len(fresh)

    async def _merge(self, envelopes: list[Envelope]) -> None:
        """Hand kept items to the node; on failure they stay unmerged and are retried (never lost).
        One merge at a time, each skipping what another already handed over, so a retry racing a
        normal merge never hands an item over twice."""
        async with self._merge_lock:
            await self._merge_locked(envelopes)

    async def _merge_locked(self, envelopes: list[Envelope]) -> None:
        keys = [(e.origin, e.seq) for e in envelopes]
        done = await asyncio.to_thread(self.db.merged_among, keys)
        todo = [e for e in envelopes if (e.origin, e.seq) not in done]
        if not todo:
            return
        try:
            await self.sink.merge(todo)
            await asyncio.to_thread(self.db.mark_merged, [(e.origin, e.seq) for e in todo])
        except Exception:
            self.stats["merge_failures"] += 1
            self._retry_merge = True
            log.exception("node did not take %d partner items (kept, retried)", len(todo))

    async def merge_unmerged(self) -> int:
        """Hand the node what was kept and acknowledged but not taken (a crash or a failed merge)."""
        async with self._merge_lock:
            self._retry_merge = False
            rows = await asyncio.to_thread(self.db.unmerged)
            if not rows:
                return 0
            envelopes = [
                Envelope(
                    r.origin,
                    r.seq,
                    datetime.fromtimestamp(r.received_t, tz=UTC),
                    r.kind,
                    Releasability((self.node_id,), r.may_reshare, r.expires_t - r.received_t),
                    r.payload,
                )
                for r in rows
            ]
            await self._merge_locked(envelopes)
            return len(envelopes)

    def _link(self, partner: str) -> LinkStats:
        return self._links.setdefault(partner, LinkStats())

    def _note_error(self, partner: str | None, error: str) -> None:
        if partner and partner in self.settings.partner_keys:
            link = self._link(partner)
            link.last_error, link.last_error_t = error[:300], self.clock()

    def _audit_received(self, fresh: list[Envelope], rejected: list[tuple[Any, ...]]) -> None:
        now = self.clock()
        for env in fresh:
            link = self._link(env.origin) if env.origin in self.settings.partner_keys else None
            if link is not None:
                link.last_received_t = now
                link.received += 1
        for row in rejected:
            origin = row[2]
            if origin in self.settings.partner_keys:
                self._link(origin).refused += 1
                self._note_error(origin, f"{row[0]}: {row[-1]}")
        if fresh:  # their `received` audit rows were written with them (ShareDb.accept)
            self.stats["received"] += len(fresh)
        if rejected:
            self.audit.record_many(r for r in rejected if r[0] != "quarantined")  # those: with them too
            for row in rejected:
                self.stats[str(row[0])] += 1
            log.warning("refused %d shared items, first: %s", len(rejected), rejected[0][-1])

    def _check(self, deliveries: list[Delivery]) -> tuple[list[Envelope], list[tuple[Any, ...]]]:
        now = self.clock()
        accepted: list[Envelope] = []
        bad: dict[tuple[str, int], str] = {}  # verified but failing its kind's declaration: quarantine
        rejected: list[tuple[Any, ...]] = []
        for d in deliveries:
            subject_origin = d.subject.split(".")[1] if d.subject.count(".") >= 3 else None
            try:
                envelopes = open_sealed(
                    d.data,
                    self.settings.partner_keys,
                    self.settings.max_payload_bytes,
                    self.node_id,
                    self.settings.private_key,
                )
            except ShareError as exc:
                rejected.append(("rejected", None, subject_origin, None, None, None, str(exc)))
                continue
            for env in envelopes:
                reason = self._refuse(env, subject_origin)
                if reason:
                    rejected.append(("rejected", None, env.origin, env.seq, env.kind, None, reason))
                    continue
                try:
                    validate(env.kind, env.payload)
                except Invalid as exc:
                    bad[(env.origin, env.seq)] = str(exc)
                accepted.append(env)
        rows = [
            ReceivedRow(
                e.origin,
                e.seq,
                e.kind,
                now,
                now + max(0.0, min(e.releasability.retention_s, 10 * 365 * 86400.0)),
                e.releasability.may_reshare,
                e.payload,
                bad.get((e.origin, e.seq)),
            )
            for e in accepted
        ]
        fresh_flags = self.db.accept(rows) if rows else []
        fresh: list[Envelope] = []
        for env, is_new in zip(accepted, fresh_flags, strict=True):
            reason = bad.get((env.origin, env.seq))
            if is_new and reason is not None:
                rejected.append(("quarantined", None, env.origin, env.seq, env.kind, None, reason))
            elif is_new:
                fresh.append(env)
                # conservative: one item from an origin that may not be passed on blocks re-sharing
                # anything of that origin's (we cannot tell which partner item a fused track holds)
                self._reshare[env.origin] = (
                    self._reshare.get(env.origin, True) and env.releasability.may_reshare
                )
                self._origin_retention[env.origin] = min(
                    self._origin_retention.get(env.origin, float("inf")), env.releasability.retention_s
                )
            else:
                rejected.append(("rejected", None, env.origin, env.seq, env.kind, None, "replay of seen seq"))
        return fresh, rejected

    def _refuse(self, env: Envelope, subject_origin: str | None) -> str | None:
        """Why a verified envelope must still be refused (None when it is fine)."""
        if env.origin == self.node_id:
            return "own origin"
        if subject_origin != env.origin:
            return f"origin {env.origin!r} on {subject_origin!r}'s subject"
        if self.node_id not in env.releasability.recipients:
            return f"not addressed to {self.node_id} ({env.releasability.recipients})"
        if env.kind not in ITEM_KINDS:
            return f"unknown kind {env.kind!r}"
        return None

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
        kept = [self._origin_retention[o] for o in origins if o in self._origin_retention]
        if kept:
            self.db.note_derived(event_id, self.clock() + min(kept))

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
                if self._retry_merge:
                    await self.merge_unmerged()
                self.expire()
            except Exception:
                log.exception("retention")
            await asyncio.sleep(5.0)

    async def link_health(self) -> list[dict[str, Any]]:
        """Per partner: what waits for it here and on the broker, when it last took something, what we
        last received from it, and the last error on the link."""
        waiting = await asyncio.to_thread(self.db.waiting_by_partner)
        now = self.clock()
        out: list[dict[str, Any]] = []
        for partner in sorted(self.settings.partner_keys):
            link = self._link(partner)
            lag = await self.transport.lag(self.node_id, partner) if self.transport.connected else None
            queued, oldest = waiting.get(partner, (0, None))
            out.append(
                {
                    "partner": partner,
                    "connected": self.transport.connected,
                    "outbox_items": queued,
                    "outbox_oldest_age_s": None if oldest is None else max(0.0, now - oldest),
                    "broker_waiting_messages": None if lag is None else lag.waiting,
                    "broker_unacked_messages": None if lag is None else lag.unacked,
                    "last_sent": None if link.last_sent_t is None else iso_utc(link.last_sent_t),
                    "last_received": None if link.last_received_t is None else iso_utc(link.last_received_t),
                    "received": link.received,
                    "refused": link.refused,
                    "last_error": link.last_error,
                    "last_error_at": None if link.last_error_t is None else iso_utc(link.last_error_t),
                }
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
