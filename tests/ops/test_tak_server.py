"""Cursor-on-Target through a real TAK server: taky (a TAK server from PyPI) runs here as its own process
on a real TCP port; the node's `[[tak]]` feed connects to it, and a crew's TAK device is pytak's own TCP
client connected to the same server. The tasked target and the intercept point reach the device through
the server with the right position, type and time; the device's own position, relayed by the server,
moves the asset (API and the WebSocket's `asset` message, which moves its symbol on the map)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from seawatch.ops.tak import TakFeedSettings, cot_event
from tests.node.harness import RunningNode, free_port, running_node
from tests.ops.helpers import boat, go_fast, go_fast_alert, on_node, ops_settings, until

pytak = pytest.importorskip("pytak")
if importlib.util.find_spec("taky") is None:
    pytest.skip("taky (the dev extra's TAK server) is not installed", allow_module_level=True)

# taky reads its own version with pkg_resources, which setuptools 81+ no longer ships: a stand-in
PKG_RESOURCES_SHIM = (
    "from importlib.metadata import PackageNotFoundError as DistributionNotFound\n"
    "from importlib.metadata import distribution as get_distribution\n"
)

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)


@pytest.fixture(scope="module")
def tak_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """taky on 127.0.0.1, plain TCP (its SSL off), in its own process."""
    root = tmp_path_factory.mktemp("taky")
    port = free_port()
    conf = root / "taky.conf"
    conf.write_text(
        "[taky]\nhostname = localhost\nnode_id = SEAWATCH-TEST\nbind_ip = 127.0.0.1\n"
        f"root_dir = {root}\n[cot_server]\nport = {port}\n[dp_server]\nupload_path = {root / 'dp'}\n"
        "[ssl]\nenabled = false\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    if importlib.util.find_spec("pkg_resources") is None:
        shim = root / "shim"
        shim.mkdir()
        (shim / "pkg_resources.py").write_text(PKG_RESOURCES_SHIM, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
    log = (root / "taky.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "taky.cot", "-c", str(conf), "-l", "info"],
        stdout=log,
        stderr=log,
        cwd=root,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"taky did not start: {(root / 'taky.log').read_text()}") from None
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


class TakDevice:
    """A crew's TAK device: pytak's TCP client to the server, in a thread with its own loop."""

    def __init__(self, port: int) -> None:
        self.messages: list[bytes] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._writer: Any = None
        self._reading: asyncio.Task[None] | None = None
        self._port = port
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._connect(), self._loop).result(20)

    async def _connect(self) -> None:
        from configparser import ConfigParser

        parser = ConfigParser()
        parser["device"] = {"COT_URL": f"tcp://127.0.0.1:{self._port}"}
        reader, self._writer = await pytak.protocol_factory(parser["device"])
        self._reading = self._loop.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            self.messages.append((await reader.readuntil(b"</event>")).strip())

    def send(self, data: bytes) -> None:
        async def write() -> None:
            self._writer.write(data)
            await self._writer.drain()

        asyncio.run_coroutine_threadsafe(write(), self._loop).result(10)

    def wait_for(self, uid: str, has: str = "", timeout_s: float = 30.0) -> ET.Element:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for raw in list(self.messages):
                root = ET.fromstring(raw)
                if root.get("uid") == uid and has in raw.decode():
                    return root
            time.sleep(0.05)
        raise AssertionError(f"no CoT {uid} ({has}) among {len(self.messages)} messages")

    def close(self) -> None:
        async def stop() -> None:
            if self._reading is not None:
                self._reading.cancel()
            self._writer.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, tak_server: int) -> Iterator[RunningNode]:
    settings = ops_settings(
        "ops-tak",
        tmp_path_factory.mktemp("ops-tak-node"),
        assets=[boat("CG-1", 17.78, -64.45, tak_uid="ANDROID-cg1")],
        tak=[TakFeedSettings(name="server", url=f"tcp://127.0.0.1:{tak_server}")],
    )
    with running_node(settings, wait_feeds=False) as running:
        yield running


def test_tasked_target_reaches_the_device_through_the_tak_server_and_its_position_comes_back(
    node: RunningNode, tak_server: int
) -> None:
    device = TakDevice(tak_server)
    try:
        viewer, operator, analyst = node.client("viewer"), node.client("operator"), node.client("analyst")
        until(lambda: analyst.get("/api/ops/tak").json()["connected"].get("server"))
        on_node(node, node.node.ingest_observations([go_fast(T0)], "ops"))
        on_node(node, node.node.ingest_events([go_fast_alert(T0)], "ops"))
        # the go-fast itself goes out as soon as it is raised
        assert device.wait_for("seawatch.radar:GF1").get("type") == "a-s-S"

        tasked = operator.post("/api/ops/assets/CG-1/task", json={"track_id": "radar:GF1"})
        assert tasked.status_code == 200, tasked.text
        plan = tasked.json()["tasking"]["plan"]
        cot = device.wait_for("seawatch.radar:GF1", has="tasked: CG-1")
        assert cot.get("type") == "a-s-S"
        point = cot.find("point")
        assert point is not None
        assert (float(point.get("lat", 0)), float(point.get("lon", 0))) == pytest.approx((17.80, -64.40))
        assert datetime.fromisoformat(str(cot.get("time")).replace("Z", "+00:00")) == T0
        meet = device.wait_for("seawatch.radar:GF1.intercept.CG-1")
        assert meet.get("type") == "b-m-p-w"
        meet_point = meet.find("point")
        assert meet_point is not None
        assert float(meet_point.get("lat", 0)) == pytest.approx(plan["lat"], abs=1e-5)
        assert float(meet_point.get("lon", 0)) == pytest.approx(plan["lon"], abs=1e-5)
        meet_at = datetime.fromisoformat(str(meet.get("time")).replace("Z", "+00:00"))
        assert (meet_at - T0).total_seconds() == pytest.approx(plan["eta_s"], abs=0.01)

        # the crew's device reports the boat under way; the server relays it to the node
        bus = node.node.bus.add_client(1000)
        at = datetime.now(UTC).replace(microsecond=0)
        device.send(cot_event("ANDROID-stranger", "a-f-G-U-C", 17.70, -64.60, at))  # not one of ours
        device.send(cot_event("ANDROID-cg1", "a-f-S-X-L", 17.71, -64.52, at, callsign="CG-1"))
        where = until(
            lambda: (w := viewer.get("/api/ops/assets/CG-1").json()["where"])["source"] == "tak" and w
        )
        assert (where["lat"], where["lon"]) == pytest.approx((17.71, -64.52))
        assert datetime.fromisoformat(where["time"].replace("Z", "+00:00")) == at
        moved = []
        while not bus.queue.empty():
            message = orjson.loads(bus.queue.get_nowait())
            if message["kind"] == "asset" and message["data"]["id"] == "CG-1":
                moved.append(message["data"]["where"])
        assert moved and moved[-1]["source"] == "tak" and moved[-1]["lat"] == pytest.approx(17.71)
        status = analyst.get("/api/ops/tak").json()
        assert status["received"] >= 1 and status["sent"]["server"] >= 3
        assert any("unknown sender 'ANDROID-stranger'" in r["reason"] for r in status["rejects"])
    finally:
        device.close()


def test_the_feed_connects_again_when_its_connection_drops(node: RunningNode, tak_server: int) -> None:
    """The node keeps one connection to the server; if it drops, the feed connects again and what was
    queued meanwhile still goes out."""
    bridge = node.app.state.ops.tak  # type: ignore[attr-defined]
    analyst = node.client("analyst")
    until(lambda: analyst.get("/api/ops/tak").json()["connected"].get("server"))
    # cut the node's connection under it (as a network cut or a server restart would)
    writer = bridge.streams["server"]
    assert node.node.loop is not None
    node.node.loop.call_soon_threadsafe(writer.transport.abort)
    until(lambda: not bridge.connected.get("server"), 10)
    until(lambda: bridge.connected.get("server"), 30)
    device = TakDevice(tak_server)
    try:
        time.sleep(0.5)  # the device is registered with the server
        bridge.on_ops(
            "tasking",
            {
                "asset_id": "CG-1",
                "track_id": "radar:AFTER",
                "tasked_by": "operator",
                "target": {"lat": 17.5, "lon": -64.5, "time": T0.isoformat()},
                "plan": {"reachable": False},
            },
        )
        assert device.wait_for("seawatch.radar:AFTER").get("type") == "a-s-S"
    finally:
        device.close()
