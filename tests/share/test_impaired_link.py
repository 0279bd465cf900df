"""An island's link to the broker through a fault-injecting TCP proxy: 600 ms each way, stalls, drops,
and a (shortened) partition. Nothing lost, nothing duplicated; the catch-up is then only a matter of
time (measured in bench/federation, not asserted here)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.federation.proxy import FaultProxy
from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer
from seawatch.share.transport import NatsTransport
from tests.share.helpers import make_keys, make_settings, radar_track, wait_until

pytestmark = pytest.mark.broker


async def test_island_link_delay_stalls_drops_partition(tmp_path: Path, nats_server: LocalNatsServer) -> None:
    proxy = FaultProxy(
        ("127.0.0.1", nats_server.port), delay_s=0.6, stall_every_s=5.0, stall_s=1.5, drop_every_s=12.0
    )
    await proxy.start()
    keys = make_keys(["bb", "tt"])
    island = f"nats://127.0.0.1:{proxy.port}"
    bb = Federation(
        make_settings("bb", keys, tmp_path, {"tt": {"track_sources": ["radar"]}}, island),
        NatsTransport(island),
    )
    tt = Federation(make_settings("tt", keys, tmp_path, {}, nats_server.url), NatsTransport(nats_server.url))
    await bb.start()
    await tt.start()
    try:
        total = 200
        for i in range(total):
            bb.publish(radar_track(i))
            await asyncio.sleep(0.01)
            if i == 80:
                proxy.partition()  # the island is cut off: it keeps recording
            if i == 160:
                assert bb.db.outbox_size() > 0
                proxy.heal()
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= total, timeout_s=150), (
            len(tt.db.received(origin="bb")),
            bb.stats,
        )
        # publishes the broker stored but whose confirmation the link lost are sent again: the broker's
        # duplicate window and the receiver's (origin, seq) check absorb them
        assert await wait_until(lambda: bb.db.outbox_size() == 0, timeout_s=60)
        await asyncio.sleep(1.0)  # room for a duplicate to show
        seqs = [r.seq for r in tt.db.received(origin="bb")]
        assert seqs == list(range(1, total + 1))
        assert bb.db.outbox_size() == 0
        assert proxy.bytes_passed > 0 and proxy.stalls > 0
    finally:
        await bb.stop()
        await tt.stop()
        bb.close()
        tt.close()
        await proxy.stop()
