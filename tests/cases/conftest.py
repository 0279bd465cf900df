"""A real node (API on a free port, no feeds) that a go-fast is sailed into through its own API, so
cases can be opened from a real alert and a real track."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from seawatch.node.settings import ApiSettings, NodeSettings
from tests.node.harness import RunningNode, free_port, running_node

MAX_ATTACHMENT = 64 * 1024
GOFAST_MMSI = 338_200_001


def sail(
    client: httpx.Client, mmsi: int, start_s: float, lat: float, lon: float, kn: float, minutes: int
) -> None:
    """One fix a minute due east at `kn` knots from (lat, lon)."""
    step_deg = kn * 1852 / 60 / (111_320 * math.cos(math.radians(lat)))
    fixes = [
        {"time": datetime.fromtimestamp(start_s + 60 * m, UTC).isoformat(), "lat": lat,
         "lon": lon + step_deg * m, "mmsi": mmsi, "sog_kn": kn, "cog_deg": 90.0}
        for m in range(minutes)
    ]  # fmt: skip
    client.post("/api/observations", json={"observations": fixes}).raise_for_status()


def wait_event(client: httpx.Client, mmsi: int, kind: str = "speed_anomaly") -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = client.get("/api/events", params={"type": kind, "mmsi": mmsi}).json()
        if events:
            return dict(events[0])
        time.sleep(0.2)
    raise AssertionError(f"no {kind} event for {mmsi}")


@pytest.fixture(scope="package")
def case_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    settings = NodeSettings(
        node_id="cases",
        data_dir=tmp_path_factory.mktemp("casenode"),
        port=free_port(),
        api=ApiSettings(
            rate_limit_per_s=10_000, rate_limit_burst=10_000, max_attachment_bytes=MAX_ATTACHMENT
        ),
    )
    with running_node(settings, wait_feeds=False) as node:
        node.node.set_partners(["NL", "FR"])  # as a federated node's [[federation.partners]] would
        yield node


@pytest.fixture(scope="package")
def gofast(case_node: RunningNode) -> dict[str, Any]:
    """A real go-fast event (30 kn for 20 min in the open Gulf), raised by the node's detectors."""
    with case_node.client("operator") as operator:
        sail(operator, GOFAST_MMSI, datetime(2024, 12, 9, 10, tzinfo=UTC).timestamp(), 25.0, -90.0, 30.0, 21)
        return wait_event(operator, GOFAST_MMSI)
