"""Tracker roles and behaviour on simulated scans with ground truth."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from seawatch.fusion.config import FusionConfig
from seawatch.fusion.frame import LocalFrame
from seawatch.fusion.metrics import gospa, ospa, purity_completeness
from seawatch.fusion.pipeline import LiveFusion, fuse_frame
from seawatch.fusion.predict import predict
from seawatch.fusion.synthetic import make_truth, radar_scans
from seawatch.fusion.tracker import MeasurementBatch, Tracker
from seawatch.fusion.update import update
from seawatch.model.columns import conform_positions
from seawatch.model.observation import Observation, SensorKind

ORIGIN = (17.5, -76.5)
FRAME = LocalFrame(*ORIGIN)
T0 = 1_700_000_000.0


def radar_batch(t: float, z: np.ndarray, sigma_m: float = 30.0, bit: int = 0) -> MeasurementBatch:
    k = len(z)
    return MeasurementBatch(
        t=np.full(k, t), e=z[:, 0].copy(), n=z[:, 1].copy(), r_var=np.full(k, sigma_m**2),
        kind=np.full(k, 1, np.int64), sensor_bit=np.full(k, bit, np.int64), mmsi=np.zeros(k, np.int64),
        ve=np.full(k, np.nan), vn=np.full(k, np.nan),
    )  # fmt: skip


def rows(sensor: str, t: float, e: float, n: float, **extra: object) -> dict[str, object]:
    lat, lon = FRAME.to_latlon(e, n)
    return {"t": t, "lat": float(lat), "lon": float(lon), "sensor": sensor, "source": "test", **extra}


# ------------------------------------------------------------------ roles
def test_predict_and_update_match_textbook_kalman() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4))
    a = rng.normal(size=(5, 4, 4))
    p = np.einsum("kij,klj->kil", a, a) + np.eye(4)
    dt = rng.uniform(0, 10, 5)
    xp, pp = predict(x, p, dt, 0.5)
    q = 0.25
    for k in range(5):
        f = np.eye(4)
        f[0, 2] = f[1, 3] = dt[k]
        d = dt[k]
        qm = q * np.array(
            [[d**3 / 3, 0, d**2 / 2, 0], [0, d**3 / 3, 0, d**2 / 2], [d**2 / 2, 0, d, 0], [0, d**2 / 2, 0, d]]
        )
        np.testing.assert_allclose(xp[k], f @ x[k])
        np.testing.assert_allclose(pp[k], f @ p[k] @ f.T + qm, atol=1e-9)
    z = rng.normal(size=(5, 2))
    r = rng.uniform(1, 4, 5)
    xn, pn = update(xp, pp, z, r)
    for k in range(5):
        h = np.zeros((2, 4))
        h[0, 0] = h[1, 1] = 1
        s = h @ pp[k] @ h.T + r[k] * np.eye(2)
        gain = pp[k] @ h.T @ np.linalg.inv(s)
        np.testing.assert_allclose(xn[k], xp[k] + gain @ (z[k] - h @ xp[k]), atol=1e-9)
        np.testing.assert_allclose(pn[k], (np.eye(4) - gain @ h) @ pp[k], atol=1e-9)


# ------------------------------------------------------------------ quality on simulated scans
def test_purity_completeness_and_gospa_floors() -> None:
    truth = make_truth(60, 60, scan_s=5.0, area_m=80_000, seed=11)
    scans = radar_scans(truth, sigma_m=30.0, pd=0.9, clutter=10, area_m=80_000, seed=12)
    tracker = Tracker(FusionConfig(radar_sigma_m=30.0))
    pairs: list[tuple[int, int]] = []
    gospas, ospas = [], []
    for k, scan in enumerate(scans):
        res = tracker.process(radar_batch(scan.t, scan.z))
        if k >= 5:
            pairs += list(zip(scan.truth_id.tolist(), res.track_num.tolist(), strict=True))
            tr = tracker.tracks
            xp, _ = predict(tr.x[tr.confirmed], tr.p[tr.confirmed], scan.t - tr.t[tr.confirmed], 0.5)
            gospas.append(gospa(truth.x[k, :, :2], xp[:, :2], c=500.0).distance / np.sqrt(len(truth.x[k])))
            ospas.append(ospa(truth.x[k, :, :2], xp[:, :2], c=500.0))
    confirmed = tracker.confirmed_nums
    pairs = [(g, t if t in confirmed else -1) for g, t in pairs]
    purity, completeness = purity_completeness(pairs)
    # floors recorded on this scenario (measured: purity 1.0000, completeness 0.9997,
    # GOSPA/√n 38.6 m, OSPA 45.1 m with c = 500 m, σ = 30 m, Pd 0.9, 10 clutter plots per scan)
    assert purity >= 0.995
    assert completeness >= 0.98
    assert np.mean(gospas) <= 50.0
    assert np.mean(ospas) <= 60.0
    # clutter never becomes a confirmed track
    clutter_tracks = {t for g, t in pairs if g == -1 and t >= 0}
    assert len(clutter_tracks) <= 1


def test_m_of_n_drops_isolated_clutter() -> None:
    positions = conform_positions(
        pl.DataFrame([rows("radar", T0 + 5 * k, 1000.0 * k, 0.0, station="R1") for k in range(3)])
    )
    # three plots 1 km apart every 5 s (200 m/s): never the same boat, so no track confirms
    res = fuse_frame(positions, FusionConfig())
    assert res.tracks.height == 0 and res.counts["dropped:unconfirmed"] == 3 and res.events == []


# ------------------------------------------------------------------ identity, provenance, relabelling
def test_two_radars_same_boat_give_one_track_listing_both() -> None:
    recs = []
    for k in range(12):
        t = T0 + 3 * k
        e, n = 100.0 + 10.0 * 3 * k, 2000.0
        recs.append(rows("radar", t, e + 20, n - 15, station="R1", target_ref="R1:4", sigma_m=40.0))
        recs.append(rows("radar", t + 0.4, e - 25, n + 10, station="R2", target_ref="R2:17", sigma_m=40.0))
    res = fuse_frame(conform_positions(pl.DataFrame(recs)))
    assert res.tracks["track_id"].n_unique() == 1
    assert res.tracks["track_sensors"].unique().to_list() == ["radar:R1,radar:R2"]
    (ev,) = res.events
    assert (
        ev.type == "dark_target"
        and set(ev.details["sensors"]) == {"R1", "R2"}
        and ev.details["contacts"] == 24
    )


def test_ais_identity_first_and_shared_mmsi_splits() -> None:
    recs = []
    for k in range(10):
        t = T0 + 10 * k
        recs.append(rows("ais", t, 50.0 * k, 0.0, mmsi=111, sog_kn=9.7, cog_deg=90.0))
        recs.append(rows("ais", t + 1, 50.0 * k, 30_000.0, mmsi=222, sog_kn=9.7, cog_deg=90.0))
        recs.append(
            rows("ais", t + 2, 50.0 * k, -60_000.0, mmsi=222, sog_kn=9.7, cog_deg=90.0)
        )  # same MMSI, 90 km away
    res = fuse_frame(conform_positions(pl.DataFrame(recs)))
    per = res.tracks.group_by("mmsi").agg(pl.col("track_id").n_unique())
    assert dict(per.iter_rows()) == {111: 1, 222: 2}
    assert res.events == []


def test_radar_only_track_relabelled_by_ais_keeps_history() -> None:
    recs = [rows("radar", T0 + 3 * k, 30.0 * k, 5000.0, station="R1", target_ref="R1:1") for k in range(10)]
    # then the boat switches AIS on, right where radar sees it, and radar keeps seeing it
    for k in range(10, 20):
        recs.append(rows("radar", T0 + 3 * k, 30.0 * k, 5000.0, station="R1", target_ref="R1:1"))
        recs.append(
            rows("ais", T0 + 3 * k + 1, 30.0 * k + 10, 5000.0, mmsi=338123456, sog_kn=19.4, cog_deg=90.0)
        )
    frame = conform_positions(pl.DataFrame(recs))
    res = fuse_frame(frame)
    assert res.tracks["track_id"].n_unique() == 1  # one track from first radar plot to last AIS report
    assert res.tracks["mmsi"].unique().to_list() == [338123456]  # history re-labelled
    radar = res.tracks.filter(pl.col("sensor") == "radar")
    assert radar["identified_at_contact"].to_list() == [False] * 10 + [True] * 10
    (ev,) = res.events
    assert ev.details["identified_mmsi"] == 338123456 and ev.details["contacts"] == 10
    # live form: same dark event (same id, same end, same details)
    obs = [
        Observation(
            time=datetime.fromtimestamp(r["t"], UTC), lat=r["lat"], lon=r["lon"],
            sensor=SensorKind(r["sensor"]), source="test", mmsi=r.get("mmsi"),
            target_ref=r.get("target_ref"), station=r.get("station"),
            sog_kn=r.get("sog_kn"), cog_deg=r.get("cog_deg"),
        )
        for r in sorted(recs, key=lambda r: r["t"])
    ]  # fmt: skip
    live = LiveFusion(FusionConfig(origin_lat=ORIGIN[0], origin_lon=ORIGIN[1]))
    events = {}
    for i in range(0, len(obs), 7):
        _, evs = live.ingest(obs[i : i + 7])
        events.update({e.event_id: e for e in evs})
    assert list(events) == [ev.event_id]
    (lev,) = events.values()
    assert lev.end == ev.end and lev.details == ev.details


def test_deletion_after_sensor_timeout_in_live_steps() -> None:
    live = LiveFusion(FusionConfig(timeout_s={"radar": 30.0}))
    kinds: list[str] = []
    for k in range(6):
        lat, lon = FRAME.to_latlon(20.0 * k, 0.0)
        o = Observation(
            time=datetime.fromtimestamp(T0 + 5 * k, UTC), lat=float(lat), lon=float(lon),
            sensor=SensorKind.RADAR, source="t", station="R1", target_ref="R1:1",
        )  # fmt: skip
        steps, _ = live.ingest([o])
        kinds += [s.kind for s in steps]
    assert kinds.count("created") == 1 and "deleted" not in kinds
    lat, lon = FRAME.to_latlon(50_000.0, 50_000.0)
    far = Observation(time=datetime.fromtimestamp(T0 + 100, UTC), lat=float(lat), lon=float(lon),
                      sensor=SensorKind.RADAR, source="t", station="R1")  # fmt: skip
    steps, _ = live.ingest([far])
    assert [s.kind for s in steps] == ["deleted"] and steps[0].sensors == ("radar:R1",)


@pytest.mark.parametrize("n_targets", [200])
def test_vectorised_scan_handles_dense_crossing_traffic(n_targets: int) -> None:
    truth = make_truth(n_targets, 20, scan_s=3.0, area_m=20_000, seed=5)
    scans = radar_scans(truth, sigma_m=20.0, pd=1.0, seed=6)
    tracker = Tracker(FusionConfig(radar_sigma_m=20.0))
    pairs = []
    for k, scan in enumerate(scans):
        res = tracker.process(radar_batch(scan.t, scan.z, 20.0))
        assert len(np.unique(res.track_num)) == len(res.track_num)  # one measurement per track per scan
        if k >= 3:
            pairs += list(zip(scan.truth_id.tolist(), res.track_num.tolist(), strict=True))
    purity, _ = purity_completeness(pairs)
    assert purity >= 0.97


def test_tracker_step_api_reports_created_and_updated() -> None:
    tracker = Tracker(FusionConfig())
    kinds = []
    for k in range(3):
        lat, lon = FRAME.to_latlon(100.0 * k, 0.0)
        o = Observation(
            time=datetime.fromtimestamp(T0 + 10 * k, UTC), lat=float(lat), lon=float(lon),
            sensor=SensorKind.AIS, source="t", mmsi=366000001, sog_kn=19.4, cog_deg=90.0,
        )  # fmt: skip
        steps = tracker.step([o], o.time)
        kinds += [s.kind for s in steps]
        assert steps[0].mmsi == 366000001 and steps[0].sources == ("ais",) and steps[0].sensors == ("ais",)
    assert kinds == ["created", "updated", "updated"]
    assert steps[0].sog_kn == pytest.approx(19.4, abs=1.0) and steps[0].cog_deg == pytest.approx(
        90.0, abs=2.0
    )


def _ship_rows(
    t_from: float, t_to: float, step_s: float, e0: float, v_mps: float, **kw: object
) -> list[dict]:
    sensor = str(kw.pop("sensor", "ais"))
    return [
        rows(sensor, t, e0 + v_mps * (t - T0), 0.0, **kw) for t in np.arange(t_from, t_to, step_s).tolist()
    ]


def test_radar_duplicate_of_an_ais_vessel_merges_back() -> None:
    # a ship at 10 m/s reports AIS every 30 s, falls silent for 15 min (radar alone tracks it), then resumes
    ais = _ship_rows(T0, T0 + 600, 30, 0.0, 10.0, mmsi=244000001, sog_kn=19.44, cog_deg=90.0)
    ais += _ship_rows(T0 + 1500, T0 + 1800, 30, 0.0, 10.0, mmsi=244000001, sog_kn=19.44, cog_deg=90.0)
    radar = _ship_rows(T0 + 1300, T0 + 1800, 5, 15.0, 10.0, sensor="radar", station="R1", target_ref="R1:9")
    res = fuse_frame(conform_positions(pl.DataFrame(ais + radar)))
    radar_rows = res.tracks.filter(pl.col("sensor") == "radar")
    assert radar_rows["mmsi"].unique().to_list() == [244000001]  # the radar-only stretch is re-labelled
    assert res.events == []  # and it was never dark: the AIS vessel projected within 1,500 m
    ids = res.tracks.filter(pl.col("t") >= T0 + 1620)["track_id"].unique().to_list()
    assert len(ids) == 1  # after the merge one track carries the vessel


def test_a_vessel_switching_its_ais_off_under_radar_becomes_a_dark_target() -> None:
    """Its fused track keeps its MMSI, but once its AIS has been silent longer than an AIS vessel is
    projected (`ais_projection_max_s`, 30 min) the radar contacts are dark: one event, naming the
    identity the vessel last gave, the same in the bulk and the live form."""
    mmsi = 244000003
    ais = _ship_rows(T0, T0 + 1200, 30, 0.0, 5.0, mmsi=mmsi, sog_kn=9.72, cog_deg=90.0)
    radar = _ship_rows(T0 + 7, T0 + 4800, 30, 0.0, 5.0, sensor="radar", station="R1", target_ref="R1:5")
    frame = conform_positions(pl.DataFrame(ais + radar))
    config = FusionConfig(radar_sigma_m=30.0, revisit_s={"R1": 30.0})
    res = fuse_frame(frame, config)
    (dark,) = res.events
    assert dark.details["identified_mmsi"] == mmsi
    last_ais = T0 + 1200 - 30
    assert last_ais + 1800 < dark.start.timestamp() <= last_ais + 1800 + 30  # the first dark contact
    assert res.tracks["track_id"].n_unique() == 1  # still one track for the vessel

    live = LiveFusion(config, FRAME)
    observations = [_observation(r) for r in sorted(ais + radar, key=lambda r: float(str(r["t"])))]
    events = {}
    for k in range(0, len(observations), 40):  # batches as a node takes them
        for ev in live.ingest(observations[k : k + 40])[1]:
            events[ev.event_id] = ev
    (live_dark,) = events.values()
    assert live_dark.start == dark.start and live_dark.details["identified_mmsi"] == mmsi


def _observation(r: dict[str, Any]) -> Observation:
    return Observation(
        time=datetime.fromtimestamp(r["t"], UTC),
        lat=r["lat"],
        lon=r["lon"],
        sensor=SensorKind(r["sensor"]),
        source="test",
        mmsi=r.get("mmsi"),
        target_ref=r.get("target_ref"),
        sog_kn=r.get("sog_kn"),
        cog_deg=r.get("cog_deg"),
        station=r.get("station"),
    )


def test_dark_boat_alongside_a_ship_is_not_merged() -> None:
    ship = _ship_rows(T0, T0 + 1800, 30, 0.0, 5.0, mmsi=244000002, sog_kn=9.72, cog_deg=90.0)
    ship_radar = _ship_rows(T0, T0 + 1800, 5, 0.0, 5.0, sensor="radar", station="R1")
    # a boat without AIS closes in from 3 km abeam at 3 m/s, then keeps 80 m ahead of the ship
    boat = [
        rows("radar", T0 + t, 5.0 * t + 80.0, max(3_000.0 - 3.0 * t, 0.0), station="R1")
        for t in range(0, 1800, 5)
    ]
    res = fuse_frame(
        conform_positions(pl.DataFrame(ship + ship_radar + boat)), FusionConfig(radar_sigma_m=30.0)
    )
    (dark,) = res.events
    assert "identified_mmsi" not in dark.details
    late = res.tracks.filter((pl.col("t") >= T0 + 1700) & (pl.col("sensor") == "radar"))
    assert late.filter(pl.col("mmsi").is_null())["track_id"].to_list() == [dark.track_ids[0]] * 20


def test_track_across_the_antimeridian_stays_one_track() -> None:
    recs = []
    for k in range(20):
        lon = (179.99 + 0.002 * k + 180) % 360 - 180  # 12 kn east across 180°
        recs.append({"t": T0 + 10 * k, "lat": -17.0, "lon": lon, "sensor": "ais", "mmsi": 512000001,
                     "sog_kn": 12.0, "cog_deg": 90.0})  # fmt: skip
    res = fuse_frame(conform_positions(pl.DataFrame(recs)))
    assert res.tracks["track_id"].n_unique() == 1
    assert ((res.tracks["est_lon"] - res.tracks["lon"] + 180) % 360 - 180).abs().max() < 0.001


def test_arpa_target_numbers_keep_close_radar_tracks_apart() -> None:
    rng = np.random.default_rng(3)
    recs = []
    for k in range(120):  # two boats 60 m apart side by side at 10 m/s, radar error 50 m
        t = T0 + 3 * k
        for num, n0 in ((1, 0.0), (2, 60.0)):
            e, n = 30.0 * k + rng.normal(0, 50), n0 + rng.normal(0, 50)
            recs.append(rows("radar", t, e, n, station="R1", target_ref=f"R1:{num}", sigma_m=50.0))
    frame = conform_positions(pl.DataFrame(recs))

    def purity(bonus: float) -> float:
        res = fuse_frame(frame, FusionConfig(ref_bonus=bonus))
        pairs = list(zip(res.tracks["target_ref"].to_list(), res.tracks["track_id"].to_list(), strict=True))
        labels = {r: i for i, r in enumerate(sorted({p[0] for p in pairs}))}
        tracks = {t: i for i, t in enumerate(sorted({p[1] for p in pairs}))}
        return purity_completeness([(labels[r], tracks[t]) for r, t in pairs])[0]

    with_numbers, without = purity(8.0), purity(0.0)
    # recorded: 0.983 with the radar's target numbers (swaps only before confirmation), 0.567 without
    assert with_numbers >= 0.97 and with_numbers > without + 0.2, (with_numbers, without)


def test_full_covariance_update_gate_and_radar_ellipse() -> None:
    from seawatch.fusion.gate import gate
    from seawatch.fusion.noise import polar_cov

    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 4))
    p = np.stack([np.eye(4) * 100.0] * 4)
    r = polar_cov([25.0] * 4, [150.0] * 4, [0.0, 90.0, 45.0, 200.0])
    # bearing 0 (north): range error along north, cross-range along east
    np.testing.assert_allclose(r[0], [150.0**2, 0.0, 25.0**2], atol=1e-6)
    np.testing.assert_allclose(r[1], [25.0**2, 0.0, 150.0**2], atol=1e-6)
    z = rng.normal(size=(4, 2))
    xn, pn = update(x, p, z, r)
    for k in range(4):
        h = np.zeros((2, 4))
        h[0, 0] = h[1, 1] = 1
        rk = np.array([[r[k, 0], r[k, 1]], [r[k, 1], r[k, 2]]])
        s = h @ p[k] @ h.T + rk
        gain = p[k] @ h.T @ np.linalg.inv(s)
        np.testing.assert_allclose(xn[k], x[k] + gain @ (z[k] - h @ x[k]), atol=1e-9)
        np.testing.assert_allclose(pn[k], (np.eye(4) - gain @ h) @ p[k], atol=1e-9)
    # a target 300 m east of a radar plot taken due north is inside the gate (cross-range), 300 m north is not
    xp = np.array([[300.0, 0.0, 0.0, 0.0], [0.0, 300.0, 0.0, 0.0]])
    g = gate(
        xp, np.stack([np.eye(4)] * 2), np.zeros((1, 2)), polar_cov([25.0], [150.0], [0.0]), 16.0, 5_000.0
    )
    assert g.track.tolist() == [0]


def test_radar_rows_carry_their_error_ellipse(tmp_path: Path) -> None:
    from seawatch.sources.radar import RadarNmeaDecoder
    from seawatch.sources.sensors import RadarSite, SensorConfig

    site = RadarSite(id="S", lat=18.0, lon=-77.0, range_m=50_000, bearing_sigma_deg=0.5, range_sigma_m=20.0)
    (obs,) = RadarNmeaDecoder(SensorConfig((site,))).feed(
        "\\s:S,c:1700000000\\$RATTM,01,10.0,090.0,T,,,T,,,K,,T,,,A"
    )
    assert obs.extra["range_sigma_m"] == 20.0 and obs.extra["bearing_deg"] == 90.0
    assert obs.extra["cross_sigma_m"] == pytest.approx(10_000 * np.radians(0.5))
