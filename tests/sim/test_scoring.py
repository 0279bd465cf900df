"""Scoring: perfect on truth against itself, right numbers on hand-made cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from seawatch.cli import main
from seawatch.model.event import Event
from seawatch.sim.scoring import MatchRule, read_events, score

T0 = datetime(2026, 6, 30, tzinfo=UTC)


def ev(
    kind: str, mmsi: tuple[int, ...], start_min: float, end_min: float, lat: float = 12.0, lon: float = -69.0
) -> Event:
    return Event(
        type=kind,
        mmsi=mmsi,
        start=T0 + timedelta(minutes=start_min),
        end=T0 + timedelta(minutes=end_min),
        lat=lat,
        lon=lon,
    )


def _write(path: Path, events: list[Event]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e.to_json()) + b"\n" for e in events))
    return path


def test_truth_against_itself_is_perfect() -> None:
    truth = [ev("ais_gap", (1,), 0, 400), ev("encounter", (1, 2), 10, 200), ev("dark_target", (), 5, 9)]
    report = score(truth, truth)
    for row in report["types"].values():
        assert row["precision"] == 1.0 and row["recall"] == 1.0
        assert row["start_error_s"]["max"] == 0.0
    assert report["overall"]["tp"] == 3


def test_hand_made_case_numbers() -> None:
    truth = [
        ev("ais_gap", (1,), 0, 400),
        ev("ais_gap", (2,), 0, 400),
        ev("encounter", (1, 2), 100, 300),
        ev("speed_anomaly", (), 60, 80, lat=12.0, lon=-69.0),
    ]
    detected = [
        ev("ais_gap", (1,), 5, 410),  # match: start +5 min, end +10 min
        ev("ais_gap", (3,), 0, 400),  # wrong vessel: false alarm
        ev("encounter", (2, 1), 110, 290),  # same pair in another order: match
        ev("encounter", (1, 4), 100, 300),  # wrong pair: false alarm
        ev("speed_anomaly", (), 62, 78, lat=12.05, lon=-69.0),  # 5.6 km away: match
        ev("speed_anomaly", (), 62, 78, lat=12.5, lon=-69.0),  # 55 km away: false alarm
        ev("loitering", (9,), 0, 300),  # no such truth: false alarm
    ]
    r = score(truth, detected)["types"]
    assert (r["ais_gap"]["tp"], r["ais_gap"]["fp"], r["ais_gap"]["fn"]) == (1, 1, 1)
    assert r["ais_gap"]["precision"] == 0.5 and r["ais_gap"]["recall"] == 0.5
    assert r["ais_gap"]["start_error_s"]["mean"] == 300.0 and r["ais_gap"]["end_error_s"]["mean"] == 600.0
    assert r["encounter"]["precision"] == 0.5 and r["encounter"]["recall"] == 1.0
    assert r["encounter"]["start_error_s"]["median"] == 600.0
    assert r["speed_anomaly"]["tp"] == 1 and r["speed_anomaly"]["fp"] == 1
    assert r["loitering"]["precision"] == 0.0 and r["loitering"]["recall"] is None


def test_time_tolerance() -> None:
    truth = [ev("ais_gap", (1,), 0, 400)]
    late = [ev("ais_gap", (1,), 414, 500)]  # starts 14 min after truth ended: within 15 min
    later = [ev("ais_gap", (1,), 416, 500)]
    assert score(truth, late)["types"]["ais_gap"]["tp"] == 1
    assert score(truth, later)["types"]["ais_gap"]["tp"] == 0
    assert score(truth, later, MatchRule(time_tolerance_s=3600))["types"]["ais_gap"]["tp"] == 1


def test_assignment_is_optimal_not_first_come() -> None:
    # greedy-by-order would give D0→T1 and leave T0 unmatched; the optimum matches both
    truth = [ev("dark_target", (), 0, 10), ev("dark_target", (), 20, 30)]
    detected = [ev("dark_target", (), 18, 28), ev("dark_target", (), 1, 11)]
    r = score(truth, detected, MatchRule(time_tolerance_s=600))["types"]["dark_target"]
    assert r["tp"] == 2 and r["start_error_s"]["max"] == 120.0


def test_one_to_one() -> None:
    truth = [ev("ais_gap", (1,), 0, 400)]
    detected = [ev("ais_gap", (1,), 0, 400), ev("ais_gap", (1,), 1, 401)]
    r = score(truth, detected)["types"]["ais_gap"]
    assert (r["tp"], r["fp"]) == (1, 1)


def test_read_events_keeps_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"type": "ais_gap"}\nnot json\n' + json.dumps(ev("ais_gap", (1,), 0, 1).to_json()) + "\n"
    )
    events, rejects = read_events(path)
    assert len(events) == 1 and [r.line_no for r in rejects] == [1, 2]


def test_score_cli_json_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = _write(tmp_path / "truth.jsonl", [ev("ais_gap", (1,), 0, 400), ev("loitering", (2,), 0, 300)])
    events = _write(tmp_path / "events.jsonl", [ev("ais_gap", (1,), 0, 400)])
    assert main(["score", str(truth), str(events), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["types"]["ais_gap"]["f1"] == 1.0
    assert report["types"]["loitering"]["recall"] == 0.0
    assert report["overall"]["recall"] == 0.5
    assert main(["score", str(truth), str(events)]) == 0
    table = capsys.readouterr().out
    assert "ais_gap" in table and "loitering" in table and "ALL" in table


def test_score_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(tmp_path / "nope.jsonl"), str(tmp_path / "nope2.jsonl")]) == 1
    assert "events file not found" in capsys.readouterr().err
