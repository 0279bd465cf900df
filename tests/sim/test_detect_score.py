"""simulate → seawatch detect → seawatch score on every shipped scenario.

AIS event types are scored on a detect run over the AIS file alone; the radar / satellite types
(speed_anomaly of radar-only go-fasts, dark_target) on a run over every sensor file of caribbean-gofast
and sts-transfer (fusion). Recall and precision ≥ 0.9 are asserted per type in ASSERTED; RECALL_ONLY
types assert recall only, for the reasons in PENDING (figures in the sim report)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from seawatch.sim.engine import SimulationResult

Runs = dict[str, tuple[SimulationResult, Path]]

# (scenario, sensors): "ais" = ais.nmea only, "all" = AIS + radar + SAR (fused)
ASSERTED = {
    ("caribbean-gofast", "ais"): ("ais_gap", "port_visit"),
    ("caribbean-gofast", "all"): ("speed_anomaly",),
    # the transfer is one meeting: the encounter (the rendezvous raised first is superseded by it)
    ("sts-transfer", "ais"): ("encounter", "ais_gap", "port_visit"),
    # after the transfer the fishing vessel runs dark home under BQ-RADAR's cover (no SAR: no false alarm)
    ("sts-transfer", "all"): ("dark_target", "encounter"),
    ("dark-fleet", "ais"): (
        "ais_gap",
        "loitering",
        "watchlist_hit",
        "zone_entry",
        "zone_exit",
        "port_visit",
        "identity_conflict",
        "position_jump",
    ),
    ("busy-port", "ais"): ("port_visit",),  # in-port pairs are no rendezvous (min_port_distance_m 3 km)
}
RECALL_ONLY = {
    ("caribbean-gofast", "all"): ("dark_target",),
}
PENDING = {
    "dark_target": "precision: fusion also reports SAR false alarms as dark targets (truth: none)",
}


def _detect(folder: Path, sensors: str) -> Path:
    inputs = [str(folder / "ais.nmea")]
    extra: list[str] = []
    if sensors == "all":
        inputs += [str(folder / f) for f in ("radar.nmea", "sar_detections.csv") if (folder / f).exists()]
        extra += ["--sensors", str(folder / "sensors.toml")] if (folder / "sensors.toml").exists() else []
    zones = folder / "zones.geojson"
    extra += ["--zones", str(zones)] if zones.exists() else ["--no-default-zones"]
    if (folder / "watchlist.csv").exists():
        extra += ["--watchlist", str(folder / "watchlist.csv")]
    out = folder / f"events-{sensors}.jsonl"
    with out.open("w") as fh:
        proc = subprocess.run(
            [sys.executable, "-m", "seawatch", "detect", *inputs, *extra],
            stdout=fh,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def _score(folder: Path, events: Path) -> dict[str, object]:
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
    report: dict[str, object] = json.loads(proc.stdout)
    return report


@pytest.mark.parametrize(("name", "sensors"), sorted(ASSERTED))
def test_simulate_detect_score(shipped_runs: Runs, name: str, sensors: str) -> None:
    pytest.importorskip("seawatch.detect.bulk")
    _, folder = shipped_runs[name]
    report = _score(folder, _detect(folder, sensors))
    types: dict[str, dict[str, float | None]] = report["types"]  # type: ignore[assignment]
    print(name, sensors, json.dumps({k: (v["precision"], v["recall"]) for k, v in types.items()}))
    for kind in ASSERTED[(name, sensors)]:
        assert kind in types, (name, kind)
        row = types[kind]
        assert row["recall"] is not None and row["recall"] >= 0.9, (name, kind, row)
        assert row["precision"] is not None and row["precision"] >= 0.9, (name, kind, row)
    for kind in RECALL_ONLY.get((name, sensors), ()):
        assert types[kind]["recall"] is not None and types[kind]["recall"] >= 0.9, (name, kind, types[kind])
    if name == "sts-transfer":  # one meeting, one event
        assert "rendezvous" not in types or not types["rendezvous"]["detected"], types.get("rendezvous")
    if name == "busy-port":  # false-alarm control: over every type detect reports
        overall: dict[str, float] = report["overall"]  # type: ignore[assignment]
        assert overall["precision"] >= 0.9, overall


# injected events that must all be found (issue 11), on the realistic sensor timing every scenario uses
FULL_RECALL = ("speed_anomaly", "dark_target", "ais_gap", "encounter")
GO_FAST_LATENCY_MAX_S = 180.0  # first alert about a go-fast at most 3 min (data time) after first contact


# every shipped scenario with every sensor (fused) too: the dark targets radar and SAR see
FULL_RECALL_RUNS = sorted(set(ASSERTED) | {(name, "all") for name, _ in ASSERTED})


@pytest.mark.parametrize(("name", "sensors"), FULL_RECALL_RUNS)
def test_injected_events_all_found(shipped_runs: Runs, name: str, sensors: str) -> None:
    folder = shipped_runs[name][1]
    events = folder / f"events-{sensors}.jsonl"
    report = _score(folder, events if events.exists() else _detect(folder, sensors))
    types: dict[str, dict[str, Any]] = report["types"]  # type: ignore[assignment]
    for kind in FULL_RECALL:
        radar_only = kind in ("dark_target", "speed_anomaly") and sensors != "all"  # go-fasts have no AIS
        if kind in types and types[kind]["truth"] and not radar_only:
            assert types[kind]["recall"] == 1.0, (name, kind, types[kind])


def test_go_fasts_alerted_within_three_minutes_of_first_contact(shipped_runs: Runs) -> None:
    folder = shipped_runs["caribbean-gofast"][1]
    events = folder / "events-all.jsonl"
    report = _score(folder, events if events.exists() else _detect(folder, "all"))
    types: dict[str, dict[str, Any]] = report["types"]  # type: ignore[assignment]
    go_fast = types["speed_anomaly"]
    assert go_fast["recall"] == 1.0 and len(go_fast["latency"]) == go_fast["truth"] == 3
    for entry in go_fast["latency"]:
        print(
            "go-fast",
            entry["sim_vessels"],
            entry["first_alert"],
            entry["latency_s"],
            entry["own_type_latency_s"],
        )
        assert entry["latency_s"] <= GO_FAST_LATENCY_MAX_S, entry
        assert entry["first_alert_severity"] == "alert"
        assert entry["own_type_latency_s"] <= 600.0 + GO_FAST_LATENCY_MAX_S, entry  # the 10 min rule itself
    dark = types["dark_target"]
    assert all(x["latency_s"] <= GO_FAST_LATENCY_MAX_S for x in dark["latency"]), dark["latency"]


def test_radar_clutter_raises_no_dark_target(shipped_runs: Runs) -> None:
    """busy-port: two radars with clutter over background traffic that all carries AIS."""
    folder = shipped_runs["busy-port"][1]
    assert (folder / "radar.nmea").exists()
    events = [json.loads(x) for x in _detect(folder, "all").read_text().splitlines()]
    assert [e for e in events if e["type"] == "dark_target"] == []
    assert [e for e in events if e["type"] == "speed_anomaly"] == []
