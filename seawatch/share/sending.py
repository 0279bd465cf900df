"""The sending side of the federation: policies applied per partner, bundles sealed and queued in the
outbox, the outbox drained to the broker, and a changed policy re-applied to what is still queued.

`publish_many` is synchronous and cheap (never waits on the network): each partner's policy is applied,
what passes is wrapped in signed envelopes sealed to that partner alone and written to the local outbox
(SQLite, fsynced). `send_due` pushes what is due and deletes rows only once the broker stored them, so
an outage just lets the outbox grow until the broker comes back."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from seawatch.errors import ShareError
from seawatch.model.event import Event
from seawatch.share.audit import AuditLog
from seawatch.share.envelope import Envelope, Releasability, seal
from seawatch.share.kinds import ITEM_KINDS, ShareItem, as_share_item
from seawatch.share.links import Links
from seawatch.share.localdb import OutboxRow, ShareDb
from seawatch.share.origins import OriginLimits
from seawatch.share.policy import SharePolicy
from seawatch.share.settings import FederationSettings
from seawatch.share.transport import Transport, TransportError, subject_for

log = logging.getLogger(__name__)

Planned = tuple[str, ShareItem, SharePolicy]  # partner, the item as it may see it, the policy that applied


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
        self._withheld_audited: dict[tuple[str, tuple[str, ...]], float] = {}

    def policy_for(self, partner: str) -> SharePolicy:
        return self.policies.get(partner) or SharePolicy(partner=partner)

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
            foreign = self.origins.foreign_origins(item)
            for partner, policy in self.policies.items():
                shared = policy.apply(item, self.jitter_secret)
                if shared is None:
                    continue
                blocked = self.origins.blocked(partner, foreign)
                if blocked:
                    self.stats["withheld"] += 1
                    if self._audit_withheld_now(partner, blocked, now):
                        withheld.append(
                            ("withheld", partner, None, None, item.kind, None, f"no re-share of {blocked}")
                        )
                    continue
                if foreign:
                    policy = self.origins.limit(policy, foreign)
                planned.append((partner, shared, policy))
        if withheld:
            self.audit.record_many(withheld)
        if not planned:
            return 0
        return self._enqueue_bundles(planned, now)

    def _enqueue_bundles(self, planned: list[Planned], now: float) -> int:
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
        self.wake()
        return total

    def _audit_withheld_now(self, partner: str, blocked: list[str], now: float) -> bool:
        """One audit row per (partner, blocked origins) and minute: the count is in `stats`."""
        key = (partner, tuple(blocked))
        if now - self._withheld_audited.get(key, -1e18) < 60.0:
            return False
        self._withheld_audited[key] = now
        return True

    # --- a changed policy --------------------------------------------------------------------------
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

    async def purge(self) -> None:
        """Drop from the broker what it still holds, undelivered, for partners whose policy narrowed."""
        for partner in sorted(self.purge_wanted):
            try:
                purged = await self.transport.purge_partner(self.node_id, partner)
            except TransportError as exc:
                log.info("purge for %s postponed: %s", partner, exc)
                continue
            self.purge_wanted.discard(partner)
            reason = f"policy narrowed: {purged} undelivered messages purged from the broker"
            await asyncio.to_thread(
                self.audit.record_many, [("withheld", partner, self.node_id, None, None, None, reason)]
            )

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
                    self.links.note_error(r.partner, f"publish: {res}")
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
        self.links.note_sent(r.partner for r in sent)
