"""Every shipped scenario through a running node, scored against the simulator's truth.

The node plays the scenario through its `sim` feed as fast as it can (speed 0): the AIS and radar lines
the simulator writes, decoded by the node's own decoders with the scenario's radar sites, and the SAR
scene's detections read as `seawatch detect` reads the detection CSV; then the queue, fusion, the live
detectors and the store, as in operation. The stored events are scored with `seawatch score` against
the truth `seawatch simulate` writes, with the bar of simulate → detect → score
(tests/sim/test_detect_score.py): recall 1.0 on injected go-fasts, dark targets, AIS gaps and
encounters (per scenario in FULL_RECALL); the first alert about each go-fast at most 3 min (data time)
after its first contact; no dark target and no go-fast from radar clutter over AIS traffic
(busy-port). Three of the four shipped scenarios run (12-16 h of data each, some 30 s of CPU each):
caribbean-gofast (go-fasts,
dark targets, gaps), sts-transfer (the encounter, gaps), busy-port (clutter). dark-fleet is left to the
bulk path (tests/sim/test_detect_score.py): of the types above it injects only AIS gaps, which the
other two already carry through the node.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from seawatch.node.node import Node
from seawatch.node.settings import FeedSettings, NodeSettings
from seawatch.sim.engine import run_simulation
from seawatch.sim.scenario import load_scenario
from seawatch.sim.writers import write_outputs
from seawatch.store.base import EventQuery
from seawatch.store.sqlite import SqliteStore
from tests.shared import require_shared

# the injected events each scenario must all raise through the node. sts-transfer's truth also lists 2
# dark targets (its radar sees a vessel while its AIS is off); the node does not raise them yet (the bulk
# test scores sts-transfer on AIS only): an open gap, not asserted here
FULL_RECALL = {
    "busy-port": (),  # nothing injected: the clutter check below
    "caribbean-gofast": ("speed_anomaly", "dark_target", "ais_gap"),
    "sts-transfer": ("encounter", "ais_gap"),
}
SCENARIOS = tuple(FULL_RECALL)
GO_FAST_LATENCY_MAX_S = 180.0


@pytest.fixture(scope="module")
def sim_data() -> None:
    require_shared("natural-earth-marine", "ne_10m_land_caribbean_gulf.geojson.gz")
    require_shared("ports", "nga_wpi_UpdatedPub150.csv.gz")


async def _node_events(name: str, folder: Path) -> Path:
    data_dir = folder / "node"
    settings = NodeSettings(
        node_id=f"live-{name}",
        data_dir=data_dir,
        feeds=[FeedSettings(name="sim", kind="sim", scenario=name, speed=0)],
    )
    node = Node(settings)
    await node.start()
    try:
        for _ in range(6000):
            if node.feeds_done():
                break
            await asyncio.sleep(0.1)
        assert node.feeds_done(), f"{name}: the sim feed did not finish"
        await node.drain()
        assert sum(node.metrics.rejected.values()) == 0
    finally:
        await node.stop()  # drains and flushes the events the detectors hold open, as at shutdown
    store = SqliteStore(data_dir)
    try:
        events = store.events(EventQuery(limit=1_000_000))
    finally:
        store.close()
    out = folder / "events-node.jsonl"
    out.write_text("".join(json.dumps(e.to_json()) + "\n" for e in events))
    return out


def _score(truth: Path, events: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "seawatch", "score", str(truth), str(events), "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", SCENARIOS)
async def test_scenario_through_a_live_node_scores_as_detect(
    sim_data: None, tmp_path: Path, name: str
) -> None:
    write_outputs(run_simulation(load_scenario(name)), tmp_path)  # truth.jsonl, as `seawatch simulate`
    events = await _node_events(name, tmp_path)
    report = _score(tmp_path / "truth.jsonl", events)
    types: dict[str, dict[str, Any]] = report["types"]
    print(name, json.dumps({k: (v["truth"], v["precision"], v["recall"]) for k, v in types.items()}))
    for kind in FULL_RECALL[name]:
        assert types[kind]["truth"] and types[kind]["recall"] == 1.0, (name, kind, types[kind])
    if name == "caribbean-gofast":
        go_fast = types["speed_anomaly"]
        assert go_fast["truth"] == 3 and len(go_fast["latency"]) == 3
        for entry in go_fast["latency"]:
            print("go-fast", entry["sim_vessels"], entry["latency_s"], entry["own_type_latency_s"])
            assert entry["latency_s"] <= GO_FAST_LATENCY_MAX_S, entry
        assert types["dark_target"]["truth"] >= 1
    if name == "busy-port":  # radar clutter over traffic that all carries AIS
        found = [json.loads(line)["type"] for line in events.read_text().splitlines()]
        assert "dark_target" not in found and "speed_anomaly" not in found
