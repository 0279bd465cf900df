"""What this node saw of each partner link, and the link-health report (GET /api/share/links)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from seawatch.share.transport import PartnerLag
from seawatch.timeutil import iso_utc


@dataclass
class LinkStats:
    """One partner link as this node saw it (the broker's side is asked for in the report)."""

    last_sent_t: float | None = None  # the broker confirmed an item for the partner
    last_received_t: float | None = None  # an item from the partner was kept
    last_error: str | None = None
    last_error_t: float | None = None
    received: int = 0
    refused: int = 0


class Links:
    def __init__(self, partners: Iterable[str], clock: Callable[[], float]) -> None:
        self.partners = frozenset(partners)
        self.clock = clock
        self._links: dict[str, LinkStats] = {p: LinkStats() for p in self.partners}

    def __getitem__(self, partner: str) -> LinkStats:
        return self._links.setdefault(partner, LinkStats())

    def note_sent(self, partners: Iterable[str]) -> None:
        now = self.clock()
        for partner in partners:
            self[partner].last_sent_t = now

    def note_received(self, origin: str) -> None:
        if origin in self.partners:
            link = self[origin]
            link.last_received_t = self.clock()
            link.received += 1

    def note_refused(self, origin: str | None, error: str) -> None:
        if origin in self.partners:
            assert origin is not None
            self[origin].refused += 1
            self.note_error(origin, error)

    def note_error(self, partner: str | None, error: str) -> None:
        if partner and partner in self.partners:
            link = self[partner]
            link.last_error, link.last_error_t = error[:300], self.clock()

    def report(
        self,
        partner: str,
        connected: bool,
        waiting: tuple[int, float | None],
        lag: PartnerLag | None,
    ) -> dict[str, Any]:
        """One partner's row: what waits for it here and on the broker, when it last took something,
        what we last received from it, and the last error on the link."""
        link = self[partner]
        queued, oldest = waiting
        return {
            "partner": partner,
            "connected": connected,
            "outbox_items": queued,
            "outbox_oldest_age_s": None if oldest is None else max(0.0, self.clock() - oldest),
            "broker_waiting_messages": None if lag is None else lag.waiting,
            "broker_unacked_messages": None if lag is None else lag.unacked,
            "last_sent": None if link.last_sent_t is None else iso_utc(link.last_sent_t),
            "last_received": None if link.last_received_t is None else iso_utc(link.last_received_t),
            "received": link.received,
            "refused": link.refused,
            "last_error": link.last_error,
            "last_error_at": None if link.last_error_t is None else iso_utc(link.last_error_t),
        }
