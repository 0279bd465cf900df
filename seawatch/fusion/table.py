"""The tracker's live tracks as parallel arrays (`TrackTable`, one row per track) and what one batch
did (`BatchResult`); `repeated_reports` finds a sensor's duplicated plots in a batch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from seawatch.fusion.delete import KINDS
from seawatch.fusion.measurements import MeasurementBatch

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

REF_SLOTS = 4  # per track, the last target id of up to 4 sensors (slot = sensor bit % 4)


@dataclass
class BatchResult:
    """Per measurement: its track number (-1: none), state after update (e, n, ve, vn), and the distance
    to / MMSI of the nearest projected AIS vessel (NaN / 0 for AIS reports). Plus the batch's track events."""

    track_num: IntArray
    state: Array
    nearest_ais_m: Array
    nearest_ais_mmsi: IntArray
    # MMSI of each measurement's track right after the batch, while that identity is current (reported
    # within `ais_projection_max_s` of the measurement); 0: none, or a vessel whose AIS has gone silent
    track_mmsi: IntArray | None = None
    confirmed: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    relabelled: list[tuple[int, int]] = field(default_factory=list)
    duplicates: int = 0  # repeated reports (same sensor, target id and time): given their original's track


class TrackTable:
    """Live tracks as parallel arrays."""

    def __init__(self) -> None:
        self.num = np.empty(0, np.int64)
        self.x = np.empty((0, 4))
        self.p = np.empty((0, 4, 4))
        self.t = np.empty(0)
        self.mmsi = np.empty(0, np.int64)
        self.confirmed = np.empty(0, bool)
        self.hits = np.empty(0, np.int64)
        self.scans = np.empty(0, np.int64)
        self.born_t = np.empty(0)
        self.origin = np.empty(0, np.int64)
        self.sensors = np.empty(0, np.int64)
        self.last_seen = np.empty((0, len(KINDS)))
        self.id_seen = np.empty(0)  # last report that carried the track's MMSI (AIS, partner); NaN: never
        self.last_ref = np.empty((0, REF_SLOTS), np.int64)
        self.ever_dark = np.empty(0, bool)  # some contact had no AIS vessel within dark_distance_m
        self.votes = np.empty(0, np.int64)  # consecutive AIS reports co-located with this anonymous track
        self.vote_mmsi = np.empty(0, np.int64)
        self.vote_t = np.empty(0)

    _FIELDS = (
        "num", "x", "p", "t", "mmsi", "confirmed", "hits", "scans", "born_t", "origin", "sensors",
        "last_seen", "id_seen", "ever_dark", "votes", "vote_mmsi", "vote_t", "last_ref",
    )  # fmt: skip

    def __len__(self) -> int:
        return len(self.num)

    def append(self, **cols: NDArray) -> IntArray:
        start = len(self)
        for name in self._FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), cols[name]]))
        return np.arange(start, len(self), dtype=np.int64)

    def keep(self, mask: BoolArray) -> None:
        for name in self._FIELDS:
            setattr(self, name, getattr(self, name)[mask])


def repeated_reports(b: MeasurementBatch, idx: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """(first reports, repeated ones, the first report each repeats) among one sensor's `idx`: the
    same target id at the same time (a feed sending a line twice); reports without an id are all kept."""
    assert b.ref is not None
    ref, t = b.ref[idx], b.t[idx]
    if idx.size < 2 or not ref.any():
        return idx, idx[:0], idx[:0]
    keyed = np.flatnonzero(ref != 0)
    order = keyed[np.lexsort((t[keyed], ref[keyed]))]
    same = (ref[order][1:] == ref[order][:-1]) & (t[order][1:] == t[order][:-1])
    if not same.any():
        return idx, idx[:0], idx[:0]
    head = np.concatenate([[0], np.cumsum(~same)])  # group number of each sorted report
    first_of_group = order[np.r_[0, np.flatnonzero(~same) + 1]]
    repeat_pos = order[1:][same]
    origin = first_of_group[head[1:][same]]
    keep = np.ones(idx.size, bool)
    keep[repeat_pos] = False
    return idx[keep], idx[repeat_pos], idx[origin]
