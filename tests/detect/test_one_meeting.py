"""One meeting, one event: two vessels that stay close offshore are first a `rendezvous` (30 min), then an
`encounter` (2 h) that supersedes it, live and bulk alike; a store keeps only the encounter. A short
meeting stays a rendezvous."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.detect.replay import replay_live
from seawatch.model.observation import Observation, SensorKind
from seawatch.store.base import EventQuery, IngestBatch
from seawatch.store.sqlite import SqliteStore
from seawatch.timeutil import utc_from_epoch
from tests.detect.realdata import detect_both

START = 1_700_000_400.0  # a 10-min bin boundary
LAT, LON = 17.2, -67.6  # open sea south-west of Puerto Rico, far from ports and shore


def _meeting(hours: float, apart_m: np.ndarray | None = None) -> pl.DataFrame:
    """Two AIS vessels drifting at 1 kn side by side, one fix a minute each, `apart_m` apart (200 m)."""
    n = int(hours * 60)
    apart = np.full(n, 200.0) if apart_m is None else apart_m
    drift = np.arange(n) * 30.9 / 111_320  # 1 kn north
    t = START + 60.0 * np.arange(n)
    dlon = apart / (111_320 * np.cos(np.radians(LAT)))
    return pl.DataFrame(
        {
            "t": np.concatenate([t, t]),
            "mmsi": pl.Series([367000001] * n + [367000002] * n, dtype=pl.Int64),
            "lat": np.concatenate([LAT + drift, LAT + drift]),
            "lon": np.concatenate([np.full(n, LON), LON + dlon]),
            "sog_kn": np.full(2 * n, 1.0),
            "sensor": ["ais"] * (2 * n),
        }
    ).sort("t", maintain_order=True)


def _pairs(events: list) -> list:  # type: ignore[type-arg]
    return [e for e in events if e.type in ("encounter", "rendezvous")]


def test_a_long_meeting_is_one_encounter_live_and_bulk(ctx: DetectContext) -> None:
    frame = _meeting(3.0)
    events = _pairs(detect_both(frame, ctx))  # live (superseded dropped) == bulk, ids and details
    assert [e.type for e in events] == ["encounter"]
    superseded = events[0].details["supersedes"]
    assert len(superseded) == 1

    # live, as a node sees it: the rendezvous is raised at 30 min, the encounter at 2 h names it
    detector = LiveDetector(ctx)
    raised: list[tuple[float, str, str]] = []
    for t, mmsi, lat, lon, sog in frame.select("t", "mmsi", "lat", "lon", "sog_kn").iter_rows():
        for e in detector.observe_values(t, mmsi, lat, lon, sog):
            if e.type in ("encounter", "rendezvous"):
                raised.append((t - START, e.type, e.event_id))
    first = {kind: next(r for r in raised if r[1] == kind) for kind in ("rendezvous", "encounter")}
    assert first["rendezvous"][0] <= 40 * 60 and first["rendezvous"][2] == superseded[0]
    assert first["encounter"][0] >= 2 * 3600
    assert {r[2] for r in raised if r[1] == "rendezvous"} == {superseded[0]}  # never raised again after


def test_a_meeting_that_drifts_apart_and_back_is_still_one_encounter(ctx: DetectContext) -> None:
    apart = np.full(180, 200.0)
    apart[40:52] = 400.0  # within the encounter's 500 m, outside the rendezvous' 250 m, for 12 minutes
    events = _pairs(detect_both(_meeting(3.0, apart), ctx))
    assert [e.type for e in events] == ["encounter"]
    assert len(events[0].details["supersedes"]) == 2  # both rendezvous were raised before the encounter


def test_a_short_meeting_stays_a_rendezvous(ctx: DetectContext) -> None:
    events = _pairs(detect_both(_meeting(1.0), ctx))
    assert [e.type for e in events] == ["rendezvous"]
    assert "supersedes" not in events[0].details


def test_a_store_keeps_the_encounter_only(ctx: DetectContext, tmp_path: Path) -> None:
    detector = LiveDetector(ctx)
    store = SqliteStore(tmp_path / "node")
    try:
        for t, mmsi, lat, lon, sog in _meeting(3.0).select("t", "mmsi", "lat", "lon", "sog_kn").iter_rows():
            obs = Observation(utc_from_epoch(t), lat, lon, SensorKind.AIS, "test", mmsi=mmsi, sog_kn=sog)
            found = detector.observe(obs)
            if found:  # one batch per raised event: the rendezvous is stored before the encounter comes
                store.write_batch(IngestBatch(events=[(e, "n1") for e in found]))
        store.write_batch(IngestBatch(events=[(e, "n1") for e in detector.flush()]))
        stored = store.events(EventQuery(limit=100))
        assert [e.type for e in stored] == ["encounter"]
        replayed, _ = replay_live(_meeting(3.0), None, ctx)
        assert [e.event_id for e in _pairs(replayed)] == [stored[0].event_id]
    finally:
        store.close()
