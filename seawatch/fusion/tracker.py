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

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from seawatch.fusion.ais_identity import process_ais
from seawatch.fusion.associate import associate
from seawatch.fusion.config import FusionConfig
from seawatch.fusion.delete import KIND_CODE, KINDS, expired, timeout_vector
from seawatch.fusion.frame import LocalFrame
from seawatch.fusion.gate import gate
from seawatch.fusion.initiate import initial_states, m_of_n
from seawatch.fusion.measurements import MeasurementBatch, observations_batch
from seawatch.fusion.predict import predict
from seawatch.fusion.revisit import RevisitClock
from seawatch.fusion.steps import TrackStep, steps_of
from seawatch.fusion.table import REF_SLOTS, BatchResult, TrackTable, repeated_reports
from seawatch.fusion.update import update
from seawatch.model.observation import Observation

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]

AIS = KIND_CODE["ais"]
RADAR = KIND_CODE["radar"]
SATELLITE = KIND_CODE["satellite"]
CONFIRM_AT_ONCE = {KIND_CODE["ais"], KIND_CODE["satellite"], KIND_CODE["sighting"], KIND_CODE["partner"]}
MAX_SENSOR_BITS = 62


class Tracker:
    """Multi-sensor tracker. `process(batch)` for arrays (bulk, bench); `step(observations)` for live use."""

    def __init__(self, config: FusionConfig | None = None, frame: LocalFrame | None = None) -> None:
        self.config = config or FusionConfig()
        self.frame = frame
        self.tracks = TrackTable()
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

    def new_tracks(self, b: MeasurementBatch, idx: IntArray) -> IntArray:
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
            id_seen=np.where(b.mmsi[idx] > 0, b.t[idx], np.nan),
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

    def apply_update(self, rows: IntArray, xp: Array, pp: Array, b: MeasurementBatch, idx: IntArray) -> None:
        tr = self.tracks
        z = np.column_stack([b.e[idx], b.n[idx]])
        xn, pn = update(xp, pp, z, b.r_var[idx])
        tr.x[rows], tr.p[rows] = xn, pn
        tr.t[rows] = np.maximum(tr.t[rows], b.t[idx])  # a late report (predicted as dt 0) keeps the clock
        tr.last_seen[rows, b.kind[idx]] = b.t[idx]
        named = b.mmsi[idx] > 0  # a report carrying the identity (AIS, a partner's identified track)
        tr.id_seen[rows[named]] = np.fmax(tr.id_seen[rows[named]], b.t[idx][named])
        tr.sensors[rows] |= np.left_shift(np.int64(1), b.sensor_bit[idx])
        assert b.ref is not None
        tr.last_ref[rows, b.sensor_bit[idx] % REF_SLOTS] = b.ref[idx]
        tr.hits[rows] += 1

    # ------------------------------------------------------------ contacts: GNN per sensor
    def _process_contacts(self, b: MeasurementBatch, idx: IntArray, res: BatchResult) -> None:
        tr = self.tracks
        c = self.config
        t_now = float(np.mean(b.t[idx]))
        n_tr = len(tr)
        xp, pp = predict(tr.x, tr.p, t_now - tr.t, c.accel_sigma_mps2)
        z = np.column_stack([b.e[idx], b.n[idx]])
        # nearest AIS vessel projected to the contact time: a vessel whose AIS was heard within
        # `ais_projection_max_s` (one that has since gone silent is no AIS vessel, even if radar still
        # follows it: its contacts are dark, as the definition says)
        with np.errstate(invalid="ignore"):
            ais_ok = (tr.mmsi > 0) & (t_now - tr.id_seen <= c.ais_projection_max_s)
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
            self.apply_update(at, xp[at], pp[at], b, idx[am])
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
            rows = self.new_tracks(b, new)
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
        process_ais(self, b, np.flatnonzero(is_ais), res)  # fusion/ais_identity.py
        rest = np.flatnonzero(~is_ais)
        if len(rest):
            bits = b.sensor_bit[rest]
            for bit in np.unique(bits).tolist():
                first, repeats, of = repeated_reports(b, rest[bits == bit])
                self._process_contacts(b, first, res)
                if repeats.size:  # a duplicated report is the same plot: no second track, no second hit
                    res.track_num[repeats] = res.track_num[of]
                    res.state[repeats] = res.state[of]
                    res.nearest_ais_m[repeats] = res.nearest_ais_m[of]
                    res.nearest_ais_mmsi[repeats] = res.nearest_ais_mmsi[of]
                    res.duplicates += int(repeats.size)
        res.track_mmsi = self._mmsi_now(res.track_num, b.t)
        self._delete(float(np.max(b.t)), res)
        self.confirmed_nums.update(res.confirmed)
        return res

    def _mmsi_now(self, nums: IntArray, t: Array) -> IntArray:
        """Per measurement, its track's MMSI while that identity is current: reported within
        `ais_projection_max_s` of the measurement time `t` (0: no identity, or one gone silent)."""
        tr = self.tracks
        out = np.zeros(len(nums), np.int64)
        if len(tr) == 0:
            return out
        pos = np.minimum(np.searchsorted(tr.num, nums), len(tr) - 1)
        hit = (nums >= 0) & (tr.num[pos] == nums)
        with np.errstate(invalid="ignore"):
            hit[hit] &= t[hit] - tr.id_seen[pos[hit]] <= self.config.ais_projection_max_s
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
    def batch_from_observations(self, observations: Sequence[Observation]) -> MeasurementBatch:
        return observations_batch(self, observations)

    def step(self, observations: list[Observation], time: datetime | None = None) -> list[TrackStep]:
        """Live form: one batch of observations -> created / updated / deleted track steps."""
        if not observations:
            return []
        b = self.batch_from_observations(observations)
        res = self.process(b)
        return self.steps_of(res, observations)

    def steps_of(self, res: BatchResult, observations: Sequence[Observation]) -> list[TrackStep]:
        return steps_of(self, res, observations)
