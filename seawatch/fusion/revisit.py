"""How often each sensor revisits a target: configured per site, else learned from the data.

A coastal ARPA reports each target about once per report interval (e.g. 30 s), each at its own moment,
so one radar's reports arrive spread over many small batches: counting batches as "scans" is wrong.
The period of a site is its configured `report_interval_s` (sensors.toml, `FusionConfig.revisit_s`),
else the median time between two reports of one target number (the ARPA's own id) over the last
`SAMPLES` re-reports of that site, once `MIN_SAMPLES` have been seen. The median follows a radar whose
period changes, and ignores a lost report (twice the period) or a duplicate (0 s). Until a period is
known `period_s` is None: the tracker then counts no misses for a site that numbers its targets (it will
learn the period within a revisit or two), and one scan per batch for a site without target numbers (a
radar reporting all its targets at once).
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray

SAMPLES = 64
MIN_SAMPLES = 3
MAX_REVISIT_S = 600.0  # a target number unseen for longer has probably been reused


class RevisitClock:
    def __init__(self, configured_s: dict[int, float] | None = None) -> None:
        self.configured_s = dict(configured_s or {})
        self._last_t: dict[int, dict[int, float]] = {}
        self._dt: dict[int, deque[float]] = {}
        self._period: dict[int, float] = {}

    def configure(self, bit: int, period_s: float) -> None:
        self.configured_s[bit] = period_s

    def observe(self, bit: int, refs: NDArray[np.int64], t: NDArray[np.float64]) -> None:
        """Note the reports of one sensor (target ids `refs`, 0 = none, at times `t`)."""
        if bit in self.configured_s:
            return
        last = self._last_t.setdefault(bit, {})
        dts = self._dt.setdefault(bit, deque(maxlen=SAMPLES))
        grew = False
        for ref, ti in zip(refs.tolist(), t.tolist(), strict=True):
            if not ref:
                continue
            prev = last.get(ref)
            last[ref] = ti if prev is None else max(prev, ti)
            if prev is not None and 0.0 < ti - prev <= MAX_REVISIT_S:
                dts.append(ti - prev)
                grew = True
        if grew and len(dts) >= MIN_SAMPLES:
            self._period[bit] = float(np.median(np.fromiter(dts, float)))

    def period_s(self, bit: int) -> float | None:
        found = self.configured_s.get(bit)
        if found is not None:
            return found
        return self._period.get(bit)
