"""What this node learned of each origin's limits from the items it received, for re-sharing.

An item that came from a partner, or that a node derived from partner data, may leave again only under
the originator's releasability: not at all to the originator itself, not at all once any item of that
origin forbade re-sharing, and never kept longer than the shortest retention that origin gave."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from seawatch.share.envelope import Releasability
from seawatch.share.kinds import ShareItem
from seawatch.share.policy import SharePolicy


class OriginLimits:
    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self._reshare: dict[str, bool] = {}
        self._retention: dict[str, float] = {}  # shortest retention an origin gave us

    def learn(self, origin: str, rel: Releasability) -> None:
        """Note one kept item's releasability. Conservative: one item from an origin that may not be
        passed on blocks re-sharing anything of that origin's (we cannot tell which partner item a fused
        track holds)."""
        self._reshare[origin] = self._reshare.get(origin, True) and rel.may_reshare
        self._retention[origin] = min(self._retention.get(origin, float("inf")), rel.retention_s)

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

    def limit(self, policy: SharePolicy, origins: list[str]) -> SharePolicy:
        """A re-share keeps the most restrictive of the originators' releasability and our policy:
        the shortest retention any of them gave us."""
        shortest = self.shortest_retention(origins)
        if shortest is None or shortest >= policy.retention_s:
            return policy
        return dataclasses.replace(policy, retention_s=shortest)
