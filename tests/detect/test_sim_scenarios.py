"""Simulated scenarios with ground truth: `seawatch detect` (AIS + radar, fused) finds the injected events."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawatch.cli import main
from seawatch.sim.scoring import read_events, score
from tests.shared import require_shared


@pytest.fixture(scope="module")
def sts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_shared("natural-earth-marine")
    out = tmp_path_factory.mktemp("sts")
    assert main(["simulate", "--scenario", "sts-transfer", "--out", str(out)]) == 0
    return out


def test_sts_transfer_encounter_gap_and_port_visits(sts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(["detect", str(sts / "ais.nmea"), str(sts / "radar.nmea"), "--no-default-zones"])
    out = capsys.readouterr().out
    assert code == 0
    events_path = sts / "events.jsonl"
    events_path.write_text(out)
    detected, rejects = read_events(events_path)
    truth, _ = read_events(sts / "truth.jsonl")
    assert not rejects
    report = score(truth, detected, types=["encounter", "ais_gap", "port_visit"])["types"]
    assert report["encounter"]["truth"] == 1 and report["encounter"]["recall"] == 1.0
    assert report["encounter"]["precision"] == 1.0
    assert report["ais_gap"]["truth"] >= 1 and report["ais_gap"]["recall"] == 1.0
    assert report["port_visit"]["recall"] >= 0.9 and report["port_visit"]["precision"] >= 0.8
