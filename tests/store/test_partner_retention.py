"""`SqliteStore.forget_partner_items`: a partner's items past retention leave SQLite and Parquet history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from seawatch.model import Event
from seawatch.store.base import EventQuery, IngestBatch, PartnerItem, PositionRow, TrackState
from seawatch.store.sqlite import SqliteStore
from seawatch.timeutil import utc_from_epoch

H0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC).timestamp()
T1, T2 = H0 + 100.0, H0 + 3700.0  # T1 in an hour compacted to Parquet, T2 still in SQLite


def _pos(t: float, track_id: str, lat: float, source: str, node: str) -> PositionRow:
    sensor = "partner" if source.startswith("partner:") else "ais"
    return PositionRow(t, track_id, 366_000_001, lat, -59.5, 6.0, 90.0, None, sensor, source, node)


def _state(track_id: str, t: float, lat: float, nodes: tuple[str, ...]) -> TrackState:
    return TrackState(track_id, utc_from_epoch(t), lat, -59.5, nodes=nodes, sources=("partner",))


def test_forget_partner_items(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path, "NORMAL")
    event = Event("encounter", (1, 2), utc_from_epoch(T1), utc_from_epoch(T2), 13.0, -59.5, {}, {})
    store.write_batch(
        IngestBatch(
            positions=[
                _pos(T1, "P1", 13.0, "partner:bb", "bb"),
                _pos(T1, "OWN", 13.5, "tt-ais", "tt"),
                _pos(T2, "P1", 13.1, "partner:bb", "bb"),
                _pos(T2, "MIX", 13.2, "partner:bb", "bb"),
                _pos(T2 - 1, "MIX", 13.2, "tt-ais", "tt"),
            ],
            tracks=[_state("P1", T2, 13.1, ("bb",)), _state("MIX", T2, 13.2, ("bb", "tt"))],
            events=[(event, "bb")],
        )
    )
    store.note_partner_items(
        [
            PartnerItem("bb", 1, "track", "bb:r1", T1, 13.0, -59.5),
            PartnerItem("bb", 2, "track", "bb:r1", T2, 13.1, -59.5),
            PartnerItem("bb", 3, "track", "bb:r2", T2, 13.2, -59.5),
            PartnerItem("bb", 4, "event", event.event_id),
        ]
    )
    assert store.compact(utc_from_epoch(H0 + 3600.0)) == 2
    assert store.position_count() == 5

    # the oldest item: its archived position goes (Parquet file rewritten), the track stays (newer item)
    assert store.forget_partner_items([("bb", 1, "track")]) == []
    assert store.position_count() == 4
    files = list((tmp_path / "history").glob("*.parquet"))
    assert len(files) == 1
    assert pl.read_parquet(files[0])["source"].to_list() == ["tt-ais"]
    assert [p.t for p in store.track_history("P1", None, None)] == [T2]
    assert store.forget_partner_items([("bb", 1, "track")]) == []  # already forgotten: nothing happens

    # the newest items: the partner-only track goes, the track mixed with our own data stays
    gone = store.forget_partner_items([("bb", 2, "track"), ("bb", 3, "track"), ("bb", 4, "event")])
    assert gone == ["P1"]
    assert [s.track_id for s in store.latest_tracks()] == ["MIX"]
    assert store.track_history("P1", None, None) == []
    assert [p.source for p in store.track_history("MIX", None, None)] == ["tt-ais"]
    assert [p.source for p in store.track_history("OWN", None, None)] == ["tt-ais"]
    assert store.events(EventQuery()) == []
    assert store.position_count() == 2
    store.close()
