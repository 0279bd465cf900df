"""`SilenceMonitor`: raises a `sensor_silent` event when a feed says nothing for longer than its timeout.

Pure: the caller passes the times (the node uses the receive clock at its edge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from seawatch.model import Event


@dataclass
class _Feed:
    timeout_s: float
    lat: float
    lon: float
    last_seen: datetime | None = None
    silent_since: datetime | None = None


class SilenceMonitor:
    def __init__(self) -> None:
        self._feeds: dict[str, _Feed] = {}

    def add_feed(
        self, name: str, timeout_s: float, lat: float | None, lon: float | None, now: datetime
    ) -> None:
        self._feeds[name] = _Feed(
            timeout_s, lat if lat is not None else 0.0, lon if lon is not None else 0.0, now
        )

    def seen(self, name: str, at: datetime) -> None:
        feed = self._feeds.get(name)
        if feed is not None:
            feed.last_seen = at
            feed.silent_since = None

    def check(self, now: datetime) -> list[Event]:
        """One `sensor_silent` event per silent feed (updated while the silence lasts, same id)."""
        events: list[Event] = []
        for name, feed in self._feeds.items():
            if feed.last_seen is None:
                continue
            silent_s = (now - feed.last_seen).total_seconds()
            if silent_s <= feed.timeout_s:
                continue
            feed.silent_since = feed.silent_since or feed.last_seen
            events.append(
                Event(
                    type="sensor_silent",
                    mmsi=(),
                    start=feed.silent_since,
                    end=now,
                    lat=feed.lat,
                    lon=feed.lon,
                    details={"source": name, "silent_s": round(silent_s, 1)},
                    params={"timeout_s": feed.timeout_s},
                    track_ids=(f"feed:{name}",),
                )
            )
        return events
