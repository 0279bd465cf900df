"""Suppress the same AIS report heard by several receivers within a short window: one observation.

Two levels, one rule (`DuplicateFilter`): raw sentences keyed on the sentence without its tag block
(receivers add their own `s:`/`c:`), and decoded reports keyed on what the vessel said (`report_key`:
MMSI and the position report's fields, or the static report's), without who heard it or when.

The rule, the same in the CLI and the node: an AIS report delivered again within the window (data
time) is one observation, whoever delivered it: another receiver, or the same one again (a feed
re-sending). The node runs `DuplicateStage` beside the quality gate on every feed; `seawatch
detect`/`fuse` run `drop_duplicate_rows` on the loaded positions of one input or several (so a file
gives the events a node fed with it gives). Repeats are counted as `duplicate`, never rejected.
Time comes from the data (`time_s`, epoch seconds: the receive time), never from the wall clock, so
replays behave like live; receivers further apart in data time than the window are not merged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING

from seawatch.model import AisStatic, Observation, SensorKind

if TYPE_CHECKING:
    import polars as pl

DEFAULT_WINDOW_S = 2.0
"""Receivers of one coast deliver the same sentence within about a second of each other; AIS repeats an
unchanged report no sooner than every 2 s (class A, fast) and a moored vessel's every 3 min."""


def sentence_key(line: str | bytes) -> str:
    text = line.decode("ascii", "backslashreplace") if isinstance(line, bytes) else line
    text = text.strip()
    if text.startswith("\\"):
        end = text.find("\\", 1)
        if end > 0:
            text = text[end + 1 :]
    return text


class DuplicateFilter:
    """`accept_key(key, time_s)` is True the first time a key is seen within `window_s` seconds.

    A repeat inside the window is suppressed (and does not extend the window); after the window the
    same sentence is accepted again (AIS repeats identical static messages legitimately).
    At most `max_entries` keys are remembered (the oldest are forgotten first).
    """

    def __init__(self, window_s: float = DEFAULT_WINDOW_S, max_entries: int = 200_000) -> None:
        if window_s < 0:
            raise ValueError("window_s must be >= 0")
        self.window_s = window_s
        self.max_entries = max_entries
        self.accepted = 0
        self.suppressed = 0
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def _expire(self, time_s: float) -> None:
        seen = self._seen
        while seen:
            key, first = next(iter(seen.items()))
            if time_s - first <= self.window_s and len(seen) <= self.max_entries:
                break
            del seen[key]

    def accept_key(self, key: Hashable, time_s: float) -> bool:
        self._expire(time_s)
        first = self._seen.get(key)
        if first is not None and abs(time_s - first) <= self.window_s:
            self.suppressed += 1
            return False
        self._seen.pop(key, None)
        self._seen[key] = time_s
        self.accepted += 1
        return True


class DuplicateSentenceFilter(DuplicateFilter):
    """`accept(line, time_s)`: the same rule on raw NMEA sentences (tag block ignored)."""

    def accept(self, line: str | bytes, time_s: float) -> bool:
        return self.accept_key(sentence_key(line), time_s)


def report_key(item: object) -> tuple[object, ...] | None:
    """What an AIS report said, without who heard it or when (None: not deduplicated, e.g. radar)."""
    if isinstance(item, Observation):
        if item.sensor is not SensorKind.AIS or item.mmsi is None:
            return None
        return (item.mmsi, item.lat, item.lon, item.sog_kn, item.cog_deg, item.heading_deg)
    if isinstance(item, AisStatic):
        return (
            "static",
            item.mmsi,
            item.msg_type,
            item.shipname,
            item.callsign,
            item.imo,
            item.ship_type,
            item.destination,
        )
    return None


class DuplicateStage:
    """The node's dedupe stage: `is_duplicate(item)` is True for an AIS report another receiver (or
    the same one) already delivered within `window_s` of data time; `duplicates` counts them."""

    def __init__(self, window_s: float = DEFAULT_WINDOW_S) -> None:
        self.filter = DuplicateFilter(window_s)

    @property
    def duplicates(self) -> int:
        return self.filter.suppressed

    def is_duplicate(self, item: Observation | AisStatic) -> bool:
        key = report_key(item)
        if key is None:
            return False
        when = item.time if isinstance(item, Observation) else item.received_at
        if when is None:
            return False
        return not self.filter.accept_key(key, when.timestamp())


REPORT_COLUMNS = ("mmsi", "lat", "lon", "sog_kn", "cog_deg", "heading_deg")


def drop_duplicate_rows(
    positions: pl.DataFrame, window_s: float = DEFAULT_WINDOW_S
) -> tuple[pl.DataFrame, int]:
    """Positions (`POSITION_SCHEMA`) without AIS reports repeated within `window_s` (the same rule as
    `DuplicateStage`, in data-time order), and how many were dropped. Input order is kept."""
    import polars as pl

    if positions.height == 0:
        return positions, 0
    ais = pl.col("sensor").fill_null("ais") == "ais" if "sensor" in positions.columns else pl.lit(True)
    # only a report present twice within the window can repeat: a hash of its vessel and position
    # (collisions only add candidates) seen twice, then within `window_s` of its neighbour in time;
    # the exact pass below sees just those
    same = pl.col("mmsi").hash(1) ^ pl.col("lat").hash(2) ^ pl.col("lon").hash(3)
    candidates = (
        positions.with_row_index("_row")
        .filter(ais & pl.col("mmsi").is_not_null() & pl.col("t").is_not_null())
        .with_columns(same.alias("_same"))
        .filter(pl.col("_same").is_duplicated())
    )
    if candidates.height == 0:
        return positions, 0
    near = (pl.col("_same") == pl.col("_same").shift(1)) & (pl.col("t").diff() <= window_s)
    candidates = (
        candidates.sort("_same", "t").filter((near | near.shift(-1)).fill_null(False)).sort("t", "_row")
    )
    if candidates.height == 0:
        return positions, 0
    dedupe = DuplicateFilter(window_s)
    dropped = [
        row
        for row, t, *key in candidates.select("_row", "t", *REPORT_COLUMNS).iter_rows()
        if not dedupe.accept_key(tuple(key), t)
    ]
    if not dropped:
        return positions, 0
    kept = positions.with_row_index("_row").filter(~pl.col("_row").is_in(dropped)).drop("_row")
    return kept, len(dropped)
