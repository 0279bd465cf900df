"""What the live operations tests share: a patrol boat, a node with a fleet, a go-fast and its alert
(radar-only, 32 kn east, just off St Croix's east end), and running work on the node's own loop."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from seawatch.model import Event, Observation, SensorKind
from seawatch.node.settings import ApiSettings, NodeSettings, PipelineSettings
from seawatch.ops.assets import AssetConfig
from tests.node.harness import RunningNode, free_port


def boat(asset_id: str, lat: float, lon: float, **kw: Any) -> AssetConfig:
    return AssetConfig.model_validate(
        {
            "id": asset_id,
            "name": f"CG {asset_id}",
            "kind": "boat",
            "home_base": "Christiansted",
            "base_lat": lat,
            "base_lon": lon,
            "max_speed_kn": 40.0,
            "cruise_speed_kn": 25.0,
            "endurance_h": 8.0,
            "fuel_range_nm": 200.0,
            "crew": 4,
            **kw,
        }
    )


def ops_settings(
    node_id: str, data_dir: Path, tracker: Literal["fusion", "latest"] = "latest", **kw: Any
) -> NodeSettings:
    """A node on a free port, rate limits out of the way, with `kw` (assets, tak...) as given."""
    return NodeSettings(
        node_id=node_id,
        data_dir=data_dir,
        port=free_port(),
        api=ApiSettings(rate_limit_per_s=10_000, rate_limit_burst=10_000),
        pipeline=PipelineSettings(tracker=tracker),
        **kw,
    )


def on_node(running: RunningNode, coro: Any) -> Any:
    """Run `coro` on the node's own event loop and wait for its result."""
    assert running.node.loop is not None
    return asyncio.run_coroutine_threadsafe(coro, running.node.loop).result(30)


def until(check: Any, timeout_s: float = 30.0) -> Any:
    """Poll `check` until it gives something true; that is returned."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("timed out")


def radar_contact(
    when: datetime, lat: float, lon: float, site: str, ref: str, sog_kn: float, cog_deg: float
) -> Observation:
    return Observation(
        time=when,
        lat=lat,
        lon=lon,
        sensor=SensorKind.RADAR,
        source=f"radar:{site}",
        target_ref=ref,
        sog_kn=sog_kn,
        cog_deg=cog_deg,
    )


def go_fast(when: datetime) -> Observation:
    """The go-fast's radar contact (its track is `radar:GF1`)."""
    return radar_contact(when, 17.80, -64.40, "east", "GF1", 32.0, 80.0)


def go_fast_alert(when: datetime, **details: Any) -> Event:
    """The speed alert on the go-fast, raised at `when` after 12 minutes."""
    return Event(
        type="speed_anomaly",
        mmsi=(),
        start=when - timedelta(minutes=12),
        end=when,
        lat=17.80,
        lon=-64.40,
        details=details,
        track_ids=("radar:GF1",),
    )
