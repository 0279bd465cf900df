"""Fusion pipeline: positions of every sensor -> fused tracks (with `track_id`) and dark-target events.

Bulk: `fuse_frame(positions, config) -> FusedResult(tracks, events, counts)`.
Live: `LiveFusion(config).ingest(observations) -> (track_steps, events)`, per observation batch, or
`LiveFusion.scans(observations)`: the same work scan batch by scan batch, with the track each
observation fed (what the node's track stage records). `FusionConfig.association = "identity"` makes
LiveFusion keep one track per reported identity instead (`fusion/identity.py`).
Both cut the time-ordered input into the same batches (radar/satellite contacts within
`scan_window_s` of the batch start; AIS-only stretches up to `AIS_WINDOW_S`) and run the same
`Tracker` and the same dark-target accumulator.

Output frame (`FusedResult.tracks`): one row per observation kept by the tracker (contacts of
tentative tracks that never confirmed are dropped and counted), in time order, with
`POSITION_SCHEMA` columns (`lat/lon` as measured; `sog_kn/cog_deg` as reported, else the track's
estimate) and `track_id` set; `mmsi` is the track's identity (a radar-only track later identified by
AIS carries the MMSI on all its rows: history kept, `identified_at_contact` says whether the identity
was known at that row). Extra columns: `est_lat, est_lon, est_sog_kn, est_cog_deg` (filtered state),
`nearest_ais_m`, `nearest_ais_mmsi`, `identified_at_contact`, `dark`, `track_sensors` (every sensor
that fed the track, comma separated), and any extra input columns (`target_ref`, `station`,
`length_m`, `scene_id`, ...).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from seawatch.fusion.config import FusionConfig
from seawatch.fusion.dark_target import DarkTargetAccumulator, dark_target_events
from seawatch.fusion.delete import KIND_CODE
from seawatch.fusion.frame import LocalFrame, sog_cog, velocity_en
from seawatch.fusion.identity import IdentityTracks, LastFix
from seawatch.fusion.measurements import MeasurementBatch, default_sigma, ref_hash, sensor_key
from seawatch.fusion.noise import as_cov, polar_cov
from seawatch.fusion.steps import TrackStep, track_id_of
from seawatch.fusion.tracker import AIS, BatchResult, Tracker
from seawatch.model.columns import conform_positions
from seawatch.model.event import Event
from seawatch.model.observation import Observation, SensorKind

log = logging.getLogger(__name__)

AIS_WINDOW_S = 30.0
CONTACT_SENSORS = tuple(k.value for k in SensorKind if k is not SensorKind.AIS)


@dataclass
class FusedResult:
    tracks: pl.DataFrame
    events: list[Event]
    counts: dict[str, int] = field(default_factory=dict)


def batch_bounds(t: NDArray[np.float64], is_contact: NDArray[np.bool_], scan_window_s: float) -> list[int]:
    """Start indices of batches over time-sorted rows (plus the end)."""
    starts = [0]
    t0 = float(t[0]) if len(t) else 0.0
    has_contact = bool(is_contact[0]) if len(t) else False
    tl, cl = t.tolist(), is_contact.tolist()
    for i in range(1, len(tl)):
        limit = scan_window_s if (has_contact or cl[i]) else AIS_WINDOW_S
        if tl[i] - t0 > limit:
            starts.append(i)
            t0, has_contact = tl[i], cl[i]
        else:
            has_contact = has_contact or cl[i]
    starts.append(len(tl))
    return starts


def fuse_frame(positions: pl.DataFrame, config: FusionConfig | None = None) -> FusedResult:
    """Fuse a positions frame (AIS, radar and satellite rows) into tracks and dark-target events."""
    config = config or FusionConfig()
    counts: dict[str, int] = {"input": positions.height}
    frame = conform_positions(positions)
    usable = (
        pl.col("t").is_not_null()
        & pl.col("lat").is_between(-90, 90)
        & pl.col("lon").is_between(-180, 180)
        & (pl.col("sensor").is_in(CONTACT_SENSORS) | pl.col("mmsi").is_not_null())
    )
    frame = frame.with_row_index("_row")
    kept = frame.filter(usable.fill_null(False)).sort("t", maintain_order=True)
    counts["dropped:unusable"] = frame.height - kept.height
    if kept.is_empty():
        return FusedResult(conform_positions(kept.drop("_row")).head(0), [], counts)

    tracker = Tracker(config)
    lat = kept["lat"].to_numpy()
    lon = kept["lon"].to_numpy()
    local = tracker._ensure_frame(lat, lon)
    e, n = local.to_en(lat, lon)
    sensor = kept["sensor"].fill_null("ais").to_list()
    station = kept["station"].to_list() if "station" in kept.columns else [None] * kept.height
    keys = [sensor_key(s, st) for s, st in zip(sensor, station, strict=True)]
    bits = np.array([tracker.sensor_bit(k) for k in keys], dtype=np.int64)
    kind = np.array([KIND_CODE.get(s, KIND_CODE["partner"]) for s in sensor], dtype=np.int64)
    sig_default = np.array([default_sigma(config, s) for s in sensor])
    if "sigma_m" in kept.columns:
        sig = kept["sigma_m"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        sig = np.where(np.isfinite(sig) & (sig > 0), sig, sig_default)
    else:
        sig = sig_default
    ve, vn = velocity_en(
        kept["sog_kn"].fill_null(np.nan).to_numpy(), kept["cog_deg"].fill_null(np.nan).to_numpy()
    )
    t = kept["t"].to_numpy().astype(float)
    mmsi = kept["mmsi"].fill_null(0).to_numpy().astype(np.int64)
    refs = kept["target_ref"].to_list() if "target_ref" in kept.columns else [None] * kept.height
    ref = np.array([ref_hash(r) for r in refs], dtype=np.int64)
    r_cov = as_cov(sig**2)
    if config.radar_error_ellipse and {"range_sigma_m", "cross_sigma_m", "bearing_deg"} <= set(kept.columns):
        polar = [
            kept[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
            for c in ("range_sigma_m", "cross_sigma_m", "bearing_deg")
        ]
        has = np.isfinite(np.column_stack(polar)).all(axis=1)
        if has.any():
            r_cov[has] = polar_cov(polar[0][has], polar[1][has], polar[2][has])
    batch = MeasurementBatch(
        t=t, e=e, n=n, r_var=r_cov, kind=kind, sensor_bit=bits, mmsi=mmsi, ve=ve, vn=vn, ref=ref
    )

    m = len(t)
    track_num = np.full(m, -1, np.int64)
    state = np.full((m, 4), np.nan)
    near_m = np.full(m, np.nan)
    near_mmsi = np.zeros(m, np.int64)
    track_mmsi = np.zeros(m, np.int64)
    bounds = batch_bounds(t, kind != AIS, config.scan_window_s)
    duplicates = 0
    for lo, hi in itertools.pairwise(bounds):
        idx = np.arange(lo, hi)
        res = tracker.process(batch.subset(idx))
        track_num[lo:hi] = res.track_num
        state[lo:hi] = res.state
        near_m[lo:hi] = res.nearest_ais_m
        near_mmsi[lo:hi] = res.nearest_ais_mmsi
        if res.track_mmsi is not None:
            track_mmsi[lo:hi] = res.track_mmsi
        duplicates += res.duplicates
    counts["batches"] = len(bounds) - 1
    counts["duplicate_reports"] = duplicates  # kept, on their original's track

    confirmed = np.array(sorted(tracker.confirmed_nums), dtype=np.int64)
    keep = np.isin(track_num, confirmed)
    counts["dropped:unconfirmed"] = int((~keep & (track_num >= 0)).sum())
    counts["tracks"] = len(confirmed)
    est_lat, est_lon = local.to_latlon(state[:, 0], state[:, 1])
    est_sog, est_cog = sog_cog(state[:, 2], state[:, 3])
    final_mmsi = np.array([tracker.mmsi_of.get(int(k), 0) for k in track_num.tolist()], dtype=np.int64)
    sensors_txt = {
        int(k): ",".join(tracker.sensor_names(tracker.sensors_mask(int(k)))) for k in confirmed.tolist()
    }
    out = kept.with_columns(
        pl.Series(
            "track_id", [track_id_of(k) if k >= 0 else None for k in track_num.tolist()], dtype=pl.Utf8
        ),
        pl.Series("mmsi", np.where(final_mmsi > 0, final_mmsi, mmsi), dtype=pl.Int64),
        pl.Series("est_lat", est_lat),
        pl.Series("est_lon", est_lon),
        pl.Series("est_sog_kn", est_sog),
        pl.Series("est_cog_deg", est_cog),
        pl.Series("nearest_ais_m", near_m),
        pl.Series("nearest_ais_mmsi", near_mmsi, dtype=pl.Int64),
        pl.Series("identified_at_contact", (track_mmsi > 0) | (kind == AIS)),
        pl.Series("track_sensors", [sensors_txt.get(k, "") for k in track_num.tolist()], dtype=pl.Utf8),
        pl.Series("_keep", keep),
    )
    out = (
        out.with_columns(
            pl.col("mmsi").replace(0, None),
            pl.col("nearest_ais_mmsi").replace(0, None),
            pl.col("nearest_ais_m").fill_nan(None),
            # a single satellite detection has no measured speed: only radar/AIS rows take the estimate
            pl.when(pl.col("sensor") == "satellite")
            .then(pl.col("sog_kn"))
            .otherwise(pl.col("sog_kn").fill_null(pl.col("est_sog_kn"))),
            pl.when(pl.col("sensor") == "satellite")
            .then(pl.col("cog_deg"))
            .otherwise(pl.col("cog_deg").fill_null(pl.col("est_cog_deg"))),
        )
        .filter(pl.col("_keep"))
        .drop("_keep", "_row")
    )
    out = out.with_columns(
        (
            (pl.col("sensor") != "ais")
            & ~pl.col("identified_at_contact")
            & (pl.col("nearest_ais_m").is_null() | (pl.col("nearest_ais_m") > config.dark_distance_m))
        ).alias("dark")
    )
    out = conform_positions(out)
    events = dark_target_events(
        out,
        config.dark_distance_m,
        {"ais_projection_max_s": config.ais_projection_max_s},
        dict(config.dark_min_contacts),
    )
    counts["dark_targets"] = len(events)
    log.info("fusion: %s", counts)
    return FusedResult(out, events, counts)


@dataclass
class ScanStep:
    """One scan batch of a `LiveFusion.scans` call: `index` are the positions (in the call's input) of
    its observations, `track_ids` the shown track each fed (None: a tentative track, or none), then the
    batch's track steps and its dark-target events (new or grown)."""

    index: list[int]
    track_ids: list[str | None]
    steps: list[TrackStep]
    events: list[Event]


class LiveFusion:
    """Incremental fusion for a live node: `ingest(observations)` per batch of new observations.

    Returns the track steps (created = confirmed, updated, deleted) and the dark-target events that
    are new or grew (same `event_id` as they grow). Observations should come in time order; each call
    is cut into the same scan batches as the bulk form.
    """

    def __init__(self, config: FusionConfig | None = None, frame: LocalFrame | None = None) -> None:
        self.config = config or FusionConfig()
        self.tracker = Tracker(self.config, frame)
        self.dark = DarkTargetAccumulator(
            self.config.dark_distance_m,
            {"ais_projection_max_s": self.config.ais_projection_max_s},
            dict(self.config.dark_min_contacts),
        )
        self._pending: dict[int, list[dict[str, Any]]] = {}  # tentative track -> its dark contacts so far
        self.identity = IdentityTracks() if self.config.association == "identity" else None

    def ingest(self, observations: list[Observation]) -> tuple[list[TrackStep], list[Event]]:
        steps: list[TrackStep] = []
        events: dict[str, Event] = {}
        for scan in self.scans(observations):
            steps.extend(scan.steps)
            for ev in scan.events:
                events[ev.event_id] = ev
        return steps, list(events.values())

    def scans(self, observations: Sequence[Observation]) -> Iterator[ScanStep]:
        """The batch cut into scan batches (time order) and run through the tracker, one `ScanStep`
        each. An AIS report without MMSI feeds no track (it is in no scan). With the identity
        association, one step for the whole batch in input order."""
        if self.identity is not None:
            ids, steps = self.identity.assign(observations)
            yield ScanStep(list(range(len(observations))), ids, steps, [])
            return
        idx = [i for i, o in enumerate(observations) if o.sensor != SensorKind.AIS or o.mmsi]
        if not idx:
            return
        idx.sort(key=lambda i: observations[i].time)
        usable = [observations[i] for i in idx]
        t = np.array([o.time.timestamp() for o in usable])
        contact = np.array([o.sensor != SensorKind.AIS for o in usable])
        tracker = self.tracker
        for lo, hi in itertools.pairwise(batch_bounds(t, contact, self.config.scan_window_s)):
            chunk = usable[lo:hi]
            res = tracker.process(tracker.batch_from_observations(chunk))
            shown = tracker.confirmed_nums
            ids = [track_id_of(n) if n >= 0 and n in shown else None for n in res.track_num.tolist()]
            yield ScanStep(idx[lo:hi], ids, tracker.steps_of(res, chunk), self._dark_events(res, chunk))

    def continue_numbering_after(self, last_num: int) -> None:
        """New fused tracks get numbers above `last_num` (a restarted node keeps its track ids unique)."""
        self.tracker.continue_numbering_after(last_num)

    def resume_identity(self, track_id: str, fix: LastFix) -> None:
        """Identity association, after a restart: a stored track's last fix."""
        if self.identity is not None:
            self.identity.resume(track_id, fix)

    def drop_older_than(self, epoch_s: float) -> None:
        """Identity association: forget tracks last reported before this data time (the tracker
        deletes its own tracks by their time-outs)."""
        if self.identity is not None:
            self.identity.drop_older_than(epoch_s)

    def _dark_events(self, res: BatchResult, chunk: list[Observation]) -> list[Event]:
        out: list[Event] = []
        confirmed = self.tracker.confirmed_nums
        for num, mmsi in res.relabelled:
            ev = self.dark.identify(track_id_of(num), mmsi)
            if ev is not None:
                out.append(ev)
        for i, o in enumerate(chunk):
            num = int(res.track_num[i])
            if o.sensor == SensorKind.AIS or num < 0:
                continue
            near = float(res.nearest_ais_m[i])
            identified = bool(res.track_mmsi is not None and res.track_mmsi[i] > 0)
            if not self.dark.is_dark(near, identified):
                continue
            contact = {
                "t": o.time.timestamp(),
                "lat": o.lat,
                "lon": o.lon,
                "sensor_kind": SensorKind(o.sensor).value,
                "sensor_id": o.station,
                "target_ref": o.target_ref,
                "nearest_ais_m": near,
                "nearest_ais_mmsi": int(res.nearest_ais_mmsi[i]) or None,
                "length_m": o.length_m,
                "sog_kn": o.sog_kn
                if o.sog_kn is not None or o.sensor == SensorKind.SATELLITE
                else _est_sog(res.state[i]),
                "scene_id": o.extra.get("scene_id"),
            }
            self._pending.setdefault(num, []).append(contact)
        for num in list(self._pending):
            if num in confirmed:
                named = self.tracker.mmsi_of.get(num)  # a vessel whose AIS went silent: its last identity
                for contact in self._pending.pop(num):
                    ev = self.dark.observe(track_id_of(num), **contact)
                    if ev is not None and named:
                        ev = self.dark.identify(track_id_of(num), named)  # as the bulk form names it
                    if ev is not None:
                        out.append(ev)
            elif not np.any(self.tracker.tracks.num == num):
                del self._pending[num]  # tentative track dropped: its contacts were clutter
        return out


def _est_sog(state: NDArray[np.float64]) -> float | None:
    sog, _ = sog_cog(state[2], state[3])
    return float(sog) if np.isfinite(sog) else None
