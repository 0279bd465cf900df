"""Suppress identical NMEA sentences heard by several receivers within a short window.

The key is the sentence itself without its tag block (receivers add their own `s:`/`c:`), with
surrounding whitespace removed. Time comes from the data (`time_s`, epoch seconds, e.g. the
receive time), never from the wall clock, so replays behave like live.
"""

from __future__ import annotations

from collections import OrderedDict


def sentence_key(line: str | bytes) -> str:
    text = line.decode("ascii", "backslashreplace") if isinstance(line, bytes) else line
    text = text.strip()
    if text.startswith("\\"):
        end = text.find("\\", 1)
        if end > 0:
            text = text[end + 1 :]
    return text


class DuplicateSentenceFilter:
    """`accept(line, time_s)` is True the first time a sentence is seen within `window_s` seconds.

    A repeat inside the window is suppressed (and does not extend the window); after the window the
    same sentence is accepted again (AIS repeats identical static messages legitimately).
    At most `max_entries` keys are remembered (the oldest are forgotten first).
    """

    def __init__(self, window_s: float = 2.0, max_entries: int = 200_000) -> None:
        if window_s < 0:
            raise ValueError("window_s must be >= 0")
        self.window_s = window_s
        self.max_entries = max_entries
        self.accepted = 0
        self.suppressed = 0
        self._seen: OrderedDict[str, float] = OrderedDict()

    def _expire(self, time_s: float) -> None:
        seen = self._seen
        while seen:
            key, first = next(iter(seen.items()))
            if time_s - first <= self.window_s and len(seen) <= self.max_entries:
                break
            del seen[key]

    def accept(self, line: str | bytes, time_s: float) -> bool:
        key = sentence_key(line)
        self._expire(time_s)
        first = self._seen.get(key)
        if first is not None and abs(time_s - first) <= self.window_s:
            self.suppressed += 1
            return False
        self._seen.pop(key, None)
        self._seen[key] = time_s
        self.accepted += 1
        return True
