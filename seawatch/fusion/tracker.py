"""The tracker: composes predict, gate, associate, update, initiate and delete over one batch at a time.

Tracks live in numpy arrays (one row per live track); every role works on the whole batch at once.
- AIS reports (and any report carrying an MMSI, e.g. a partner's AIS track) are associated by
  identity first: the same MMSI updates the same track, unless the implied speed from the track's
  last position exceeds `ais_max_speed_kn` (then another track with that MMSI, or a new one: two
  ships sharing an MMSI get two tracks). An AIS vessel without a track first tries to take over an
  unidentified (radar/satellite) track in its gate: that track is re-labelled with the MMSI and
  keeps its id and history.
- Radar and satellite contacts are processed sensor by sensor (one radar's scan, one satellite
  scene), each as a global-nearest-neighbour assignment against every live track, so two radars
  seeing the same boat update one track that lists both sensors.
- Unassigned radar contacts start tentative tracks confirmed M-of-N per revisit of *their* sensor
  (hits in revisit periods elapsed since the first contact, period per site from `revisit.py`; at most
  one hit per half period, so a duplicated report is no hit); AIS and satellite start confirmed
  tracks. A track is deleted when every sensor kind that fed it has been silent longer than its
  time-out.
For each contact the distance to the nearest AIS-identified track projected to the contact time is
reported (`nearest_ais_m`), which is what the dark-target rule needs.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from seawatch.fusion.associate import associate
from seawatch.fusion.config import FusionConfig
from seawatch.fusion.delete import KIND_CODE, KINDS, expired, timeout_vector
from seawatch.fusion.frame import LocalFrame, sog_cog, velocity_en
from seawatch.fusion.gate import gate
from seawatch.fusion.initiate import initial_states, m_of_n
from seawatch.fusion.noise import as_cov, polar_cov
from seawatch.fusion.predict import predict
from seawatch.fusion.revisit import RevisitClock
from seawatch.fusion.update import update
from seawatch.model.observation import Observation, SensorKind
from seawatch.timeutil import utc_from_epoch

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

AIS = KIND_CODE["ais"]
RADAR = KIND_CODE["radar"]
SATELLITE = KIND_CODE["satellite"]
CONFIRM_AT_ONCE = {KIND_CODE["ais"], KIND_CODE["satellite"], KIND_CODE["sighting"], KIND_CODE["partner"]}
MAX_SENSOR_BITS = 62
KN = 1852.0 / 3600.0


def track_id_of(num: int) -> str:
    return f"T{num:06d}"


@dataclass
class MeasurementBatch:
    """Measurements as arrays in the local frame. `mmsi` 0 when unknown; `ve/vn` NaN when not reported."""

    t: Array
    e: Array
    n: Array
    r_var: Array  # (k,) isotropic variance or (k,3) covariance xx, xy, yy (m²)
    kind: IntArray
    sensor_bit: IntArray
    mmsi: IntArray
    ve: Array
    vn: Array
    ref: IntArray | None = None  # stable hash of the sensor's own target id (`target_ref`), 0: none

    def __post_init__(self) -> None:
        if self.ref is None:
            self.ref = np.zeros(len(self.t), np.int64)

    def __len__(self) -> int:
        return len(self.t)

    def subset(self, idx: IntArray) -> MeasurementBatch:
        return MeasurementBatch(*(getattr(self, f)[idx] for f in _BATCH_FIELDS))


_BATCH_FIELDS = ("t", "e", "n", "r_var", "kind", "sensor_bit", "mmsi", "ve", "vn", "ref")
REF_SLOTS = 4  # per track, the last target id of up to 4 sensors (slot = sensor bit % 4)


def ref_hash(target_ref: str | None) -> int:
    """Stable non-zero 31-bit hash of a sensor's target id (0 for none)."""
    return (zlib.crc32(target_ref.encode()) | 1) if target_ref else 0


@dataclass
class BatchResult:
    """Per measurement: its track number (-1: none), state after update (e, n, ve, vn), and the distance
    to / MMSI of the nearest projected AIS vessel (NaN / 0 for AIS reports). Plus the batch's track events."""

    track_num: IntArray
    state: Array
    nearest_ais_m: Array
    nearest_ais_mmsi: IntArray
    track_mmsi: IntArray | None = None  # MMSI of each measurement's track right after the batch (0: none)
    confirmed: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    relabelled: list[tuple[int, int]] = field(default_factory=list)
    duplicates: int = 0  # repeated reports (same sensor, target id and time): given their original's track


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


class _Table:
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
        self.last_ref = np.empty((0, REF_SLOTS), np.int64)
        self.ever_dark = np.empty(0, bool)  # some contact had no AIS vessel within dark_distance_m
        self.votes = np.empty(0, np.int64)  # consecutive AIS reports co-located with this anonymous track
        self.vote_mmsi = np.empty(0, np.int64)
        self.vote_t = np.empty(0)

    _FIELDS = (
        "num", "x", "p", "t", "mmsi", "confirmed", "hits", "scans", "born_t", "origin", "sensors",
        "last_seen", "ever_dark", "votes", "vote_mmsi", "vote_t", "last_ref",
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


class Tracker:
    """Multi-sensor tracker. `process(batch)` for arrays (bulk, bench); `step(observations)` for live use."""

    def __init__(self, config: FusionConfig | None = None, frame: LocalFrame | None = None) -> None:
        self.config = config or FusionConfig()
        self.frame = frame
        self.tracks = _Table()
        self._next_num = 1
        self._timeouts = timeout_vector(self.config.timeout_s)
        self.sensor_bits: dict[str, int] = {}
        self.mmsi_of: dict[int, int] = {}  # track number -> MMSI, for every track that ever had one
        self.sensors_of: dict[int, int] = {}  # track number -> sensor bitmask, for deleted tracks
        self.confirmed_nums: set[int] = set()
        self.revisit = RevisitClock()

    def continue_numbering_after(self, last_num: int) -> None:
        """New tracks get numbers above `last_num` (a restarted node keeps its track ids unique)."""
        self._next_num = max(self._next_num, int(last_num) + 1)

    # ------------------------------------------------------------ helpers
    def sensor_bit(self, key: str) -> int:
        bit = self.sensor_bits.get(key)
        if bit is None:
            bit = min(len(self.sensor_bits), MAX_SENSOR_BITS)
            self.sensor_bits[key] = bit
            period = self.config.revisit_s.get(key.removeprefix("radar:"))
            if period is not None:
                self.revisit.configure(bit, period)
        return bit

    def sensor_names(self, mask: int) -> tuple[str, ...]:
        return tuple(k for k, b in self.sensor_bits.items() if mask >> b & 1)

    def _ensure_frame(self, lat: Array, lon: Array) -> LocalFrame:
        if self.frame is None:
            c = self.config
            lat0 = c.origin_lat if c.origin_lat is not None else float(np.nanmean(lat))
            # circular mean, so a picture across the antimeridian is centred on it, not on Greenwich
            rad = np.radians(lon)
            mean_lon = float(np.degrees(np.arctan2(np.nanmean(np.sin(rad)), np.nanmean(np.cos(rad)))))
            lon0 = c.origin_lon if c.origin_lon is not None else mean_lon
            self.frame = LocalFrame(lat0, lon0)
        return self.frame

    def _new_tracks(self, b: MeasurementBatch, idx: IntArray) -> IntArray:
        """Create tracks from measurements idx; returns their table rows."""
        k = len(idx)
        z = np.column_stack([b.e[idx], b.n[idx]])
        x, p = initial_states(
            z,
            b.r_var[idx],
            np.column_stack([b.ve[idx], b.vn[idx]]),
            np.full(k, self.config.init_speed_sigma_mps),
        )
        nums = np.arange(self._next_num, self._next_num + k, dtype=np.int64)
        self._next_num += k
        last_seen = np.full((k, len(KINDS)), np.nan)
        last_seen[np.arange(k), b.kind[idx]] = b.t[idx]
        assert b.ref is not None
        last_ref = np.zeros((k, REF_SLOTS), np.int64)
        last_ref[np.arange(k), b.sensor_bit[idx] % REF_SLOTS] = b.ref[idx]
        at_once = np.isin(b.kind[idx], list(CONFIRM_AT_ONCE))
        rows = self.tracks.append(
            num=nums,
            x=x,
            p=p,
            t=b.t[idx].copy(),
            mmsi=b.mmsi[idx].copy(),
            confirmed=at_once,
            hits=np.ones(k, np.int64),
            scans=np.ones(k, np.int64),
            born_t=b.t[idx].copy(),
            origin=b.sensor_bit[idx].copy(),
            sensors=np.left_shift(np.int64(1), b.sensor_bit[idx]),
            last_seen=last_seen,
            ever_dark=np.zeros(k, bool),
            votes=np.zeros(k, np.int64),
            vote_mmsi=np.zeros(k, np.int64),
            vote_t=np.full(k, -np.inf),
            last_ref=last_ref,
        )
        for num, mmsi in zip(
            nums[b.mmsi[idx] > 0].tolist(), b.mmsi[idx][b.mmsi[idx] > 0].tolist(), strict=True
        ):
            self.mmsi_of[num] = mmsi
        return rows

    def _apply_update(self, rows: IntArray, xp: Array, pp: Array, b: MeasurementBatch, idx: IntArray) -> None:
        tr = self.tracks
        z = np.column_stack([b.e[idx], b.n[idx]])
        xn, pn = update(xp, pp, z, b.r_var[idx])
        tr.x[rows], tr.p[rows] = xn, pn
        tr.t[rows] = np.maximum(tr.t[rows], b.t[idx])  # a late report (predicted as dt 0) keeps the clock
        tr.last_seen[rows, b.kind[idx]] = b.t[idx]
        tr.sensors[rows] |= np.left_shift(np.int64(1), b.sensor_bit[idx])
        assert b.ref is not None
        tr.last_ref[rows, b.sensor_bit[idx] % REF_SLOTS] = b.ref[idx]
        tr.hits[rows] += 1

    # ------------------------------------------------------------ AIS: identity first
    def _process_ais(self, b: MeasurementBatch, idx: IntArray, res: BatchResult) -> None:
        if len(idx) == 0:
            return
        order = idx[np.lexsort((b.t[idx], b.mmsi[idx]))]
        mm = b.mmsi[order]
        first = np.r_[True, mm[1:] != mm[:-1]]
        grp_start = np.maximum.accumulate(np.where(first, np.arange(len(mm)), 0))
        rank = np.arange(len(mm)) - grp_start
        for r in range(int(rank.max()) + 1):
            self._ais_round(b, order[rank == r], res)

    def _ais_round(self, b: MeasurementBatch, idx: IntArray, res: BatchResult) -> None:
        tr = self.tracks
        c = self.config
        has = tr.mmsi > 0
        rows_by_mmsi = np.flatnonzero(has)
        sorted_rows = rows_by_mmsi[np.argsort(tr.mmsi[rows_by_mmsi], kind="stable")]
        sorted_mmsi = tr.mmsi[sorted_rows]
        pos = np.searchsorted(sorted_mmsi, b.mmsi[idx])
        pos_c = np.minimum(pos, max(len(sorted_mmsi) - 1, 0))
        found = (
            (len(sorted_mmsi) > 0) & (sorted_mmsi[pos_c] == b.mmsi[idx])
            if len(sorted_mmsi)
            else np.zeros(len(idx), bool)
        )
        cand = np.where(found, sorted_rows[pos_c] if len(sorted_rows) else 0, -1)
        # kinematic check against the candidate's last position
        m_idx, rows = idx[found], cand[found]
        dt = b.t[m_idx] - tr.t[rows]
        dist = np.hypot(b.e[m_idx] - tr.x[rows, 0], b.n[m_idx] - tr.x[rows, 1])
        ok = dist <= c.ais_max_speed_kn * KN * np.abs(dt) + 1_000.0
        # rare: another track with the same MMSI, or a second ship sharing it
        for j in np.flatnonzero(~ok).tolist():
            m = int(m_idx[j])
            others = np.flatnonzero(tr.mmsi == b.mmsi[m])
            d = np.hypot(b.e[m] - tr.x[others, 0], b.n[m] - tr.x[others, 1])
            allowed = c.ais_max_speed_kn * KN * np.abs(b.t[m] - tr.t[others]) + 1_000.0
            fit = others[d <= allowed]
            if len(fit):
                rows[j] = fit[np.argmin(d[d <= allowed])]
                ok[j] = True
        u_idx, u_rows = m_idx[ok], rows[ok]
        if len(u_idx):
            xp, pp = predict(tr.x[u_rows], tr.p[u_rows], b.t[u_idx] - tr.t[u_rows], c.accel_sigma_mps2)
            self._apply_update(u_rows, xp, pp, b, u_idx)
            res.track_num[u_idx] = tr.num[u_rows]
            res.state[u_idx] = tr.x[u_rows]
        new_idx = np.concatenate([idx[~found], m_idx[~ok]])
        if len(new_idx):
            self._identify_or_create(b, new_idx, idx, has, res)
        if len(u_idx) and c.merge_votes > 0:
            self._merge_duplicates(u_rows, float(np.max(b.t[u_idx])), res)

    def _identify_or_create(
        self, b: MeasurementBatch, new_idx: IntArray, idx: IntArray, has: BoolArray, res: BatchResult
    ) -> None:
        tr = self.tracks
        c = self.config
        # an unknown MMSI may be the identity of an unidentified track: re-label it, history kept
        shared = np.isin(b.mmsi[new_idx], tr.mmsi[has])  # sharing an MMSI: never steal another track
        try_idx = new_idx[~shared]
        taken = np.zeros(len(new_idx), bool)
        anon = np.flatnonzero((tr.mmsi == 0) & tr.confirmed & (np.max(b.t[idx]) - tr.t <= c.coast_max_s))
        if len(try_idx) and len(anon):
            t_now = float(np.max(b.t[try_idx]))
            xp, pp = predict(tr.x[anon], tr.p[anon], t_now - tr.t[anon], c.accel_sigma_mps2)
            z = np.column_stack([b.e[try_idx], b.n[try_idx]])
            g = gate(xp, pp, z, b.r_var[try_idx], c.gate_chi2, c.gate_max_m)
            at, am = associate(len(anon), len(try_idx), g.track, g.meas, g.cost)
            if len(at):
                rows_r = anon[at]
                m_r = try_idx[am]
                tr.mmsi[rows_r] = b.mmsi[m_r]
                for num, mmsi in zip(tr.num[rows_r].tolist(), b.mmsi[m_r].tolist(), strict=True):
                    self.mmsi_of[num] = mmsi
                    res.relabelled.append((num, mmsi))
                self._apply_update(rows_r, xp[at], pp[at], b, m_r)
                res.track_num[m_r] = tr.num[rows_r]
                res.state[m_r] = tr.x[rows_r]
                taken[np.flatnonzero(~shared)[am]] = True
        create = new_idx[~taken]
        if len(create):
            rows_c = self._new_tracks(b, create)
            res.track_num[create] = tr.num[rows_c]
            res.state[create] = tr.x[rows_c]
            res.confirmed.extend(tr.num[rows_c].tolist())

    def _merge_duplicates(self, ais_rows: IntArray, t_now: float, res: BatchResult) -> None:
        """An anonymous track that was never dark and sits on an AIS track for `merge_votes` consecutive
        AIS reports is the same vessel seen twice (e.g. radar took it over during an AIS silence): it is
        re-labelled with the MMSI (history kept) and closed, so the vessel has one track again. A track
        that was ever dark is never merged into another vessel (a go-fast alongside a ship stays dark)."""
        tr = self.tracks
        c = self.config
        anon = np.flatnonzero((tr.mmsi == 0) & tr.confirmed & ~tr.ever_dark & (t_now - tr.t <= c.coast_max_s))
        if len(anon) == 0:
            return
        ais_rows = np.unique(ais_rows)
        xa, pa = predict(tr.x[anon], tr.p[anon], t_now - tr.t[anon], c.accel_sigma_mps2)
        xs, ps = predict(tr.x[ais_rows], tr.p[ais_rows], t_now - tr.t[ais_rows], c.accel_sigma_mps2)
        r_var = 0.5 * (ps[:, 0, 0] + ps[:, 1, 1])
        g = gate(xa, pa, xs[:, :2], r_var, c.gate_chi2, c.gate_max_m)
        ia, js = associate(len(anon), len(ais_rows), g.track, g.meas, g.cost)
        if len(ia) == 0:
            return
        rows_a = anon[ia]
        mm = tr.mmsi[ais_rows[js]]
        same = (tr.vote_mmsi[rows_a] == mm) & (t_now - tr.vote_t[rows_a] <= c.coast_max_s)
        tr.votes[rows_a] = np.where(same, tr.votes[rows_a] + 1, 1)
        tr.vote_mmsi[rows_a] = mm
        tr.vote_t[rows_a] = t_now
        merge = rows_a[tr.votes[rows_a] >= c.merge_votes]
        if len(merge) == 0:
            return
        drop = np.zeros(len(tr), bool)
        drop[merge] = True
        for num, mmsi, mask, conf in zip(
            tr.num[merge].tolist(), tr.vote_mmsi[merge].tolist(), tr.sensors[merge].tolist(),
            tr.confirmed[merge].tolist(), strict=True,
        ):  # fmt: skip
            self.mmsi_of[num] = mmsi
            self.sensors_of[num] = mask
            res.relabelled.append((num, mmsi))
            if conf:
                res.deleted.append(num)
        tr.keep(~drop)

    # ------------------------------------------------------------ contacts: GNN per sensor
    def _process_contacts(self, b: MeasurementBatch, idx: IntArray, res: BatchResult) -> None:
        tr = self.tracks
        c = self.config
        t_now = float(np.mean(b.t[idx]))
        n_tr = len(tr)
        xp, pp = predict(tr.x, tr.p, t_now - tr.t, c.accel_sigma_mps2)
        z = np.column_stack([b.e[idx], b.n[idx]])
        # nearest AIS vessel projected to the contact time
        with np.errstate(invalid="ignore"):
            last = np.nanmax(np.where(np.isnan(tr.last_seen), -np.inf, tr.last_seen), axis=1)
        ais_ok = (tr.mmsi > 0) & (t_now - last <= c.ais_projection_max_s)
        if ais_ok.any():
            ais_rows = np.flatnonzero(ais_ok)
            d, k = cKDTree(xp[ais_rows, :2]).query(z, k=1)
            res.nearest_ais_m[idx] = d
            res.nearest_ais_mmsi[idx] = tr.mmsi[ais_rows[k]]
        else:
            res.nearest_ais_m[idx] = np.inf
        # only tracks updated within `coast_max_s` may take a contact (a long-silent AIS track, kept for
        # its identity, must not swallow a dark contact with its inflated covariance)
        fresh = np.flatnonzero(t_now - tr.t <= c.coast_max_s)
        g = gate(xp[fresh], pp[fresh], z, b.r_var[idx], c.gate_chi2, c.gate_max_m)
        # an ARPA keeps its own target number: a contact carrying the number last seen on a confirmed
        # radar-only track is preferred (bonus to the log-likelihood cost) among the gated candidates;
        # AIS tracks are kept on their vessel by identity, not by the radar's numbering
        assert b.ref is not None
        ref = b.ref[idx[g.meas]]
        rows_g = fresh[g.track]
        same = (
            (ref != 0)
            & tr.confirmed[rows_g]
            & (tr.mmsi[rows_g] == 0)
            & (tr.last_ref[rows_g, b.sensor_bit[idx[g.meas]] % REF_SLOTS] == ref)
        )
        cost = g.cost - c.ref_bonus * same
        at, am = associate(len(fresh), len(idx), g.track, g.meas, cost)
        at = fresh[at]
        bit = int(b.sensor_bit[idx[0]])
        assert b.ref is not None
        self.revisit.observe(bit, b.ref[idx], b.t[idx])
        period_s = self.revisit.period_s(bit)
        if len(at):
            # a tentative track scores at most one hit per half revisit (a duplicate is no new hit)
            too_soon = ~tr.confirmed[at] & (b.t[idx[am]] - tr.t[at] < 0.5 * (period_s or 0.0))
            self._apply_update(at, xp[at], pp[at], b, idx[am])
            tr.hits[at[too_soon]] -= 1
            res.track_num[idx[am]] = tr.num[at]
            res.state[idx[am]] = tr.x[at]
            tr.ever_dark[at] |= res.nearest_ais_m[idx[am]] > c.dark_distance_m
        # M-of-N for tentative tracks started by this sensor, over the revisits elapsed since the first
        # contact (a revisit counts as passed half a period after it was due: reports jitter)
        tent = ~tr.confirmed & (tr.origin == bit)
        tent[n_tr:] = False
        if period_s is None:
            # period not known yet: a site numbering its targets (an ARPA) will tell it within a revisit
            # or two, so no miss is counted meanwhile; a site without numbers reports all its targets
            # at once, one scan per batch
            if not b.ref[idx].any():
                tr.scans[:n_tr][tent[:n_tr]] += 1
        else:
            elapsed = np.floor((t_now - tr.born_t[:n_tr][tent[:n_tr]]) / period_s - 0.5)
            tr.scans[:n_tr][tent[:n_tr]] = 1 + np.maximum(elapsed, 0).astype(np.int64)
        free = np.ones(len(idx), bool)
        free[am] = False
        new = idx[free]
        if len(new):
            rows = self._new_tracks(b, new)
            tr.ever_dark[rows] = res.nearest_ais_m[new] > c.dark_distance_m
            res.track_num[new] = tr.num[rows]
            res.state[new] = tr.x[rows]
            res.confirmed.extend(tr.num[rows][tr.confirmed[rows]].tolist())
        check = np.flatnonzero(tent)
        if len(check):
            confirm, fail = m_of_n(tr.hits[check], tr.scans[check], c.init_m, c.init_n)
            tr.confirmed[check[confirm]] = True
            res.confirmed.extend(tr.num[check[confirm]].tolist())
            if fail.any():
                drop = np.zeros(len(tr), bool)
                drop[check[fail]] = True
                tr.keep(~drop)

    # ------------------------------------------------------------ the batch
    def process(self, b: MeasurementBatch) -> BatchResult:
        m = len(b)
        res = BatchResult(
            track_num=np.full(m, -1, np.int64),
            state=np.full((m, 4), np.nan),
            nearest_ais_m=np.full(m, np.nan),
            nearest_ais_mmsi=np.zeros(m, np.int64),
        )
        if m == 0:
            return res
        # a track silent for longer than its time-out may not take a new measurement
        self._delete(float(np.min(b.t)), res, inclusive=False)
        is_ais = b.mmsi > 0  # identified reports (AIS, or partner tracks carrying an MMSI): identity first
        self._process_ais(b, np.flatnonzero(is_ais), res)
        rest = np.flatnonzero(~is_ais)
        if len(rest):
            bits = b.sensor_bit[rest]
            for bit in np.unique(bits).tolist():
                first, repeats, of = _repeated_reports(b, rest[bits == bit])
                self._process_contacts(b, first, res)
                if repeats.size:  # a duplicated report is the same plot: no second track, no second hit
                    res.track_num[repeats] = res.track_num[of]
                    res.state[repeats] = res.state[of]
                    res.nearest_ais_m[repeats] = res.nearest_ais_m[of]
                    res.nearest_ais_mmsi[repeats] = res.nearest_ais_mmsi[of]
                    res.duplicates += int(repeats.size)
        res.track_mmsi = self._mmsi_now(res.track_num)
        self._delete(float(np.max(b.t)), res)
        self.confirmed_nums.update(res.confirmed)
        return res

    def _mmsi_now(self, nums: IntArray) -> IntArray:
        tr = self.tracks
        out = np.zeros(len(nums), np.int64)
        if len(tr) == 0:
            return out
        pos = np.minimum(np.searchsorted(tr.num, nums), len(tr) - 1)
        hit = (nums >= 0) & (tr.num[pos] == nums)
        out[hit] = tr.mmsi[pos[hit]]
        return out

    def _delete(self, now: float, res: BatchResult, inclusive: bool = True) -> None:
        tr = self.tracks
        gone = expired(tr.last_seen, now, self._timeouts, inclusive)
        if gone.any():
            for num, mask, conf in zip(
                tr.num[gone].tolist(), tr.sensors[gone].tolist(), tr.confirmed[gone].tolist(), strict=True
            ):
                self.sensors_of[num] = mask
                if conf:
                    res.deleted.append(num)
            tr.keep(~gone)

    def sensors_mask(self, num: int) -> int:
        hit = np.flatnonzero(self.tracks.num == num)
        return int(self.tracks.sensors[hit[0]]) if len(hit) else self.sensors_of.get(num, 0)

    # ------------------------------------------------------------ observations (live)
    def batch_from_observations(self, observations: list[Observation]) -> MeasurementBatch:
        lat = np.array([o.lat for o in observations], dtype=float)
        lon = np.array([o.lon for o in observations], dtype=float)
        frame = self._ensure_frame(lat, lon)
        e, n = frame.to_en(lat, lon)
        kind = np.array([KIND_CODE[SensorKind(o.sensor).value] for o in observations], dtype=np.int64)
        keys = [sensor_key(SensorKind(o.sensor).value, o.station) for o in observations]
        sigma = np.array(
            [
                float(o.extra.get("sigma_m") or self._default_sigma(SensorKind(o.sensor).value))
                for o in observations
            ]
        )
        r_cov = as_cov(sigma**2)
        for i, o in enumerate(observations):
            if not self.config.radar_error_ellipse:
                break
            ex = o.extra
            if (
                ex
                and ex.get("range_sigma_m")
                and ex.get("cross_sigma_m")
                and ex.get("bearing_deg") is not None
            ):
                r_cov[i] = polar_cov(ex["range_sigma_m"], ex["cross_sigma_m"], ex["bearing_deg"])[0]
        ve, vn = velocity_en(
            [np.nan if o.sog_kn is None else o.sog_kn for o in observations],
            [np.nan if o.cog_deg is None else o.cog_deg for o in observations],
        )
        return MeasurementBatch(
            t=np.array([o.time.timestamp() for o in observations]),
            e=e,
            n=n,
            r_var=r_cov,
            kind=kind,
            sensor_bit=np.array([self.sensor_bit(k) for k in keys], dtype=np.int64),
            mmsi=np.array([o.mmsi or 0 for o in observations], dtype=np.int64),
            ref=np.array([ref_hash(o.target_ref) for o in observations], dtype=np.int64),
            ve=ve,
            vn=vn,
        )

    def _default_sigma(self, kind: str) -> float:
        c = self.config
        return {"ais": c.ais_sigma_m, "radar": c.radar_sigma_m, "satellite": c.satellite_sigma_m}.get(
            kind, c.radar_sigma_m
        )

    def step(self, observations: list[Observation], time: datetime | None = None) -> list[TrackStep]:
        """Live form: one batch of observations -> created / updated / deleted track steps."""
        if not observations:
            return []
        b = self.batch_from_observations(observations)
        res = self.process(b)
        return self.steps_of(res, observations)

    def steps_of(self, res: BatchResult, observations: list[Observation]) -> list[TrackStep]:
        assert self.frame is not None
        steps: list[TrackStep] = []
        created = set(res.confirmed)
        tr = self.tracks
        latest: dict[int, int] = {}
        for i, num in enumerate(res.track_num.tolist()):
            if num >= 0 and num in self.confirmed_nums:
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
            lats, lons = self.frame.to_latlon(x[:, 0], x[:, 1])
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
                    sensors = names[mask] = self.sensor_names(mask)
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
                    mmsi=self.mmsi_of.get(num),
                    sensors=self.sensor_names(self.sensors_of.get(num, 0)),
                    sources=(),
                )
            )
        return steps


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


def _repeated_reports(b: MeasurementBatch, idx: IntArray) -> tuple[IntArray, IntArray, IntArray]:
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


def sensor_key(kind: str, station: str | None) -> str:
    """Provenance name of a sensor: `radar:<site>`; AIS and satellite as one sensor each per kind."""
    if kind == "radar" and station:
        return f"radar:{station}"
    return kind
