"""Track steps: what the tracker's batch did to each shown track (`TrackStep`: created, updated,
deleted), in latitude/longitude with speed, course and the estimate's uncertainty (`sigma_of`, from the
Kalman covariance), for live consumers (`LiveFusion`, the node)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from seawatch.fusion.frame import sog_cog
from seawatch.model.observation import Observation, SensorKind
from seawatch.timeutil import utc_from_epoch

if TYPE_CHECKING:
    from seawatch.fusion.table import BatchResult
    from seawatch.fusion.tracker import Tracker

Array = NDArray[np.float64]


def track_id_of(num: int) -> str:
    return f"T{num:06d}"


@dataclass(frozen=True)
class TrackStep:
    """What happened to one track in a step: `created` (confirmed), `updated` or `deleted`."""

    kind: str
    track_id: str
    time: datetime
    lat: float
    lon: float
    sog_kn: float | None
    cog_deg: float | None
    mmsi: int | None
    sensors: tuple[str, ...]
    sources: tuple[str, ...]
    nearest_ais_m: float | None = None
    heading_deg: float | None = None  # as reported (identity association only)
    pos_sigma_m: float | None = None  # 1 sigma of the position estimate along its worst axis (m)
    vel_sigma_mps: float | None = None  # 1 sigma of the velocity estimate along its worst axis (m/s)


def _worst_axis_sigma(a: Array, b: Array, c: Array) -> Array:
    """Square root of the larger eigenvalue of the 2x2 covariances [[a, b], [b, c]]."""
    half = 0.5 * (a + c)
    return np.sqrt(half + np.sqrt(np.maximum(half * half - (a * c - b * b), 0.0)))


def sigma_of(p: Array) -> tuple[Array, Array]:
    """Per track of the (k, 4, 4) covariances over (e, n, ve, vn): the 1-sigma position (m) and
    velocity (m/s) uncertainty along the worst axis (the error ellipse's major semi-axis)."""
    pos = _worst_axis_sigma(p[:, 0, 0], p[:, 0, 1], p[:, 1, 1])
    vel = _worst_axis_sigma(p[:, 2, 2], p[:, 2, 3], p[:, 3, 3])
    return pos, vel


def steps_of(tracker: Tracker, res: BatchResult, observations: Sequence[Observation]) -> list[TrackStep]:
    """The created / updated / deleted track steps of one processed batch (`res` of `observations`)."""
    assert tracker.frame is not None
    steps: list[TrackStep] = []
    created = set(res.confirmed)
    tr = tracker.tracks
    latest: dict[int, int] = {}
    for i, num in enumerate(res.track_num.tolist()):
        if num >= 0 and num in tracker.confirmed_nums:
            latest[num] = i
    sources: dict[int, set[str]] = {}
    for i, num in enumerate(res.track_num.tolist()):
        if num in latest:
            sources.setdefault(num, set()).add(SensorKind(observations[i].sensor).value)
    # rows of the live tracks (numbers are kept sorted: new tracks get higher numbers)
    want = np.fromiter(latest, dtype=np.int64, count=len(latest))
    pos = np.minimum(np.searchsorted(tr.num, want), max(len(tr) - 1, 0))
    live = (tr.num[pos] == want).tolist() if len(tr) else [False] * len(want)
    pairs = zip(latest.items(), pos.tolist(), live, strict=True)
    shown = [(num, i, r) for (num, i), r, ok in pairs if ok]
    if shown:
        rows = np.array([r for _, _, r in shown], dtype=np.int64)
        x = tr.x[rows]
        # one projection and one speed/course conversion for all the batch's tracks
        lats, lons = tracker.frame.to_latlon(x[:, 0], x[:, 1])
        sogs, cogs = sog_cog(x[:, 2], x[:, 3])
        pos_sigma, vel_sigma = (v.tolist() for v in sigma_of(tr.p[rows]))
        t_rows = tr.t[rows].tolist()
        mmsis = tr.mmsi[rows].tolist()
        masks = tr.sensors[rows].tolist()
        near_all = res.nearest_ais_m[[i for _, i, _ in shown]].tolist()
        names: dict[int, tuple[str, ...]] = {}
        times: dict[float, datetime] = {}  # tracks updated in the same second share one datetime
        for k, (num, _, _) in enumerate(shown):
            mask = int(masks[k])
            sensors = names.get(mask)
            if sensors is None:
                sensors = names[mask] = tracker.sensor_names(mask)
            near = near_all[k]
            when = times.get(t_rows[k])
            if when is None:
                when = times[t_rows[k]] = utc_from_epoch(float(t_rows[k]))
            steps.append(
                TrackStep(
                    kind="created" if num in created else "updated",
                    track_id=track_id_of(num),
                    time=when,
                    lat=float(lats[k]),
                    lon=float(lons[k]),
                    sog_kn=float(sogs[k]),
                    cog_deg=float(cogs[k]),
                    mmsi=int(mmsis[k]) or None,
                    sensors=sensors,
                    sources=tuple(sorted(sources.get(num, ()))),
                    nearest_ais_m=near if math.isfinite(near) else None,
                    pos_sigma_m=pos_sigma[k],
                    vel_sigma_mps=vel_sigma[k],
                )
            )
    if res.deleted:
        deleted_at = utc_from_epoch(max(o.time.timestamp() for o in observations))
    for num in res.deleted:
        steps.append(
            TrackStep(
                kind="deleted",
                track_id=track_id_of(num),
                time=deleted_at,
                lat=float("nan"),
                lon=float("nan"),
                sog_kn=float("nan"),
                cog_deg=float("nan"),
                mmsi=tracker.mmsi_of.get(num),
                sensors=tracker.sensor_names(tracker.sensors_of.get(num, 0)),
                sources=(),
            )
        )
    return steps
