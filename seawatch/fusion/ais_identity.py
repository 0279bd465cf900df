"""AIS reports (and any report carrying an MMSI, e.g. a partner's AIS track) associated by identity:
the same MMSI updates the same track unless the implied speed from its last position exceeds
`ais_max_speed_kn` (then another track with that MMSI, or a new one: two ships sharing an MMSI get two
tracks); an AIS vessel without a track first takes over an unidentified track in its gate (re-labelled,
id and history kept); an anonymous track sitting on an AIS track for `merge_votes` reports is merged
into it. One step of `Tracker.process` (fusion/tracker.py); the `identity` association mode, which does
no kinematic association at all, is fusion/identity.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from seawatch.fusion.associate import associate
from seawatch.fusion.gate import gate
from seawatch.fusion.measurements import MeasurementBatch
from seawatch.fusion.predict import predict
from seawatch.fusion.table import BatchResult

if TYPE_CHECKING:
    from seawatch.fusion.tracker import Tracker

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
KN = 1852.0 / 3600.0


def process_ais(trk: Tracker, b: MeasurementBatch, idx: IntArray, res: BatchResult) -> None:
    if len(idx) == 0:
        return
    order = idx[np.lexsort((b.t[idx], b.mmsi[idx]))]
    mm = b.mmsi[order]
    first = np.r_[True, mm[1:] != mm[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(len(mm)), 0))
    rank = np.arange(len(mm)) - grp_start
    for r in range(int(rank.max()) + 1):
        _ais_round(trk, b, order[rank == r], res)


def _ais_round(trk: Tracker, b: MeasurementBatch, idx: IntArray, res: BatchResult) -> None:
    tr = trk.tracks
    c = trk.config
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
        trk.apply_update(u_rows, xp, pp, b, u_idx)
        res.track_num[u_idx] = tr.num[u_rows]
        res.state[u_idx] = tr.x[u_rows]
    new_idx = np.concatenate([idx[~found], m_idx[~ok]])
    if len(new_idx):
        _identify_or_create(trk, b, new_idx, idx, has, res)
    if len(u_idx) and c.merge_votes > 0:
        _merge_duplicates(trk, u_rows, float(np.max(b.t[u_idx])), res)


def _identify_or_create(
    trk: Tracker, b: MeasurementBatch, new_idx: IntArray, idx: IntArray, has: BoolArray, res: BatchResult
) -> None:
    tr = trk.tracks
    c = trk.config
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
                trk.mmsi_of[num] = mmsi
                res.relabelled.append((num, mmsi))
            trk.apply_update(rows_r, xp[at], pp[at], b, m_r)
            res.track_num[m_r] = tr.num[rows_r]
            res.state[m_r] = tr.x[rows_r]
            taken[np.flatnonzero(~shared)[am]] = True
    create = new_idx[~taken]
    if len(create):
        rows_c = trk.new_tracks(b, create)
        res.track_num[create] = tr.num[rows_c]
        res.state[create] = tr.x[rows_c]
        res.confirmed.extend(tr.num[rows_c].tolist())


def _merge_duplicates(trk: Tracker, ais_rows: IntArray, t_now: float, res: BatchResult) -> None:
    """An anonymous track that was never dark and sits on an AIS track for `merge_votes` consecutive
    AIS reports is the same vessel seen twice (e.g. radar took it over during an AIS silence): it is
    re-labelled with the MMSI (history kept) and closed, so the vessel has one track again. A track
    that was ever dark is never merged into another vessel (a go-fast alongside a ship stays dark)."""
    tr = trk.tracks
    c = trk.config
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
        trk.mmsi_of[num] = mmsi
        trk.sensors_of[num] = mask
        res.relabelled.append((num, mmsi))
        if conf:
            res.deleted.append(num)
    tr.keep(~drop)
