"""Time bins (`tracks.bin_s`, 10 min) for the pair and loitering detectors.

Each track's entry in a bin is its last non-jump fix in that bin (position and speed). The live form
collects entries for the current bin and hands them over when the stream time enters a later bin; a
fix for an already closed bin is too late for bin-based detectors (other detectors still see it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seawatch.detect.tracks import LiveFix, TrackFrame


@dataclass
class BinTable:
    """Bulk: one row per (track, bin), sorted by track then bin."""

    kid: npt.NDArray[np.int64]
    bin: npt.NDArray[np.int64]
    row: npt.NDArray[np.int64]  # index of the fix in the TrackFrame
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    speed_kn: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.kid.shape[0])

    @classmethod
    def build(cls, tf: TrackFrame, bin_s: float) -> BinTable:
        idx = np.flatnonzero(~tf.jump)
        kid = tf.kid[idx]
        b = np.floor(tf.t[idx] / bin_s).astype(np.int64)
        last = np.ones(idx.size, dtype=bool)
        if idx.size > 1:
            last[:-1] = (kid[1:] != kid[:-1]) | (b[1:] != b[:-1])
        rows = idx[last]
        return cls(
            kid=kid[last],
            bin=b[last],
            row=rows,
            lat=tf.lat[rows],
            lon=tf.lon[rows],
            speed_kn=tf.speed_kn[rows],
        )


def interruption_bins(max_interruption_s: float, bin_s: float) -> int:
    """How many bins without a qualifying entry a run may skip."""
    return math.floor(max_interruption_s / bin_s + 1e-9)


class LiveBins:
    """Live: the entries of the current bin; `add` returns the closed bins' entries when time moves on."""

    def __init__(self, bin_s: float) -> None:
        self.bin_s = bin_s
        self.current: int | None = None
        self.entries: dict[str, LiveFix] = {}

    def add(self, fix: LiveFix) -> tuple[int, dict[str, LiveFix]] | None:
        b = math.floor(fix.t / self.bin_s)
        closed = None
        if self.current is None:
            self.current = b
        elif b > self.current:
            closed = (self.current, self.entries)
            self.current, self.entries = b, {}
        elif b < self.current:
            return None  # too late for bin-based detectors
        if not fix.jump:
            self.entries[fix.key] = fix
        return closed

    def close(self) -> tuple[int, dict[str, LiveFix]] | None:
        if self.current is None or not self.entries:
            return None
        closed = (self.current, self.entries)
        self.entries = {}
        return closed
