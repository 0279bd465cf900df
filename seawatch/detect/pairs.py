"""Two-vessel proximity events (`encounter`, `rendezvous`): one machinery, two threshold sets.

In each 10-min bin, two tracks' entries (see bins.py) qualify when they are within `max_distance_m`,
the mean of their two speeds is below `max_sog_kn`, and their midpoint is at least
`min_port_distance_m` from a port (zone overrides: at the first vessel's position, tracks ordered by key).
A run is a sequence of qualifying bins of one pair; it may skip up to `max_interruption_s` of bins in
which the two are not both reporting, and ends at a bin where both report but do not qualify. An event
is a run of at least `min_duration_s` (bins × bin_s). Start/end are bin boundaries; the position is the
midpoint in the first bin. A bin where both vessels are at most `berth_max_sog_kn` within
`berth_shore_distance_m` of the coastline is two ships tied up at a berth: it does not qualify.
One meeting, one event: a rendezvous run that shares a qualifying bin with an encounter run of the same
pair that reaches its duration is that encounter (the longer definition wins). It is not reported; the
encounter lists in `details["supersedes"]` the ids of such rendezvous that qualified no later than its
last bin (live: raised earlier, so a store drops them when it stores the encounter).
A pair needs two identified vessels with distinct MMSIs: an unidentified
(radar/satellite-only) track that close to an AIS vessel cannot be told from a second track of that same
vessel (dark vessels are dark_target's), and one MMSI is one vessel. Candidate pairs come from a cell
grid on unit-sphere points (`geo.close_pairs`; bulk: all bins at once, live: each bin as it closes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from seawatch.detect.bins import BinTable, interruption_bins
from seawatch.detect.config import PairConfig
from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event, median
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.geo.close_pairs import close_pairs
from seawatch.geo.distance import chord_for_m, haversine_m, unit_xyz
from seawatch.model.event import Event

PAIR_TYPES = ("encounter", "rendezvous")


def _enabled(ctx: DetectContext) -> list[tuple[str, PairConfig]]:
    return [(name, ctx.config.section(name)) for name in PAIR_TYPES if ctx.config.section(name).enabled]


@dataclass
class _RunStats:
    first_bin: int
    last_bin: int
    lat: float
    lon: float
    mmsi: tuple[int, int]
    track_ids: tuple[str | None, str | None]
    max_sog: float
    min_port: float
    distances: list[float] = field(default_factory=list)
    speeds: list[float] = field(default_factory=list)
    emitted: bool = False
    qualified_bin: int | None = None  # the bin at which the run reached its duration
    linked: list[_RunStats] = field(default_factory=list)  # the other kind's runs sharing a bin (live)
    superseded: bool = False  # a rendezvous that is an encounter's


def _event(
    kind: str, ctx: DetectContext, run: _RunStats, bin_s: float, supersedes: list[str] | None = None
) -> Event:
    bins = len(run.distances)
    details: dict[str, Any] = {
        "duration_s": (run.last_bin - run.first_bin + 1) * bin_s,
        "bins": bins,
        "median_distance_m": median(run.distances),
        "min_distance_m": min(run.distances),
        "median_sog_kn": median(run.speeds),
    }
    if supersedes:
        details["supersedes"] = sorted(supersedes)
    params = ctx.params(kind, max_sog_kn=run.max_sog, min_port_distance_m=run.min_port)
    return make_event(
        kind,
        list(run.mmsi),
        run.first_bin * bin_s,
        (run.last_bin + 1) * bin_s,
        run.lat,
        run.lon,
        details,
        params,
        run.track_ids,
    )


def _qualify(
    ctx: DetectContext,
    kind: str,
    cfg: PairConfig,
    dist: npt.NDArray[np.float64],
    sp_a: npt.NDArray[np.float64],
    sp_b: npt.NDArray[np.float64],
    mid_lat: npt.NDArray[np.float64],
    mid_lon: npt.NDArray[np.float64],
    member_a: npt.NDArray[np.bool_] | None,
    mmsi_a: npt.NDArray[np.int64],
    mmsi_b: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    n = dist.shape[0]
    max_sog = ctx.param_rows(kind, "max_sog_kn", member_a, n)
    min_port = ctx.param_rows(kind, "min_port_distance_m", member_a, n)
    with np.errstate(invalid="ignore"):
        ok = (dist <= cfg.max_distance_m) & ((sp_a + sp_b) / 2.0 < max_sog)
        still = ok & (sp_a <= cfg.berth_max_sog_kn) & (sp_b <= cfg.berth_max_sog_kn)
    ok &= (mmsi_a >= 0) & (mmsi_b >= 0) & (mmsi_a != mmsi_b)
    if cfg.berth_shore_distance_m > 0 and still.any():  # two ships tied up at one berth: no pair bin
        at = np.flatnonzero(still & ok)
        shore_m = ctx.land_mask.distance_to_shore_m(
            mid_lon[at], mid_lat[at], cap_m=cfg.berth_shore_distance_m
        )
        ok[at] = shore_m >= cfg.berth_shore_distance_m  # on land (a dock inside the coastline) reads 0
    need = ok & (min_port > 0)
    if need.any():
        port_d, _ = ctx.port_list.nearest(
            mid_lat[need], mid_lon[need], max_m=ctx.param_max(kind, "min_port_distance_m")
        )
        ok[np.flatnonzero(need)] = port_d >= min_port[need]
    return ok, max_sog, min_port


def detect_bulk(tf: TrackFrame, bt: BinTable, ctx: DetectContext) -> list[Event]:
    enabled = _enabled(ctx)
    if not enabled or len(bt) < 2:
        return []
    bin_s = ctx.config.tracks.bin_s
    radius = max(cfg.max_distance_m for _, cfg in enabled)
    b0 = int(bt.bin.min())
    # candidates: entries of one bin within the radius on the unit sphere (with a 1e-4 margin: the exact
    # haversine test follows)
    pairs = close_pairs(unit_xyz(bt.lat, bt.lon), chord_for_m(radius) * 1.0001, groups=bt.bin)
    if pairs.shape[0] == 0:
        return []
    key_rank = np.empty(tf.n_tracks, dtype=np.int64)
    key_rank[np.argsort(np.array(tf.keys, dtype=object), kind="stable")] = np.arange(tf.n_tracks)
    i, j = pairs[:, 0], pairs[:, 1]
    swap = key_rank[bt.kid[i]] > key_rank[bt.kid[j]]
    a = np.where(swap, j, i)
    b = np.where(swap, i, j)
    dist = haversine_m(bt.lat[a], bt.lon[a], bt.lat[b], bt.lon[b])
    mid_lat = (bt.lat[a] + bt.lat[b]) / 2.0
    mid_lon = (bt.lon[a] + bt.lon[b]) / 2.0
    member_a = ctx.member_rows(tf.membership, bt.row[a], *PAIR_TYPES)
    mmsi_a, mmsi_b = tf.track_mmsi[bt.kid[a]], tf.track_mmsi[bt.kid[b]]
    n_tracks = tf.n_tracks
    nbins = int(bt.bin.max()) - b0 + 1
    present = np.sort(bt.kid * nbins + (bt.bin - b0))
    found: dict[str, list[tuple[tuple[int, int], npt.NDArray[np.int64], _RunStats]]] = {}
    for kind, cfg in enabled:
        found[kind] = []
        ok, max_sog, min_port = _qualify(
            ctx, kind, cfg, dist, bt.speed_kn[a], bt.speed_kn[b], mid_lat, mid_lon, member_a, mmsi_a, mmsi_b
        )
        q = np.flatnonzero(ok)
        if q.size == 0:
            continue
        pid = bt.kid[a[q]] * n_tracks + bt.kid[b[q]]
        qb = bt.bin[a[q]]
        order = np.lexsort((qb, pid))
        q, pid, qb = q[order], pid[order], qb[order]
        k = interruption_bins(cfg.max_interruption_s, bin_s)
        cont = np.zeros(q.size, dtype=bool)
        cont[1:] = (pid[1:] == pid[:-1]) & (qb[1:] - qb[:-1] <= 1 + k)
        for skip in range(1, k + 1):  # a bin in between where both report (without qualifying) breaks the run
            mid = qb[:-1] + skip
            inside = cont[1:] & (mid < qb[1:])
            if not inside.any():
                continue
            ka, kb = bt.kid[a[q[:-1]]], bt.kid[b[q[:-1]]]
            both = _has(present, ka * nbins + (mid - b0)) & _has(present, kb * nbins + (mid - b0))
            cont[1:] &= ~(inside & both)
        starts = np.flatnonzero(~cont)
        ends = np.append(starts[1:], q.size)
        for s, e in zip(starts, ends, strict=True):
            first_bin, last_bin = int(qb[s]), int(qb[e - 1])
            if (last_bin - first_bin + 1) * bin_s < cfg.min_duration_s:
                continue
            rows = q[s:e]
            bins = qb[s:e]
            a0, b0_ = int(a[rows[0]]), int(b[rows[0]])
            ka0, kb0 = int(bt.kid[a0]), int(bt.kid[b0_])
            run = _RunStats(
                first_bin=first_bin,
                last_bin=last_bin,
                lat=float(mid_lat[rows[0]]),
                lon=float(mid_lon[rows[0]]),
                mmsi=(int(tf.track_mmsi[ka0]), int(tf.track_mmsi[kb0])),
                track_ids=(tf.track_ids[ka0], tf.track_ids[kb0]),
                max_sog=float(max_sog[rows[0]]),
                min_port=float(min_port[rows[0]]),
                distances=[float(d) for d in dist[rows]],
                speeds=[float(v) for r in rows for v in (bt.speed_kn[a[r]], bt.speed_kn[b[r]])],
            )
            reached = (bins - first_bin + 1) * bin_s >= cfg.min_duration_s
            run.qualified_bin = int(bins[int(np.argmax(reached))])  # as the live form raises it
            found[kind].append(((ka0, kb0), bins, run))
    return _one_per_meeting(ctx, found, bin_s)


def _one_per_meeting(
    ctx: DetectContext,
    found: dict[str, list[tuple[tuple[int, int], npt.NDArray[np.int64], _RunStats]]],
    bin_s: float,
) -> list[Event]:
    """Bulk: a rendezvous sharing a qualifying bin with an encounter of its pair is that encounter's."""
    rendezvous: dict[tuple[int, int], list[tuple[npt.NDArray[np.int64], _RunStats]]] = {}
    for pair, bins, run in found.get("rendezvous", []):
        rendezvous.setdefault(pair, []).append((bins, run))
    events: list[Event] = []
    taken: set[int] = set()
    for pair, bins, run in found.get("encounter", []):
        supersedes = []
        for r_bins, r_run in rendezvous.get(pair, []):
            if np.intersect1d(bins, r_bins, assume_unique=True).size:
                taken.add(id(r_run))
                if r_run.qualified_bin is not None and r_run.qualified_bin <= run.last_bin:
                    supersedes.append(_event("rendezvous", ctx, r_run, bin_s).event_id)
        events.append(_event("encounter", ctx, run, bin_s, supersedes))
    for _, _, run in found.get("rendezvous", []):
        if id(run) not in taken:
            events.append(_event("rendezvous", ctx, run, bin_s))
    return events


def _has(sorted_codes: npt.NDArray[np.int64], codes: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    pos = np.searchsorted(sorted_codes, codes)
    pos = np.minimum(pos, sorted_codes.size - 1)
    return np.asarray(sorted_codes[pos] == codes)


class LivePairs:
    """Live form: each closed bin's entries go through the same pair search, qualification and run rules."""

    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.enabled = _enabled(ctx)
        self.bin_s = ctx.config.tracks.bin_s
        self.radius_chord = (
            chord_for_m(max((c.max_distance_m for _, c in self.enabled), default=0.0)) * 1.000001
        )
        self.runs: dict[str, dict[tuple[str, str], _RunStats]] = {kind: {} for kind, _ in self.enabled}
        self.skip = {
            kind: interruption_bins(cfg.max_interruption_s, self.bin_s) for kind, cfg in self.enabled
        }

    def close_bin(self, b: int, entries: dict[str, LiveFix]) -> list[Event]:
        if not self.enabled:
            return []
        out: list[Event] = []
        for kind, _ in self.enabled:  # runs that can no longer continue at bin b
            runs = self.runs[kind]
            for pair in [p for p, r in runs.items() if b - r.last_bin > 1 + self.skip[kind]]:
                out.extend(self._close(kind, runs.pop(pair)))
        fixes = list(entries.values())
        qualified: dict[str, dict[tuple[str, str], int]] = {kind: {} for kind, _ in self.enabled}
        if len(fixes) >= 2:
            lat = np.array([f.lat for f in fixes])
            lon = np.array([f.lon for f in fixes])
            pairs = close_pairs(unit_xyz(lat, lon), self.radius_chord)
            if pairs.shape[0]:
                i, j = pairs[:, 0], pairs[:, 1]
                swap = np.array([fixes[x].key > fixes[y].key for x, y in zip(i, j, strict=True)], dtype=bool)
                a, bb = np.where(swap, j, i), np.where(swap, i, j)
                dist = haversine_m(lat[a], lon[a], lat[bb], lon[bb])
                mid_lat, mid_lon = (lat[a] + lat[bb]) / 2.0, (lon[a] + lon[bb]) / 2.0
                speed = np.array([f.speed_kn for f in fixes])
                mmsi = np.array([f.mmsi for f in fixes], dtype=np.int64)
                member_a = None
                if self.ctx.zones:
                    member_a = np.zeros((a.size, len(self.ctx.zones)), dtype=bool)
                    for n, x in enumerate(a):
                        member_a[n, list(fixes[x].zones)] = True
                for kind, cfg in self.enabled:
                    ok, max_sog, min_port = _qualify(
                        self.ctx,
                        kind,
                        cfg,
                        dist,
                        speed[a],
                        speed[bb],
                        mid_lat,
                        mid_lon,
                        member_a,
                        mmsi[a],
                        mmsi[bb],
                    )
                    for n in np.flatnonzero(ok).tolist():
                        fa, fb = fixes[a[n]], fixes[bb[n]]
                        pair = (fa.key, fb.key)
                        qualified[kind][pair] = 1
                        out.extend(
                            self._extend(
                                kind,
                                b,
                                pair,
                                fa,
                                fb,
                                float(dist[n]),
                                float(mid_lat[n]),
                                float(mid_lon[n]),
                                float(max_sog[n]),
                                float(min_port[n]),
                            )
                        )
        for kind, _ in self.enabled:  # both reported in bin b without qualifying: the run ends
            runs = self.runs[kind]
            ended = [
                p
                for p, r in runs.items()
                if r.last_bin != b and p[0] in entries and p[1] in entries and p not in qualified[kind]
            ]
            for pair in ended:
                out.extend(self._close(kind, runs.pop(pair)))
        return out

    def _extend(
        self,
        kind: str,
        b: int,
        pair: tuple[str, str],
        fa: LiveFix,
        fb: LiveFix,
        dist: float,
        mid_lat: float,
        mid_lon: float,
        max_sog: float,
        min_port: float,
    ) -> list[Event]:
        runs = self.runs[kind]
        run = runs.get(pair)
        if run is None:
            run = _RunStats(
                first_bin=b,
                last_bin=b,
                lat=mid_lat,
                lon=mid_lon,
                mmsi=(fa.mmsi, fb.mmsi),
                track_ids=(fa.track_id, fb.track_id),
                max_sog=max_sog,
                min_port=min_port,
            )
            runs[pair] = run
        run.last_bin = b
        run.distances.append(dist)
        run.speeds.extend((fa.speed_kn, fb.speed_kn))
        out: list[Event] = []
        encounter = self.runs.get("encounter", {}).get(pair) if kind == "rendezvous" else None
        if encounter is not None and encounter.last_bin == b and encounter not in run.linked:
            run.linked.append(encounter)  # one bin of both (encounters are extended first)
            encounter.linked.append(run)
            if encounter.emitted and run.emitted and not run.superseded:
                run.superseded = True
                out.append(self._encounter_event(encounter))
        cfg: PairConfig = self.ctx.config.section(kind)
        if not run.emitted and (run.last_bin - run.first_bin + 1) * self.bin_s >= cfg.min_duration_s:
            run.emitted = True
            run.qualified_bin = b
            if kind == "encounter":
                for r in run.linked:
                    r.superseded = True
                out.append(self._encounter_event(run))
            elif any(e.emitted for e in run.linked):
                run.superseded = True  # raised as the encounter already
            else:
                out.append(_event(kind, self.ctx, run, self.bin_s))
        return out

    def _encounter_event(self, run: _RunStats) -> Event:
        supersedes = [
            _event("rendezvous", self.ctx, r, self.bin_s).event_id
            for r in run.linked
            if r.qualified_bin is not None and r.qualified_bin <= run.last_bin
        ]
        return _event("encounter", self.ctx, run, self.bin_s, supersedes)

    def _close(self, kind: str, run: _RunStats) -> list[Event]:
        if not run.emitted or run.superseded:
            return []
        if kind == "encounter":
            return [self._encounter_event(run)]
        return [_event(kind, self.ctx, run, self.bin_s)]

    def flush(self) -> list[Event]:
        out: list[Event] = []
        for kind, _ in self.enabled:
            for run in self.runs[kind].values():
                out.extend(self._close(kind, run))
            self.runs[kind].clear()
        return out
