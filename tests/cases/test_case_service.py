"""Cases in a real store (SQLite in a temp folder): opened from a stored event, a track or by hand;
every change on the timeline and in the audit log; bad input refused with the field named; listeners
and the change feed; the list's filters; a version-7 store upgraded keeps its data."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seawatch.cases import releasable_to, service_for
from seawatch.cases.model import MAX_NOTE_CHARS
from seawatch.cases.service import AttachmentTooLarge, AttachmentTypeRefused, CaseFieldError, CaseService
from seawatch.errors import NotFoundError
from seawatch.model import Event
from seawatch.store.base import EventQuery, IngestBatch, PositionRow, TrackState
from seawatch.store.cases import CaseQuery
from seawatch.store.migrations import MIGRATIONS
from seawatch.store.sqlite import SqliteStore

T0 = datetime(2024, 12, 9, 10, tzinfo=UTC)
MMSI = 338_200_777
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "data")
    positions = [
        PositionRow(
            T0.timestamp() + 60 * i,
            "T000042",
            MMSI,
            18.2,
            -66.0 + 0.01 * i,
            30.0,
            90.0,
            None,
            "ais",
            "ais",
            "n",
        )
        for i in range(12)
    ]
    track = TrackState("T000042", T0 + timedelta(minutes=11), 18.2, -65.89, mmsi=MMSI, sog_kn=30.0)
    event = Event(
        "speed_anomaly", (MMSI,), T0, T0 + timedelta(minutes=11), 18.2, -66.0, track_ids=("T000042",)
    )
    store.write_batch(IngestBatch(positions=positions, tracks=[track], events=[(event, "n")]))
    yield store
    store.close()


@pytest.fixture
def service(store: SqliteStore) -> CaseService:
    return service_for(store)


def _event_id(store: SqliteStore) -> str:
    return store.events(EventQuery())[0].event_id


def test_open_from_an_alert_links_its_event_track_and_vessel(
    store: SqliteStore, service: CaseService
) -> None:
    event_id = _event_id(store)
    case = service.open("op", "alert", event_id)
    assert case["title"] == f"speed anomaly: MMSI {MMSI}" and case["status"] == "open"
    assert {(link["kind"], link["ref"]) for link in case["links"]} == {
        ("event", event_id),
        ("track", "T000042"),
        ("vessel", str(MMSI)),
    }
    assert [e["action"] for e in case["timeline"]] == ["open"] and case["timeline"][0]["actor"] == "op"
    audit = store.audit_rows(action="case.open")
    assert audit and audit[0]["details"]["case_id"] == case["id"] and audit[0]["actor"] == "op"
    assert case["releasable_to"] == [] and not releasable_to(case, "NL")


def test_open_from_a_track_and_by_hand(service: CaseService) -> None:
    from_track = service.open("op", "track", "T000042")
    assert {link["kind"] for link in from_track["links"]} == {"track", "vessel"}
    from_vessel = service.open("op", "vessel", str(MMSI))
    assert {(link["kind"], link["ref"]) for link in from_vessel["links"]} == {
        ("vessel", str(MMSI)),
        ("track", "T000042"),
    }
    by_hand = service.open("op", "manual", None, title="  Overdue fishing boat  ", summary="crew of 3")
    assert by_hand["title"] == "Overdue fishing boat" and by_hand["links"] == []


def test_unknown_items_and_bad_values_are_refused(service: CaseService) -> None:
    with pytest.raises(NotFoundError, match="no event nope"):
        service.open("op", "alert", "nope")
    with pytest.raises(NotFoundError, match="no track"):
        service.open("op", "track", "T999999")
    with pytest.raises(CaseFieldError, match="title"):
        service.open("op", "manual", None, title="   ")
    with pytest.raises(NotFoundError, match="no case"):
        service.note("does-not-exist", "op", "hello")
    case = service.open("op", "manual", None, title="t")
    with pytest.raises(CaseFieldError) as too_long:
        service.note(case["id"], "op", "x" * (MAX_NOTE_CHARS + 1))
    assert too_long.value.field == "text"
    with pytest.raises(CaseFieldError, match="outcome"):
        service.update(case["id"], "op", {"status": "closed"})
    with pytest.raises(CaseFieldError, match="releasable_to"):
        service.update(case["id"], "op", {"releasable_to": ["NL", "bad id!"]})
    for kind, ref in (("sighting", "nope"), ("asset", "nope"), ("event", "nope")):
        with pytest.raises(NotFoundError):
            service.link(case["id"], "op", kind, ref)
    with pytest.raises(CaseFieldError, match="MMSI"):
        service.link(case["id"], "op", "vessel", "12")
    with pytest.raises(AttachmentTypeRefused):
        service.attach(case["id"], "op", "x.exe", "application/x-msdownload", b"MZ", 1000)
    with pytest.raises(AttachmentTooLarge):
        service.attach(case["id"], "op", "x.png", "image/png", PNG, len(PNG) - 1)
    with pytest.raises(CaseFieldError, match="not image/png"):
        service.attach(case["id"], "op", "x.png", "image/png", b"GIF89a" + PNG, 1000)
    # nothing of the refused changes reached the case
    after = service.get(case["id"])
    assert [e["action"] for e in after["timeline"]] == ["open"] and after["notes"] == after[
        "attachments"
    ] == []


def test_every_change_is_on_the_timeline_audited_and_followed(
    store: SqliteStore, service: CaseService
) -> None:
    seen: list[dict[str, Any]] = []
    unsubscribe = service.subscribe(seen.append)
    case = service.open("op", "manual", None, title="Suspicious contact")
    cid = case["id"]
    service.link(cid, "op", "track", "T000042")
    service.note(cid, "op2", "boarding team ready")
    service.update(cid, "op", {"status": "interdiction", "releasable_to": ["NL", "FR"]})
    saved = service.attach(cid, "op", "../../etc/photo.png", "image/png", PNG, 10_000)
    service.update(cid, "lead", {"status": "closed", "outcome": "interdicted"})
    unsubscribe()
    service.note(cid, "op", "after unsubscribing")

    final = service.get(cid)
    actions = [(e["actor"], e["action"]) for e in final["timeline"]]
    assert actions == [("op", "open"), ("op", "link"), ("op2", "note"), ("op", "update"), ("op", "attach"),
                       ("lead", "update"), ("op", "note")]  # fmt: skip
    assert final["timeline"][3]["details"]["changed"] == {
        "status": ["open", "interdiction"],
        "releasable_to": [[], ["FR", "NL"]],
    }
    assert final["status"] == "closed" and final["outcome"] == "interdicted" and final["version"] == 7
    assert [c["entry"]["action"] for c in seen] == ["open", "link", "note", "update", "attach", "update"]
    assert seen[-1]["case"]["status"] == "closed"
    assert releasable_to(final, "NL") and releasable_to(final, "FR") and not releasable_to(final, "US")
    audited = [r["action"] for r in reversed(store.audit_rows(limit=100)) if r["action"].startswith("case.")]
    assert audited == [
        "case.open",
        "case.link",
        "case.note",
        "case.update",
        "case.attach",
        "case.update",
        "case.note",
    ]
    # the attachment: stored under a name of the node's choosing, owner only, bytes intact
    assert saved["name"] == "photo.png"
    path = store.attachment_path(cid, saved["id"])
    assert path.read_bytes() == PNG and (path.stat().st_mode & 0o077) == 0
    # the change feed resumes where a follower left off
    feed = store.case_changes()
    assert [c["action"] for c in store.case_changes(after_id=feed[2]["id"])] == [a for _, a in actions[3:]]
    # an unchanged update writes nothing
    assert service.update(cid, "op", {"status": "closed"})["version"] == 7


def test_list_filters(store: SqliteStore, service: CaseService) -> None:
    gofast = service.open("op", "alert", _event_id(store))
    manual = service.open("op", "manual", None, title="Man overboard near Culebra")
    service.note(manual["id"], "op", "helicopter requested")
    service.update(gofast["id"], "op", {"status": "monitoring"})

    def ids(**kw: Any) -> list[str]:
        return [c["id"] for c in service.find(CaseQuery(**kw))]

    assert ids() == [gofast["id"], manual["id"]]  # last changed first
    assert ids(statuses=("monitoring",)) == [gofast["id"]]
    assert ids(text="culebra") == ids(text="HELICOPTER") == [manual["id"]]
    assert ids(text="100%_") == []
    assert ids(mmsi=MMSI) == [gofast["id"]]
    assert ids(links=(("track", "T000042"),)) == [gofast["id"]]
    assert ids(updated_after=datetime.now(UTC).timestamp() + 60) == []
    assert ids(opened_before=0) == []
    with pytest.raises(CaseFieldError, match="status"):
        service.find(CaseQuery(statuses=("shut",)))
    listed = service.find(CaseQuery(statuses=("open",)))[0]
    assert listed["counts"] == {"note": 1}


def test_a_version_7_store_upgrades_with_its_data(tmp_path: Path) -> None:
    db = tmp_path / "seawatch.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at REAL)")
    for step, sql in MIGRATIONS:
        if step <= 7:
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_version VALUES (?, 0)", (step,))
    conn.execute("INSERT INTO audit (t, actor, action, details) VALUES (1, 'admin', 'old', '{}')")
    conn.commit()
    conn.close()
    store = SqliteStore(tmp_path)
    try:
        assert store.schema_version == max(step for step, _ in MIGRATIONS)
        assert store.audit_rows(action="old")
        assert service_for(store).open("op", "manual", None, title="first")["version"] == 1
    finally:
        store.close()
