"""The receiving side of the federation: partner messages verified, validated, kept and handed over.

Each delivery is checked (size, format, known origin, signature, sealed to us, subject matching the
origin), each item against its kind's declaration (`share.fields`: types, ranges, sizes; a bad one is
quarantined with its reason, never handed to the node); replays of an (origin, seq) already seen are
dropped. The item is kept and marked seen in one transaction (fsynced) and only then may the caller ack
the broker; it is handed to the sink (the node) and marked merged once the node committed it. What a
crash left unmerged is handed over again (`merge_unmerged`). Everything refused is audited with why."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from seawatch.errors import ShareError
from seawatch.share.audit import AuditLog
from seawatch.share.envelope import Envelope, Releasability, open_sealed
from seawatch.share.fields import Invalid, validate
from seawatch.share.kinds import ITEM_KINDS
from seawatch.share.links import Links
from seawatch.share.localdb import ReceivedRow, ShareDb
from seawatch.share.origins import OriginLimits
from seawatch.share.settings import FederationSettings
from seawatch.share.transport import Delivery, Transport

log = logging.getLogger(__name__)

MAX_RETENTION_S = 10 * 365 * 86400.0


class FederationSink(Protocol):
    """Where verified partner items go (the node). `merge` returns once they are safely kept; if it
    raises, the items are not acknowledged and come again."""

    async def merge(self, envelopes: list[Envelope]) -> None: ...

    def forget(self, gone: list[tuple[str, int, str]]) -> None: ...

    # optional: `vet(envelopes) -> [(envelope, reason), ...]`: the node's own refusals in a verified batch
    # (in order), quarantined like items failing their declaration (NodeSink: chat releasability)


class NullSink:
    """Keeps nothing beyond the federation's own received table."""

    async def merge(self, envelopes: list[Envelope]) -> None:
        return None

    def forget(self, gone: list[tuple[str, int, str]]) -> None:
        return None


class Receiver:
    def __init__(
        self,
        settings: FederationSettings,
        db: ShareDb,
        audit: AuditLog,
        transport: Transport,
        sink: FederationSink,
        origins: OriginLimits,
        links: Links,
        stats: Counter[str],
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.node_id = settings.node_id
        self.db = db
        self.audit = audit
        self.transport = transport
        self.sink = sink
        self.origins = origins
        self.links = links
        self.stats = stats
        self.clock = clock
        self.retry_merge = True  # at start: whatever a crash left between keeping and merging
        self._merge_lock = asyncio.Lock()

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

    # --- handing over ------------------------------------------------------------------------------
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
            self.retry_merge = True
            log.exception("node did not take %d partner items (kept, retried)", len(todo))

    async def merge_unmerged(self) -> int:
        """Hand the node what was kept and acknowledged but not taken (a crash or a failed merge)."""
        async with self._merge_lock:
            self.retry_merge = False
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

    # --- checking ----------------------------------------------------------------------------------
    def _audit_received(self, fresh: list[Envelope], rejected: list[tuple[Any, ...]]) -> None:
        for env in fresh:
            self.links.note_received(env.origin)
        for row in rejected:
            self.links.note_refused(row[2], f"{row[0]}: {row[-1]}")
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
        vet = getattr(self.sink, "vet", None)  # the node's own checks (chat: the case's releasability)
        if vet is not None and accepted:
            for env, reason in vet([e for e in accepted if (e.origin, e.seq) not in bad]):
                bad.setdefault((env.origin, env.seq), reason)
        rows = [
            ReceivedRow(
                e.origin,
                e.seq,
                e.kind,
                now,
                now + max(0.0, min(e.releasability.retention_s, MAX_RETENTION_S)),
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
                self.origins.learn(env.origin, env.releasability)
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
