"""SqliteStore: migrations, atomic batches, event upsert, identity history, Parquet compaction, users."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seawatch.model import AisStatic, Event
from seawatch.store.base import EventQuery, IngestBatch, PositionRow, TrackState
from seawatch.store.migrations import MIGRATIONS
from seawatch.store.sqlite import SqliteStore

T0 = datetime(2020, 6, 30, 10, 0, tzinfo=UTC)


def _pos(t: datetime, mmsi: int, lon: float, lat: float) -> PositionRow:
    return PositionRow(t.timestamp(), f"mmsi:{mmsi}", mmsi, lat, lon, 10.0, 90.0, None, "ais", "test", "n1")


def _batch(n: int, start: datetime = T0, mmsi: int = 366000001) -> IngestBatch:
    positions = [_pos(start + timedelta(minutes=i), mmsi, -66.0 + i * 0.01, 18.0) for i in range(n)]
    last = positions[-1]
    track = TrackState(f"mmsi:{mmsi}", start + timedelta(minutes=n - 1), last.lat, last.lon, mmsi=mmsi)
    return IngestBatch(positions=positions, tracks=[track], received=n)


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path)
    yield s
    s.close()


def test_migrations_recorded_once(tmp_path: Path) -> None:
    SqliteStore(tmp_path).close()
    again = SqliteStore(tmp_path)
    assert again.schema_version == MIGRATIONS[-1][0]
    rows = sqlite3.connect(tmp_path / "seawatch.db").execute("SELECT version FROM schema_version").fetchall()
    assert [r[0] for r in rows] == [step for step, _ in MIGRATIONS]
    mode = sqlite3.connect(tmp_path / "seawatch.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again.close()


def test_batch_is_acknowledged_and_queryable(store: SqliteStore) -> None:
    batch_id = store.write_batch(_batch(30))
    assert batch_id == 1
    assert store.acknowledged() == {"batches": 1, "received": 30, "positions": 30, "events": 0, "rejected": 0}
    assert [t.track_id for t in store.latest_tracks()] == ["mmsi:366000001"]
    assert len(store.track_history("mmsi:366000001", None, None)) == 30
    at = store.tracks_at(T0 + timedelta(minutes=10, seconds=30), 3600, (-67, 17, -65, 19))
    assert len(at) == 1 and at[0].time == T0 + timedelta(minutes=10)
    assert store.tracks_at(T0 + timedelta(minutes=10), 3600, (0, 0, 1, 1)) == []


def test_event_upsert_keeps_id_and_grows(store: SqliteStore) -> None:
    first = Event("ais_gap", (366000001,), T0, T0 + timedelta(hours=1), 18.0, -66.0, {"gap_s": 3600})
    grown = Event("ais_gap", (366000001,), T0, T0 + timedelta(hours=3), 18.0, -66.0, {"gap_s": 10800})
    store.write_batch(IngestBatch(events=[(first, "n1")]))
    store.write_batch(IngestBatch(events=[(grown, "n1")]))
    found = store.events(EventQuery(mmsi=366000001))
    assert len(found) == 1 and found[0].event_id == first.event_id
    assert found[0].end == T0 + timedelta(hours=3) and found[0].details["gap_s"] == 10800
    assert store.events(EventQuery(types=["encounter"])) == []
    assert len(store.events(EventQuery(bbox=(-67, 17, -65, 19), since=T0))) == 1
    assert store.event_origin(first.event_id) == "n1"


def test_identity_changes_are_kept(store: SqliteStore) -> None:
    a = AisStatic(366000001, 5, shipname="SEA BIRD", callsign="WAB1", received_at=T0, source="s")
    b = AisStatic(366000001, 5, shipname="NIGHT BIRD", callsign="WAB1", received_at=T0 + timedelta(hours=1))
    store.write_batch(IngestBatch(statics=[a]))
    store.write_batch(IngestBatch(statics=[b]))
    assert store.vessel_identity(366000001)["shipname"] == "NIGHT BIRD"  # type: ignore[index]
    changes = store.identity_changes(366000001)
    assert [(c["field"], c["old"], c["new"]) for c in changes] == [("shipname", "SEA BIRD", "NIGHT BIRD")]


def test_compaction_moves_whole_hours_to_parquet(store: SqliteStore) -> None:
    store.write_batch(_batch(180))  # 10:00 .. 12:59
    moved = store.compact(T0 + timedelta(hours=2, minutes=30))  # hours 10 and 11 move
    assert moved == 120
    assert len(list((store.data_dir / "history").glob("*.parquet"))) == 2
    assert store.position_count() == 180
    history = store.track_history("mmsi:366000001", None, None)
    assert len(history) == 180 and [p.t for p in history] == sorted(p.t for p in history)
    at = store.tracks_at(T0 + timedelta(minutes=59, seconds=30), 600, None)  # answered from Parquet
    assert len(at) == 1 and at[0].time == T0 + timedelta(minutes=59)
    assert store.compact(T0 + timedelta(hours=2, minutes=30)) == 0


def test_unrecorded_parquet_from_crashed_compaction_is_removed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.write_batch(_batch(90))
    rows = store._reader().execute(
        "SELECT * FROM positions WHERE t < ?", ((T0 + timedelta(hours=1)).timestamp(),)
    )
    orphan = store.history.write(rows.fetchall(), T0.timestamp(), 1, 60)  # written, never recorded
    store.close()
    reopened = SqliteStore(tmp_path)
    assert not (tmp_path / "history" / orphan).exists()
    assert reopened.position_count() == 90
    assert len(reopened.track_history("mmsi:366000001", None, None)) == 90
    reopened.close()


def test_users_tokens_and_expiry(store: SqliteStore) -> None:
    store.add_user("ana", "analyst", "hash")
    store.add_token("h1", "ana", "api", None)
    store.add_token("h2", "ana", "session", T0)
    now = T0 + timedelta(seconds=1)
    found = store.token_user("h1", now)
    assert found is not None and found[0].role == "analyst" and found[1] == "api"
    assert store.token_user("h2", now) is None  # expired
    store.delete_token("h1")
    assert store.token_user("h1", now) is None


def test_zones_watchlist_sightings_audit(store: SqliteStore) -> None:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": []},
        "properties": {"name": "z"},
    }
    store.put_zone("z1", feature)
    assert store.zone("z1") == feature and len(store.zones()) == 1
    assert store.delete_zone("z1") and not store.delete_zone("z1")
    entry = store.add_watch({"mmsi": 366000001, "reason": "r"})
    assert store.watchlist()[0]["mmsi"] == 366000001
    assert store.delete_watch(entry["id"])
    saved = store.add_sighting({"t": T0.timestamp(), "lat": 18.0, "lon": -66.0})
    assert store.sightings()[0]["id"] == saved["id"]
    store.audit("ana", "zone.create", {"zone_id": "z1"})
    assert store.audit_rows(action="zone.create")[0]["details"] == {"zone_id": "z1"}
