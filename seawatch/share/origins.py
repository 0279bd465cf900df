"""What this node learned of each origin's limits from the items it received, for re-sharing.

An item that came from a partner, or that a node derived from partner data, may leave again only under
the originator's releasability: not at all to the originator itself, not at all once any item of that
origin forbade re-sharing, never kept longer than the shortest retention that origin gave, and under
the limits every upstream node put on it (`Releasability.limits`): their areas, fields and precision
applied before this node's own policy, held at least their longest delay, and jittered once in total
(by the larger of the radii: this node adds only what its own radius exceeds theirs by)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from seawatch.share.envelope import Releasability
from seawatch.share.kinds import ShareItem
from seawatch.share.policy import SharePolicy


class OriginLimits:
    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self._reshare: dict[str, bool] = {}
        self._retention: dict[str, float] = {}  # shortest retention an origin gave us
        self._limits: dict[str, tuple[dict[str, Any], ...]] = {}  # the latest upstream limits per origin
        self._delay: dict[str, float] = {}  # the longest delay an origin asked re-sharers to keep

    def learn(self, origin: str, rel: Releasability) -> None:
        """Note one kept item's releasability. Conservative: one item from an origin that may not be
        passed on blocks re-sharing anything of that origin's (we cannot tell which partner item a fused
        track holds); the delay only grows, the retention only shrinks."""
        self._reshare[origin] = self._reshare.get(origin, True) and rel.may_reshare
        self._retention[origin] = min(self._retention.get(origin, float("inf")), rel.retention_s)
        if rel.limits:
            self._limits[origin] = rel.limits
            delay = max(float(x.get("delay_s") or 0.0) for x in rel.limits)
            self._delay[origin] = max(self._delay.get(origin, 0.0), delay)

    def foreign_origins(self, item: ShareItem) -> list[str]:
        """The other nodes whose data this item carries."""
        nodes = item.data.get("nodes") or ()
        origin = item.data.get("origin_node")
        found = {str(n) for n in nodes} | ({str(origin)} if origin else set())
        return sorted(found - {self.node_id})

    def blocked(self, partner: str, origins: Iterable[str]) -> list[str]:
        """Origins whose data may not go to `partner` (the partner itself, or no re-share allowed)."""
        return [o for o in origins if o == partner or not self._reshare.get(o, False)]

    def shortest_retention(self, origins: Iterable[str]) -> float | None:
        kept = [self._retention[o] for o in origins if o in self._retention]
        return min(kept) if kept else None

    def upstream(self, origins: Iterable[str]) -> tuple[dict[str, Any], ...]:
        """The limits every upstream node put on these origins' data, in order."""
        return tuple(limit for o in origins for limit in self._limits.get(o, ()))

    def limit(self, policy: SharePolicy, origins: list[str], theirs_only: bool) -> SharePolicy:
        """Our policy for a re-share, made at least as restrictive as the originators': their shortest
        retention, their longest delay, and, when every position came from them (`theirs_only`: a
        partner's event, an event raised on partner tracks), jitter once in total (only ours beyond
        theirs; a track mixing our own positions is jittered by our full radius)."""
        chain = self.upstream(origins)
        changes: dict[str, Any] = {}
        shortest = self.shortest_retention(origins)
        if shortest is not None and shortest < policy.retention_s:
            changes["retention_s"] = shortest
        delay = max([self._delay.get(o, 0.0) for o in origins], default=0.0)
        if delay > policy.delay_s:
            changes["delay_s"] = delay
        their_jitter = max((float(x.get("jitter_m") or 0.0) for x in chain), default=0.0)
        if theirs_only and their_jitter > 0 and policy.jitter_m > 0:
            changes["jitter_m"] = max(0.0, policy.jitter_m - their_jitter)
        return dataclasses.replace(policy, **changes) if changes else policy
