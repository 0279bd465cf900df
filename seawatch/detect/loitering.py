"""`loitering`: one vessel slower than `max_sog_kn` (2 kn) for ≥ `min_duration_s` (4 h), at least
`min_shore_distance_m` (20 nm) from shore.

Per 10-min bin (see bins.py) a track's entry qualifies when its speed is below the threshold and it is
far enough from shore (thresholds from the zones at that position). A run is consecutive qualifying
entries of the track that may skip up to `max_interruption_s` of bins without a fix; an entry that does
not qualify ends it. Duration = bins spanned × bin_s; start/end are bin boundaries; the position is
the first entry's. Live emits when the duration is reached and updates the event when the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from seawatch.detect.bins import BinTable, interruption_bins
from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event, median
from seawatch.detect.runs import run_bounds
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.model.event import Event

NAME = "loitering"


@dataclass
class _Run:
    first_bin: int
    last_bin: int
    lat: float
    lon: float
    mmsi: int
    track_id: str | None
    max_sog: float
    min_shore: float
    speeds: list[float] = field(default_factory=list)
    emitted: bool = False
    shore_m: float | None = None  # distance from shore at the run's position (computed once)


def _event(ctx: DetectContext, run: _Run, bin_s: float) -> Event:
    if run.shore_m is None:
        run.shore_m = float(ctx.land_mask.distance_to_shore_m([run.lon], [run.lat])[0])
    details: dict[str, Any] = {
        "duration_s": (run.last_bin - run.first_bin + 1) * bin_s,
        "bins": len(run.speeds),
        "median_sog_kn": median(run.speeds),
        "max_sog_kn": max(run.speeds),
        "shore_distance_m": run.shore_m,
    }
    params = ctx.params(NAME, max_sog_kn=run.max_sog, min_shore_distance_m=run.min_shore)
    return make_event(
        NAME,
        [run.mmsi],
        run.first_bin * bin_s,
        (run.last_bin + 1) * bin_s,
        run.lat,
        run.lon,
        details,
        params,
        (run.track_id,),
    )


def _qualify(
    ctx: DetectContext,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    speed: npt.NDArray[np.float64],
    member: npt.NDArray[np.bool_] | None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    n = lat.shape[0]
    max_sog = ctx.param_rows(NAME, "max_sog_kn", member, n)
    min_shore = ctx.param_rows(NAME, "min_shore_distance_m", member, n)
    with np.errstate(invalid="ignore"):
        ok = speed < max_sog
    if ok.any():
        cand = np.flatnonzero(ok)
        land = ctx.land_mask
        gate = min_shore[cand]
        far = land.beyond_shore_m(lon[cand], lat[cand], gate)
        check = np.flatnonzero(far)  # far from the coastline, unless on land (0 m from shore)
        if check.size:
            inland = land.is_on_land(lon[cand[check]], lat[cand[check]])
            far[check] = ~inland | (gate[check] <= 0.0)
        ok[cand] = far
    return ok, max_sog, min_shore


def detect_bulk(tf: TrackFrame, bt: BinTable, ctx: DetectContext) -> list[Event]:
    cfg = ctx.config.loitering
    bin_s = ctx.config.tracks.bin_s
    if len(bt) == 0:
        return []
    member = ctx.member_rows(tf.membership, bt.row, NAME)
    ok, max_sog, min_shore = _qualify(ctx, bt.lat, bt.lon, bt.speed_kn, member)
    k = interruption_bins(cfg.max_interruption_s, bin_s)
    starts, ends = run_bounds(bt.kid, bt.bin.astype(np.float64), ok, float(1 + k))
    runs: list[_Run] = []
    for s, e in zip(starts, ends, strict=True):
        if (bt.bin[e] - bt.bin[s] + 1) * bin_s < cfg.min_duration_s:
            continue
        kid = int(bt.kid[s])
        run = _Run(
            first_bin=int(bt.bin[s]),
            last_bin=int(bt.bin[e]),
            lat=float(bt.lat[s]),
            lon=float(bt.lon[s]),
            mmsi=int(tf.track_mmsi[kid]),
            track_id=tf.track_ids[kid],
            max_sog=float(max_sog[s]),
            min_shore=float(min_shore[s]),
            speeds=[float(v) for v in bt.speed_kn[s : e + 1]],
        )
        runs.append(run)
    if runs:  # every event's distance from shore in one vectorised query
        shore = ctx.land_mask.distance_to_shore_m([r.lon for r in runs], [r.lat for r in runs])
        for run, d in zip(runs, shore.tolist(), strict=True):
            run.shore_m = float(d)
    return [_event(ctx, run, bin_s) for run in runs]


class LiveLoitering:
    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.config.loitering
        self.bin_s = ctx.config.tracks.bin_s
        self.skip = interruption_bins(self.cfg.max_interruption_s, self.bin_s)
        self.runs: dict[str, _Run] = {}

    def close_bin(self, b: int, entries: dict[str, LiveFix]) -> list[Event]:
        out: list[Event] = []
        for key in [k for k, r in self.runs.items() if b - r.last_bin > 1 + self.skip]:
            out.extend(self._close(self.runs.pop(key)))
        if not entries:
            return out
        fixes = list(entries.values())
        member = None
        if self.ctx.zones:
            member = np.zeros((len(fixes), len(self.ctx.zones)), dtype=bool)
            for n, f in enumerate(fixes):
                member[n, list(f.zones)] = True
        ok, max_sog, min_shore = _qualify(
            self.ctx,
            np.array([f.lat for f in fixes]),
            np.array([f.lon for f in fixes]),
            np.array([f.speed_kn for f in fixes]),
            member,
        )
        for n, f in enumerate(fixes):
            run = self.runs.get(f.key)
            if not ok[n]:
                if run is not None:
                    out.extend(self._close(self.runs.pop(f.key)))
                continue
            if run is None:
                run = _Run(
                    first_bin=b,
                    last_bin=b,
                    lat=f.lat,
                    lon=f.lon,
                    mmsi=f.mmsi,
                    track_id=f.track_id,
                    max_sog=float(max_sog[n]),
                    min_shore=float(min_shore[n]),
                )
                self.runs[f.key] = run
            run.last_bin = b
            run.speeds.append(f.speed_kn)
            if not run.emitted and (b - run.first_bin + 1) * self.bin_s >= self.cfg.min_duration_s:
                run.emitted = True
                out.append(_event(self.ctx, run, self.bin_s))
        return out

    def _close(self, run: _Run) -> list[Event]:
        return [_event(self.ctx, run, self.bin_s)] if run.emitted else []

    def flush(self) -> list[Event]:
        out = [e for run in self.runs.values() for e in self._close(run)]
        self.runs.clear()
        return out
