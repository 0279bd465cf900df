"""The case list's filters (`seawatch.cases.query`) over a real store: time windows on opening and last
change, a vessel by MMSI or name, a linked track, event or asset, text; bad values refused naming the
field. Releasability checked against the node's configured partners; unlinking on the timeline and in
the audit log, written together."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from seawatch.cases.query import case_query
from seawatch.cases.service import CaseFieldError, CaseService, service_for
from seawatch.model.observation import AisStatic
from seawatch.store.base import IngestBatch, PositionRow, TrackState
from seawatch.store.sqlite import SqliteStore

T0 = datetime(2024, 12, 9, 10, tzinfo=UTC)
MMSI = 338_200_555


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "data")
    positions = [
        PositionRow(T0.timestamp() + 60 * i, "T000007", MMSI, 18.0, -66.0 + 0.01 * i, 25.0, 90.0, None,
                    "ais", "ais", "n")
        for i in range(5)
    ]  # fmt: skip
    track = TrackState("T000007", T0, 18.0, -65.96, mmsi=MMSI, sog_kn=25.0)
    static = AisStatic(mmsi=MMSI, msg_type=5, shipname="SEA SPRITE")
    store.write_batch(IngestBatch(positions=positions, tracks=[track], statics=[static]))
    store.save_asset(
        {"id": "cutter-1", "name": "USCGC Joseph Napier", "kind": "boat"}, "admin", "add", {"id": "cutter-1"}
    )
    yield store
    store.close()


@pytest.fixture
def service(store: SqliteStore) -> CaseService:
    return service_for(store)


def _ids(service: CaseService, **kw: Any) -> list[str]:
    return [c["id"] for c in service.find(case_query(**kw))]


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat()


def test_filters_by_time_window_vessel_link_and_text(service: CaseService) -> None:
    tracked = service.open("op", "track", "T000007")  # links the track and SEA SPRITE (its MMSI)
    between = time.time()
    while time.time() <= between:  # the next case is opened strictly later (no sleep: just wait it out)
        pass
    manual = service.open("op", "manual", None, title="Man overboard near Culebra")
    service.link(manual["id"], "op", "asset", "cutter-1")
    assert _ids(service) == [manual["id"], tracked["id"]]
    # time windows: opened (created_at) and last changed (updated_at), either bound or both
    assert _ids(service, opened_before=_iso(between)) == [tracked["id"]]
    assert _ids(service, opened_after=_iso(between)) == [manual["id"]]
    assert _ids(service, opened_after=_iso(between - 3600), opened_before=_iso(between + 3600)) == [
        manual["id"],
        tracked["id"],
    ]
    assert _ids(service, updated_after=_iso(time.time() + 60)) == []
    service.note(tracked["id"], "op", "seen again off Ponce")  # changed now: last changed after `between`
    assert _ids(service, updated_after=_iso(between), opened_before=_iso(between)) == [tracked["id"]]
    # a vessel by MMSI or by (part of) its name, in any case
    assert _ids(service, vessel=str(MMSI)) == [tracked["id"]]
    assert _ids(service, vessel="sea spr") == _ids(service, vessel="SPRITE") == [tracked["id"]]
    assert _ids(service, vessel="Queen Mary") == []
    # a linked track, asset or event; text in the title; all filters together
    assert _ids(service, track="T000007") == [tracked["id"]]
    assert _ids(service, asset="cutter-1") == [manual["id"]]
    assert _ids(service, event="nope") == []
    assert _ids(service, text="culebra") == [manual["id"]]
    assert _ids(service, text="culebra", status="open", vessel="sprite") == []
    assert _ids(service, status="open,monitoring", track="T000007") == [tracked["id"]]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"status": "shut"}, "status"),
        ({"status": ["open", "nope"]}, "status"),
        ({"opened_after": "yesterday"}, "opened_after"),
        ({"updated_before": "2026-13-40"}, "updated_before"),
        ({"opened_after": "2026-12-07T10:00Z", "opened_before": "2026-12-07T09:00Z"}, "opened_before"),
        ({"updated_after": "2026-12-07", "updated_before": "2026-12-06"}, "updated_before"),
        ({"vessel": "12345"}, "vessel"),
        ({"vessel": "0000000001"}, "vessel"),
        ({"vessel": "x"}, "vessel"),
        ({"vessel": "y" * 101}, "vessel"),
        ({"track": "t" * 201}, "track"),
        ({"text": "q" * 101}, "q"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
    ],
)
def test_bad_filter_values_name_their_field(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(CaseFieldError) as caught:
        case_query(**kw)
    assert caught.value.field == field, caught.value
    # and say why with a stable code the page words (problem-text.ts), its values plain
    codes = {"literal_error", "not_iso_time", "empty_window", "not_mmsi", "vessel_too_short",
             "string_too_long", "greater_than_equal", "less_than_equal"}  # fmt: skip
    assert caught.value.kind in codes, caught.value
    assert caught.value.ctx and all(isinstance(v, str | int) for v in caught.value.ctx.values())


def test_releasability_only_to_configured_partners(store: SqliteStore, service: CaseService) -> None:
    service.partners = frozenset({"tt", "jm"})
    before = (len(store.audit_rows(limit=1000)), store.case_changes())
    with pytest.raises(CaseFieldError, match="unknown partner 'xx'") as caught:
        service.open("op", "manual", None, title="Go-fast", releasable_to=["tt", "xx"])
    assert caught.value.field == "releasable_to" and "tt, jm" not in str(caught.value)
    assert "jm, tt" in str(caught.value)  # the configured partners, named
    assert service.find(case_query()) == []  # nothing half-written: no case, no timeline, no audit
    assert (len(store.audit_rows(limit=1000)), store.case_changes()) == before

    case = service.open("op", "manual", None, title="Go-fast", releasable_to=["tt"])
    with pytest.raises(CaseFieldError, match="unknown partner 'zz'"):
        service.update(case["id"], "op", {"releasable_to": ["tt", "zz"], "status": "monitoring"})
    kept = service.get(case["id"])
    assert kept["releasable_to"] == ["tt"] and kept["status"] == "open" and kept["version"] == 1
    # a partner no longer configured may still be taken off (it is on the case already)
    service.partners = frozenset({"jm"})
    assert service.update(case["id"], "op", {"releasable_to": ["tt", "jm"]})["releasable_to"] == ["jm", "tt"]
    assert service.update(case["id"], "op", {"releasable_to": ["jm"]})["releasable_to"] == ["jm"]
    service.partners = frozenset()  # a lone node: no partner at all
    with pytest.raises(CaseFieldError, match="partners are none"):
        service.open("op", "manual", None, title="x", releasable_to=["tt"])


def test_unlink_writes_timeline_and_audit_together(store: SqliteStore, service: CaseService) -> None:
    case = service.open("op", "track", "T000007")
    service.link(case["id"], "op", "asset", "cutter-1")
    changes: list[dict[str, Any]] = []
    service.subscribe(changes.append)
    after = service.unlink(case["id"], "op2", "asset", "cutter-1")
    assert [(link["kind"], link["ref"]) for link in after["links"]] == [
        ("track", "T000007"),
        ("vessel", str(MMSI)),
    ]
    entry = after["timeline"][-1]
    assert (entry["action"], entry["actor"], entry["details"]) == (
        "unlink",
        "op2",
        {"kind": "asset", "ref": "cutter-1"},
    )
    audit = store.audit_rows(limit=5, action="case.unlink")
    assert len(audit) == 1 and audit[0]["actor"] == "op2"
    assert [c["entry"]["action"] for c in changes] == ["unlink"]  # followers (chat, sharing) are told
    assert after["version"] == case["version"] + 2
