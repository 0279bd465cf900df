"""Build federated test nodes: keys, settings, policies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from seawatch.share.envelope import generate_key
from seawatch.share.policy import SharePolicy
from seawatch.share.settings import FederationSettings

# A box around Barbados's waters (lon, lat ring) used as "bb's EEZ" in tests.
BB_EEZ = [[-60.5, 12.0], [-58.0, 12.0], [-58.0, 14.5], [-60.5, 14.5], [-60.5, 12.0]]


def make_keys(ids: list[str]) -> dict[str, Ed25519PrivateKey]:
    return {i: generate_key() for i in ids}


def make_settings(
    node_id: str,
    keys: dict[str, Ed25519PrivateKey],
    tmp: Path,
    policies: dict[str, dict[str, Any]] | None = None,
    url: str = "nats://127.0.0.1:4222",
) -> FederationSettings:
    partners = {p: k.public_key() for p, k in keys.items() if p != node_id}
    return FederationSettings(
        node_id=node_id,
        nats_url=url,
        private_key=keys[node_id],
        db_path=tmp / node_id / "share.sqlite",
        partner_keys=partners,
        policies={p: SharePolicy.from_dict(p, raw) for p, raw in (policies or {}).items()},
        allow_insecure_broker=True,  # an open test broker; test_isolation.py runs the secured one
    )


def radar_track(i: int, lat: float = 13.1, lon: float = -59.6) -> dict[str, Any]:
    return {
        "kind": "track",
        "data": {
            "track_id": f"bb-r{i}",
            "mmsi": None,
            "lat": lat,
            "lon": lon,
            "time": "2026-01-01T00:00:00Z",
            "sog_kn": 12.0,
            "sensor": "radar",
            "sources": ["radar"],
            "sensors": ["bb-radar-1"],
            "nodes": ["bb"],
        },
    }


async def wait_until(cond: Callable[[], bool], timeout_s: float = 20.0, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        await asyncio.sleep(step_s)
    return cond()


async def attack_succeeds(nc: Any, subject: str, body: dict[str, Any] | None = None) -> bool:
    """True when the broker answered a request without an error (the attack worked)."""
    try:
        msg = await nc.request(subject, json.dumps(body or {}).encode(), timeout=0.8)
    except Exception:
        return False  # a publish permission violation is never answered
    try:
        reply = json.loads(msg.data)
    except ValueError:
        return True  # a delivered message (e.g. MSG.NEXT handed out data)
    return not (isinstance(reply, dict) and "error" in reply)
