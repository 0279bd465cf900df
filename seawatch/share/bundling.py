"""Bundles: the items planned for partners grouped per (partner, kind, delay) in order, cut to the
bundle limits, and sealed (signed envelopes encrypted to that partner alone); and the broker's
duplicate key of a queued row. `share/sending.py` plans, queues and sends them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from seawatch.share.envelope import Envelope, Releasability, seal
from seawatch.share.kinds import ShareItem
from seawatch.share.localdb import OutboxRow
from seawatch.share.policy import SharePolicy
from seawatch.share.settings import FederationSettings

ENVELOPE_OVERHEAD_B = 200  # counted per item against a bundle's byte limit


@dataclass(frozen=True, slots=True)
class Planned:
    """One item for one partner: as the node has it, as the partner may see it, under which policy
    (ours, made as restrictive as the originators' for a re-share) and with which onward limits."""

    partner: str
    original: ShareItem
    shared: ShareItem
    policy: SharePolicy
    limits: tuple[dict[str, Any], ...]


Bundle = tuple[str, str, float, list[Planned]]  # partner, kind, delay (s), the items


def cut_bundles(
    planned: list[Planned], max_item_bytes: int, max_items: int, max_bytes: int
) -> tuple[list[Bundle], list[tuple[str, str, int]]]:
    """The bundles, and (partner, kind, size) of each item over `max_item_bytes` (left out)."""
    groups: dict[tuple[str, str, float], list[tuple[Planned, int]]] = {}
    oversized: list[tuple[str, str, int]] = []
    for plan in planned:
        size = len(orjson.dumps(plan.shared.data))
        if size > max_item_bytes:
            oversized.append((plan.partner, plan.shared.kind, size))
            continue
        extra = len(orjson.dumps(plan.limits)) if plan.limits else 0
        key = (plan.partner, plan.shared.kind, plan.policy.delay_s)
        groups.setdefault(key, []).append((plan, size + extra))
    bundles: list[Bundle] = []
    for (partner, kind, delay_s), members in groups.items():
        current: list[Planned] = []
        used = 0
        for plan, size in members:
            if current and (len(current) >= max_items or used + size > max_bytes):
                bundles.append((partner, kind, delay_s, current))
                current, used = [], 0
            current.append(plan)
            used += size + ENVELOPE_OVERHEAD_B
        if current:
            bundles.append((partner, kind, delay_s, current))
    return bundles, oversized


def seal_bundle(
    settings: FederationSettings, partner: str, numbered: list[tuple[int, Planned]], created_t: float
) -> tuple[bytes, bytes]:
    """The wire bytes of one bundle for `partner`, and the items as the node had them (kept in the
    outbox, so a changed policy is applied to the originals: positions are jittered once, keyed as
    before, never jittered again)."""
    stamp = datetime.fromtimestamp(created_t, tz=UTC)
    envelopes = [
        Envelope(
            origin=settings.node_id,
            seq=seq,
            time=stamp,
            kind=plan.shared.kind,
            releasability=Releasability(
                (partner,), plan.policy.may_reshare, plan.policy.retention_s, plan.limits
            ),
            payload=plan.shared.data,
        )
        for seq, plan in numbered
    ]
    wire = seal(envelopes, settings.private_key, partner, settings.partner_keys[partner])
    return wire, orjson.dumps([[seq, plan.original.data] for seq, plan in numbered])


def msg_id(node: str, row: OutboxRow) -> str:
    """The broker's duplicate key: a re-publish of the same sealed row (its confirmation was lost) is
    dropped; a bundle sealed again after a purge (same sequence numbers, new bytes) is not."""
    return f"{node}:{row.seq}+{row.count}:{hashlib.blake2b(row.wire, digest_size=8).hexdigest()}"
