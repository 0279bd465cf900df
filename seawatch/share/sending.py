"""The sending side of the federation: policies applied per partner, bundles sealed and queued in the
outbox, the outbox drained to the broker, and a changed policy re-applied to what is still queued.

`publish_many` is synchronous and cheap (never waits on the network): each partner's policy is applied,
what passes is wrapped in signed envelopes sealed to that partner alone and written to the local outbox
(SQLite, fsynced). `send_due` pushes what is due and deletes rows only once the broker stored them, so
an outage just lets the outbox grow until the broker comes back."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from seawatch.errors import ShareError
from seawatch.model.event import Event
from seawatch.share.audit import AuditLog
from seawatch.share.bundling import Planned, cut_bundles, msg_id, seal_bundle
from seawatch.share.kinds import ITEM_KINDS, ShareItem, as_share_item
from seawatch.share.links import Links
from seawatch.share.localdb import OutboxRow, ShareDb
from seawatch.share.origins import OriginLimits
from seawatch.share.policy import SharePolicy
from seawatch.share.settings import FederationSettings
from seawatch.share.transport import Transport, TransportError, subject_for

log = logging.getLogger(__name__)

SENT_KEEP_S = 15 * 86400.0  # past the broker's 14 days a sent item cannot be purged any more


def jitter_secret(key: Ed25519PrivateKey) -> bytes:
    """The node's secret for jitter: derived from its private key, so stable across restarts and
    unknown to every partner."""
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"seawatch-jitter-v1").derive(seed)


class Sender:
    def __init__(
        self,
        settings: FederationSettings,
        db: ShareDb,
        audit: AuditLog,
        transport: Transport,
        policies: Mapping[str, SharePolicy],
        origins: OriginLimits,
        links: Links,
        stats: Counter[str],
        clock: Callable[[], float],
        wake: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.node_id = settings.node_id
        self.db = db
        self.audit = audit
        self.transport = transport
        self.policies = policies  # the federation's live mapping: a changed policy applies at once
        self.origins = origins
        self.links = links
        self.stats = stats
        self.clock = clock
        self.wake = wake
        self.jitter_secret = jitter_secret(settings.private_key)
        self.purge_wanted: set[str] = set()
        self._withheld_audited: dict[tuple[str, str], float] = {}

    def policy_for(self, partner: str) -> SharePolicy:
        return self.policies.get(partner) or SharePolicy(partner=partner)

    # --- planning: one item for one partner -------------------------------------------------------
    def plan(self, item: ShareItem, partner: str, policy: SharePolicy) -> Planned | str | None:
        """The item for `partner` (None: its policy does not cover it; a str: withheld, and why)."""
        if not policy.allows_kind(item) or not policy.in_area(item):
            return None
        foreign = self.origins.foreign_origins(item)
        if not foreign:
            shared = policy.apply(item, self.jitter_secret, gate=False)
            if shared is None:
                return None
            return Planned(partner, item, shared, policy, self._onward(policy, ()))
        blocked = self.origins.blocked(partner, foreign)
        if blocked:
            return f"no re-share of {blocked}"
        upstream = self.origins.upstream(foreign)
        passed: ShareItem | None = item
        for limits in upstream:  # the originators' areas, fields and precision first
            passed = SharePolicy.from_limits(partner, limits).apply(passed, gate=False) if passed else None
        if passed is None:
            return f"outside the areas of {foreign}"
        theirs_only = self.node_id not in (item.data.get("nodes") or ())
        effective = self.origins.limit(policy, foreign, theirs_only)
        shared = effective.apply(passed, self.jitter_secret, gate=False)
        if shared is None:
            return None
        return Planned(partner, item, shared, effective, self._onward(effective, upstream))

    def _onward(
        self, policy: SharePolicy, upstream: tuple[dict[str, Any], ...]
    ) -> tuple[dict[str, Any], ...]:
        """The limits a partner that may re-share must keep: every upstream node's, then ours."""
        if not policy.may_reshare:
            return ()
        longest = max((p.delay_s for p in self.policies.values()), default=0.0)
        return (*upstream, policy.onward_limits(self.node_id, longest))

    # --- queueing ----------------------------------------------------------------------------------
    def publish_many(self, items: Iterable[ShareItem | Event | dict[str, Any]]) -> int:
        """Queue each item for every partner allowed to see it; returns how many envelopes were queued."""
        now = self.clock()
        planned: list[Planned] = []
        withheld: list[tuple[Any, ...]] = []
        for raw in items:
            item = as_share_item(raw)
            if item.kind not in ITEM_KINDS:
                raise ShareError(f"unknown item kind {item.kind!r}")
            for partner, policy in self.policies.items():
                plan = self.plan(item, partner, policy)
                if isinstance(plan, str):
                    self.stats["withheld"] += 1
                    if self._audit_withheld_now(partner, plan, now):
                        withheld.append(("withheld", partner, None, None, item.kind, None, plan))
                elif plan is not None:
                    planned.append(plan)
        if withheld:
            self.audit.record_many(withheld)
        if not planned:
            return 0
        return self._enqueue_bundles(planned, now)

    def _enqueue_bundles(self, planned: list[Planned], now: float) -> int:
        """Group per (partner, kind, delay) in order, cut into bundles, number, sign and queue them."""
        bundles, oversized = cut_bundles(
            planned,
            self.settings.max_item_bytes,
            self.settings.bundle_max_items,
            self.settings.max_payload_bytes // 2,
        )
        if oversized:
            self.audit.record_many(
                [
                    ("withheld", partner, None, None, kind, None, f"oversized: {size} B")
                    for partner, kind, size in oversized
                ]
            )
            self.stats["withheld"] += len(oversized)
        if not bundles:
            return 0
        total = sum(len(b[3]) for b in bundles)
        seq = self.db.next_seqs(total).start
        rows = []
        for partner, kind, delay_s, bundle in bundles:
            numbered = list(zip(range(seq, seq + len(bundle)), bundle, strict=True))
            seq += len(bundle)
            wire, plain = seal_bundle(self.settings, partner, numbered, now)
            rows.append(
                (
                    partner,
                    numbered[0][0],
                    len(numbered),
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
        self.wake()
        return total

    def _audit_withheld_now(self, partner: str, reason: str, now: float) -> bool:
        """One audit row per (partner, reason) and minute: the count is in `stats`."""
        key = (partner, reason)
        if now - self._withheld_audited.get(key, -1e18) < 60.0:
            return False
        self._withheld_audited[key] = now
        return True

    # --- a changed policy --------------------------------------------------------------------------
    def _replan(
        self, partner: str, kind: str, items: list[list[Any]], original: bool, user: str | None, why: str
    ) -> tuple[list[tuple[int, Planned]], list[tuple[Any, ...]]]:
        """Items queued or sent for `partner`, planned again under its current policy: (kept, audit rows
        of the withheld). Rows from before originals were kept hold the policy's output: the new policy
        is applied to that without jitter (it was jittered already)."""
        policy = self.policy_for(partner)
        kept: list[tuple[int, Planned]] = []
        withheld: list[tuple[Any, ...]] = []
        for seq, data in items:
            item = ShareItem(kind, data)
            if original:
                plan = self.plan(item, partner, policy)
            else:
                shared = dataclasses.replace(policy, jitter_m=0.0).apply(item)
                plan = None if shared is None else Planned(partner, shared, shared, policy, ())
            if isinstance(plan, Planned):
                kept.append((int(seq), plan))
            else:
                reason = why if plan is None else f"{why}: {plan}"
                withheld.append(("withheld", partner, self.node_id, int(seq), kind, user, reason))
        return kept, withheld

    def reapply_queued(self, partner: str, user: str | None = None) -> int:
        """Apply the partner's current policy to everything still in the outbox for it: items it no
        longer allows are withheld (and audited), the rest re-sealed, held at least the new delay.
        Returns how many items were withheld."""
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
            kept, dropped = self._replan(partner, row.kind, row.items, row.original, user, "policy changed")
            withheld += dropped
            if not kept:
                deletes.append(row.id)
                continue
            created = row.created_t or self.clock()
            wire, plain = seal_bundle(self.settings, partner, kept, created)
            delay = max(plan.policy.delay_s for _, plan in kept)
            not_before = max(row.not_before, (row.created_t or 0.0) + delay)
            updates.append((wire, kept[0][0], len(kept), not_before, plain, row.id))
        if deletes or updates:
            self.db.requeue(deletes, updates)
        if withheld:
            self.audit.record_many(withheld)
            self.stats["withheld"] += len(withheld)
        return len(withheld)

    async def purge(self) -> None:
        """For partners whose policy narrowed: drop from the broker what it still holds that the partner
        has not acknowledged, then queue again, from the sent table, what the new policy still allows
        (same sequence numbers: a copy the partner did take is refused there as a replay); only what the
        new policy withholds is withheld, and audited."""
        for partner in sorted(self.purge_wanted):
            lag = await self.transport.lag(self.node_id, partner)
            if lag is None:
                log.info("purge for %s postponed: no consumer info", partner)
                continue
            try:
                purged = await self.transport.purge_partner(self.node_id, partner)
            except TransportError as exc:
                log.info("purge for %s postponed: %s", partner, exc)
                continue
            self.purge_wanted.discard(partner)
            withheld = await asyncio.to_thread(
                self._resend_after_purge, partner, lag.last_ack_stream_seq, purged
            )
            self.stats["withheld"] += withheld

    def _resend_after_purge(self, partner: str, floor: int, purged: int) -> int:
        rows: list[tuple[Any, ...]] = []
        audit: list[tuple[Any, ...]] = []
        requeued = 0
        now = self.clock()
        for sent in self.db.sent_after(partner, floor):
            if sent.items is None:
                continue
            kept, dropped = self._replan(
                partner, sent.kind, sent.items, sent.original, None, "policy narrowed: purged from the broker"
            )
            audit += dropped
            if not kept:
                continue
            created = sent.created_t or now
            wire, plain = seal_bundle(self.settings, partner, kept, created)
            delay = max(plan.policy.delay_s for _, plan in kept)
            subject = subject_for(self.node_id, partner, sent.kind)
            rows.append(
                (partner, kept[0][0], len(kept), sent.kind, subject, wire, created + delay, plain, created)
            )
            requeued += len(kept)
        summary = (
            f"policy narrowed: {purged} undelivered messages purged from the broker,"
            f" {requeued} items still allowed queued again, {len(audit)} withheld"
        )
        audit.append(("withheld", partner, self.node_id, None, None, None, summary))
        self.db.resend(partner, floor, rows, audit)
        if rows:
            self.wake()
        return len(audit) - 1

    # --- to the broker -----------------------------------------------------------------------------
    async def send_due(self) -> int:
        """Push what is due from the outbox; returns how many the broker confirmed."""
        if self.purge_wanted and self.transport.connected:
            await self.purge()
        rows = await asyncio.to_thread(self.db.due, self.clock(), self.settings.publish_batch)
        if not rows:
            return 0
        try:
            await self.transport.ensure_outgoing(self.node_id, sorted(self.settings.partner_keys))
        except TransportError as exc:
            log.debug("outgoing stream: %s", exc)
            return 0
        results = await asyncio.gather(
            *(self.transport.publish(r.subject, r.wire, msg_id(self.node_id, r)) for r in rows),
            return_exceptions=True,
        )
        sent = [(r, res) for r, res in zip(rows, results, strict=True) if isinstance(res, int)]
        failed = [res for res in results if not isinstance(res, int)]
        if sent:
            await asyncio.to_thread(self._mark_sent, sent)
        if failed:
            self.stats["publish_failures"] += len(failed)
            for r, res in zip(rows, results, strict=True):
                if not isinstance(res, int):
                    self.links.note_error(r.partner, f"publish: {res}")
            log.info("%d publishes failed (kept in outbox): %s", len(failed), failed[0])
        return len(sent)

    def _mark_sent(self, sent: list[tuple[OutboxRow, int]]) -> None:
        self.db.mark_sent(
            [(r.id, stream_seq) for r, stream_seq in sent],
            [
                ("sent", r.partner, self.node_id, seq, r.kind, None, None)
                for r, _ in sent
                for seq in range(r.seq, r.seq + r.count)
            ],
            self.clock(),
        )
        self.stats["sent"] += sum(r.count for r, _ in sent)
        self.links.note_sent(r.partner for r, _ in sent)

    async def prune_sent(self) -> None:
        """Forget the sent items each partner acknowledged (they cannot be purged any more)."""
        if not self.transport.connected:
            return
        oldest = self.clock() - SENT_KEEP_S
        for partner in sorted(self.settings.partner_keys):
            lag = await self.transport.lag(self.node_id, partner)
            if lag is not None:
                await asyncio.to_thread(self.db.prune_sent, partner, lag.last_ack_stream_seq, oldest)
