"""A live node with the fusion tracker (AIS reports of one vessel): the plan for its track carries the
tracker's own uncertainty (its Kalman position and velocity sigma) as the error at the intercept, the
search radius and the conservative ETA."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from seawatch.model import Observation, SensorKind
from tests.node.harness import RunningNode, running_node
from tests.ops.helpers import boat, on_node, ops_settings

M_PER_NM = 1852.0


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    settings = ops_settings(
        "ops-sigma",
        tmp_path_factory.mktemp("ops-sigma"),
        tracker="fusion",
        assets=[boat("CG-1", 17.78, -64.45)],
    )
    with running_node(settings, wait_feeds=False) as running:
        yield running


def test_plan_for_a_fused_track_carries_the_trackers_uncertainty(node: RunningNode) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    fixes = [
        Observation(
            time=start + timedelta(seconds=10 * k),
            lat=17.80,
            lon=-64.30 + 0.00044 * k,  # east at ~9 kn
            sensor=SensorKind.AIS,
            source="ais:east",
            mmsi=338000777,
            sog_kn=9.0,
            cog_deg=90.0,
        )
        for k in range(8)
    ]
    on_node(node, node.node.ingest_observations(fixes, "ops"))
    deadline = time.monotonic() + 30
    state = None
    while state is None and time.monotonic() < deadline:
        state = next((s for s in list(node.node.live.values()) if s.pos_sigma_m), None)
        time.sleep(0.1)
    assert state is not None, "the fusion tracker gave no track with its uncertainty"
    assert state.vel_sigma_mps is not None and state.vel_sigma_mps > 0
    plans = node.client("viewer").get(f"/api/ops/intercept/{state.track_id}").json()
    plan = plans[0]
    assert plan["asset"] == "CG-1" and plan["reachable"], plan
    t_h = plan["eta_s"] / 3600.0
    # the tracker's figures carried to the meeting (the plan is made from the track's latest state)
    state = node.node.live[state.track_id]
    want = math.hypot(state.pos_sigma_m / M_PER_NM, state.vel_sigma_mps * 3600 / M_PER_NM * t_h)
    assert plan["uncertainty_nm"] == pytest.approx(want, rel=0.01)
    assert plan["search_radius_nm"] == pytest.approx(2.4477 * plan["uncertainty_nm"], rel=1e-3)
    assert plan["eta_worst_s"] > plan["eta_s"]
