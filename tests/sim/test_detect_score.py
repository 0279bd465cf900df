"""simulate → seawatch detect → seawatch score on every shipped scenario.

Recall and precision are asserted (≥ 0.9) per event type where simulator truth and detection agree on
the definition; PENDING lists what is measured but not yet asserted, and why (see the sim report)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seawatch.sim.engine import SimulationResult

Runs = dict[str, tuple[SimulationResult, Path]]

ASSERTED = {
    "caribbean-gofast": ("speed_anomaly", "ais_gap", "port_visit"),
    "sts-transfer": ("encounter", "ais_gap"),
    "dark-fleet": (
        "ais_gap",
        "loitering",
        "position_jump",
        "watchlist_hit",
        "zone_entry",
        "zone_exit",
        "port_visit",
    ),
    "busy-port": ("port_visit",),
}
RECALL_ONLY = {
    "caribbean-gofast": ("dark_target",),
    "sts-transfer": ("port_visit",),
    "busy-port": ("rendezvous",),
}
PENDING = {
    "dark_target": "precision: fusion reports SAR false alarms and start-of-data contacts as dark targets",
    "identity_conflict": "detect does not flag the shared MMSI of dark-fleet yet",
    "rendezvous": "precision 0.86-0.95: borderline ~30 min pairs (detect's 10-min bins, truth's 60 s grid)",
}


def _detect(folder: Path) -> Path:
    inputs = [str(folder / "ais.nmea")]
    inputs += [str(folder / f) for f in ("radar.nmea", "sar_detections.csv") if (folder / f).exists()]
    zones = (
        ["--zones", str(folder / "zones.geojson")]
        if (folder / "zones.geojson").exists()
        else ["--no-default-zones"]
    )
    watch = ["--watchlist", str(folder / "watchlist.csv")] if (folder / "watchlist.csv").exists() else []
    sensors = ["--sensors", str(folder / "sensors.toml")] if (folder / "sensors.toml").exists() else []
    out = folder / "events.jsonl"
    with out.open("w") as fh:
        proc = subprocess.run(
            [sys.executable, "-m", "seawatch", "detect", *inputs, *zones, *watch, *sensors],
            stdout=fh,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def _score(folder: Path, events: Path) -> dict[str, dict[str, float | None]]:  # per type
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "seawatch",
            "score",
            str(folder / "truth.jsonl"),
            str(events),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(proc.stdout)
    (folder / "score.json").write_text(proc.stdout)
    return report["types"]


@pytest.mark.parametrize("name", sorted(ASSERTED))
def test_simulate_detect_score(shipped_runs: Runs, name: str) -> None:
    pytest.importorskip("seawatch.detect.bulk")
    _, folder = shipped_runs[name]
    types = _score(folder, _detect(folder))
    print(name, json.dumps({k: (v["precision"], v["recall"]) for k, v in types.items()}))
    for kind in ASSERTED[name]:
        assert kind in types, (name, kind)
        row = types[kind]
        assert row["recall"] is not None and row["recall"] >= 0.9, (name, kind, row)
        assert row["precision"] is not None and row["precision"] >= 0.9, (name, kind, row)
    for kind in RECALL_ONLY.get(name, ()):
        assert types[kind]["recall"] is not None and types[kind]["recall"] >= 0.9, (name, kind, types[kind])
    if name == "busy-port":  # false-alarm control: over every type detect reports
        overall = json.loads((folder / "score.json").read_text())["overall"]
        assert overall["precision"] >= 0.9, overall
