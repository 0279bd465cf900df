"""Islands: a nation's node runs its own nats-server as a leaf node of the hub with its own JetStream
domain (`seawatch region init` with `island = true`, `seawatch region broker --leaf N`). Real
nats-server processes, the island's leaf link through the fault-injecting proxy: cut off, the island
keeps recording (its outbox empties into its own broker); when the link returns the hub's copy catches
up and the partner gets everything once. An attacker leaf (a partner's credential on a rogue
nats-server, and the island's own local clients) can neither read other nations' data nor publish into
another nation's reply inbox (forged confirmations) nor ack for it."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest

from bench.federation.proxy import FaultProxy
from seawatch.share.envelope import public_key_to_text
from seawatch.share.federation import Federation
from seawatch.share.island import IslandTransport
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.region import agreement_from_dict, generate, island_config, load_agreement
from seawatch.share.settings import nats_transport
from seawatch.share.transport import TlsFiles, inbox_prefix
from tests.share.helpers import make_keys, make_settings, radar_track, wait_until

pytestmark = pytest.mark.broker
NATIONS = ["bb", "tt", "jm"]


@dataclass
class Islands:
    out: Path
    hub: LocalNatsServer
    island: LocalNatsServer
    proxy: FaultProxy
    keys: dict[str, Any]
    leaf_port: int

    def tls(self, nation: str) -> TlsFiles:
        d = self.out / "nodes" / nation
        return TlsFiles(str(d / "ca.pem"), str(d / f"{nation}.pem"), str(d / f"{nation}.key"))


@pytest.fixture
async def islands(tmp_path: Path) -> AsyncIterator[Islands]:
    keys = make_keys(NATIONS)
    hub_port, leaf_port, island_port = free_port(), free_port(), free_port()
    raw = {
        "region": "test",
        "broker": {"host": "127.0.0.1", "port": hub_port, "leafnode_port": leaf_port},
        "nations": [
            {
                "id": n,
                "public_key": public_key_to_text(keys[n].public_key()),
                **({"island": True, "island_port": island_port} if n == "bb" else {}),
            }
            for n in NATIONS
        ],
    }
    (tmp_path / "region.toml").write_text("")  # (the agreement is given as a mapping here)
    out = tmp_path / "region"
    agreement = agreement_from_dict(raw, base=tmp_path)
    generate(agreement, out)
    # the island's leaf link goes through the fault-injecting proxy
    proxy = FaultProxy(("127.0.0.1", leaf_port), delay_s=0.05)
    await proxy.start()
    conf_path = out / "nodes" / "bb" / "island" / "nats-server.conf"
    conf = json.loads(conf_path.read_text())
    conf["leafnodes"]["remotes"][0]["url"] = f"tls://127.0.0.1:{proxy.port}"
    conf_path.write_text(json.dumps(conf))
    hub = LocalNatsServer(out / "broker" / "store", hub_port, config_file=out / "broker" / "nats-server.conf")
    island = LocalNatsServer(out / "nodes" / "bb" / "island" / "store", island_port, config_file=conf_path)
    hub.start()
    island.start()
    try:
        yield Islands(out, hub, island, proxy, keys, leaf_port)
    finally:
        island.stop()
        hub.stop()
        await proxy.stop()


def _federation(isl: Islands, nation: str, tmp: Path) -> Federation:
    url = isl.island.url if nation == "bb" else isl.hub.url
    policies = {p: {"track_sources": ["radar"]} for p in NATIONS if p != nation}
    settings = make_settings(nation, isl.keys, tmp, policies, url)
    settings.allow_insecure_broker = False
    settings.tls = isl.tls(nation)
    settings.hub_domain = "hub" if nation == "bb" else None
    return Federation(settings, nats_transport(settings))


def test_region_init_writes_the_island(tmp_path: Path) -> None:
    keys = make_keys(NATIONS)
    text = "\n".join(
        [
            'region = "r"',
            "[broker]",
            "port = 4333",
            *[
                f'[[nations]]\nid = "{n}"\npublic_key = "{public_key_to_text(keys[n].public_key())}"'
                + ("\nisland = true" if n == "tt" else "")
                for n in NATIONS
            ],
        ]
    )
    (tmp_path / "region.toml").write_text(text)
    agreement = load_agreement(tmp_path / "region.toml")
    assert agreement.islands == ["tt"] and agreement.leafnode_port == 7422
    generate(agreement, tmp_path / "out")
    conf = json.loads(island_config(agreement, "tt", tmp_path / "out"))
    assert conf["jetstream"]["domain"] == "tt" and conf["listen"].startswith("127.0.0.1:")
    assert conf["leafnodes"]["remotes"][0]["url"] == "tls://127.0.0.1:7422"
    snippet = (tmp_path / "out" / "nodes" / "tt" / "federation.toml").read_text()
    assert 'hub_domain = "hub"' in snippet and f"127.0.0.1:{agreement.nation('tt').island_port}" in snippet
    hub = json.loads((tmp_path / "out" / "broker" / "nats-server.conf").read_text())
    [tt_user] = [u for u in hub["accounts"]["SEAWATCH"]["users"] if u["user"] == "CN=tt"]
    allowed = tt_user["permissions"]["publish"]["allow"]
    assert not any(s.startswith("_INBOX") for s in allowed)  # no inbox but its own, ever
    assert tt_user["permissions"]["subscribe"]["allow"][0] == "_INBOX_tt.>"


async def test_island_records_while_cut_off_and_catches_up(islands: Islands, tmp_path: Path) -> None:
    bb, tt = _federation(islands, "bb", tmp_path), _federation(islands, "tt", tmp_path)
    assert isinstance(bb.transport, IslandTransport)
    await bb.start()
    await tt.start()
    try:
        first, total = 60, 200
        bb.publish_many([radar_track(i) for i in range(first)])
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= first, timeout_s=60)
        islands.proxy.partition()  # the island is cut off from the hub
        bb.publish_many([radar_track(i) for i in range(first, total)])
        # it keeps recording: its own broker confirms, the outbox empties, nothing reaches tt
        assert await wait_until(lambda: bb.db.outbox_size() == 0, timeout_s=30), bb.db.outbox_size()
        await asyncio.sleep(1.0)
        assert len(tt.db.received(origin="bb")) == first
        islands.proxy.heal()
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= total, timeout_s=120), len(
            tt.db.received(origin="bb")
        )
        await asyncio.sleep(1.0)  # room for a duplicate to show
        seqs = [r.seq for r in tt.db.received(origin="bb", limit=10_000)]
        sent = [r.seq for r in bb.audit.query(action="sent", partner="tt", limit=10_000)]
        assert len(seqs) == len(set(seqs)) == total  # every item, once
        assert sorted(seqs) == sorted(sent)
        assert tt.stats["rejected"] == 0
        # and the other way: tt's items reach the island's node through the hub
        own = [radar_track(i) for i in range(5)]
        for item in own:
            item["data"]["nodes"] = ["tt"]
        tt.publish_many(own)
        assert await wait_until(lambda: len(bb.db.received(origin="tt")) == 5, timeout_s=60)
        links = {row["partner"]: row for row in await bb.link_health()}
        assert links["tt"]["broker_waiting_messages"] == 0
        # tt's acknowledgement floor on the hub's copy, read back as the island's own sequence
        lag = await bb.transport.lag("bb", "tt")
        assert lag is not None and 0 < lag.last_ack_stream_seq <= total  # bundles on the island
        # a narrowing purges both copies and re-sends nothing tt already took
        bb.set_policy("tt", {"track_sources": ["ais"]})
        await bb.send_due()
        await asyncio.sleep(1.0)
        assert bb.db.outbox_size() == 0 and tt.stats["rejected"] == 0
    finally:
        await bb.stop()
        await tt.stop()
        bb.close()
        tt.close()


def _ctx(isl: Islands, nation: str) -> ssl.SSLContext:
    return isl.tls(nation).context()


async def _raw_leaf_forgery(isl: Islands, tt_nc: Any) -> tuple[bool, list[bytes]]:
    """Speak the leaf node protocol by hand with jm's certificate (a leaf that ignores the interest the
    hub announced): a request jm may make (the control: its answer must arrive), a message into tt's
    reply inbox and an ack for tt (must not). Returns (control answered, forged messages tt received)."""
    jm_nc = await nats.connect(isl.hub.url, tls=_ctx(isl, "jm"), inbox_prefix=inbox_prefix("jm"))
    control: list[bytes] = []
    forged: list[bytes] = []

    async def got_control(msg: Any) -> None:
        control.append(msg.data)

    async def got_forged(msg: Any) -> None:
        forged.append(msg.data)

    await jm_nc.subscribe(f"{inbox_prefix('jm')}.ctrl", cb=got_control)
    await tt_nc.subscribe(f"{inbox_prefix('tt')}.raw", cb=got_forged)
    await jm_nc.flush()
    await tt_nc.flush()
    reader, writer = await asyncio.open_connection("127.0.0.1", isl.leaf_port)
    try:
        await reader.readline()  # INFO
        await writer.start_tls(_ctx(isl, "jm"), server_hostname="127.0.0.1")
        hello = {"name": "rogue", "headers": True, "protocol": 3, "remote_account": "SEAWATCH"}
        writer.write(b"CONNECT " + json.dumps(hello).encode() + b"\r\nPING\r\n")
        await writer.drain()
        await asyncio.sleep(1.0)
        # control: a request jm may make (the hub's JetStream answers into jm's inbox)
        writer.write(f"LMSG $JS.API.STREAM.INFO.SEAWATCH_JM {inbox_prefix('jm')}.ctrl 0\r\n\r\n".encode())
        writer.write(f"LMSG {inbox_prefix('tt')}.raw 6\r\nforged\r\n".encode())  # a forged reply
        writer.write(b"LMSG $JS.ACK.SEAWATCH_BB.to_tt.1.1.1.0.0 4\r\n+ACK\r\n")
        writer.write(b"PING\r\n")
        await writer.drain()
        await asyncio.sleep(1.5)
    finally:
        writer.close()
        await jm_nc.close()
    return bool(control), forged


async def test_attacker_leaf_cannot_read_ack_or_forge(islands: Islands, tmp_path: Path) -> None:
    bb, tt = _federation(islands, "bb", tmp_path), _federation(islands, "tt", tmp_path)
    await bb.transport.start()
    bb.publish_many([radar_track(i) for i in range(10)])
    while bb.db.outbox_size():
        assert await bb.send_due() > 0
    # a rogue nats-server with jm's credential joins the hub as a leaf node
    rogue_port = free_port()
    rogue_dir = tmp_path / "rogue"
    rogue_dir.mkdir()
    jm = islands.out / "nodes" / "jm"
    rogue_conf = {
        "listen": f"127.0.0.1:{rogue_port}",
        "jetstream": {"store_dir": str(rogue_dir / "store"), "domain": "rogue"},
        "accounts": {"SEAWATCH": {"jetstream": "enabled", "users": [{"user": "x", "password": "x"}]}},
        "leafnodes": {
            "remotes": [
                {
                    "url": f"tls://127.0.0.1:{islands.leaf_port}",
                    "account": "SEAWATCH",
                    "tls": {
                        "cert_file": str(jm / "jm.pem"),
                        "key_file": str(jm / "jm.key"),
                        "ca_file": str(jm / "ca.pem"),
                    },
                }
            ]
        },
    }
    (rogue_dir / "rogue.conf").write_text(json.dumps(rogue_conf))
    rogue = LocalNatsServer(rogue_dir, rogue_port, config_file=rogue_dir / "rogue.conf")
    rogue.start()
    tt_nc = await nats.connect(islands.hub.url, tls=_ctx(islands, "tt"), inbox_prefix=inbox_prefix("tt"))
    try:
        forged: list[bytes] = []

        async def caught(msg: Any) -> None:
            forged.append(msg.data)

        await tt_nc.subscribe(f"{inbox_prefix('tt')}.forged", cb=caught)
        await tt_nc.flush()
        attacker = await nats.connect(f"nats://x:x@127.0.0.1:{rogue_port}")
        island_local = await nats.connect(islands.island.url, tls=_ctx(islands, "bb"))
        seen: list[str] = []

        async def spy(msg: Any) -> None:
            seen.append(msg.subject)

        await attacker.subscribe(">", cb=spy)
        await asyncio.sleep(2.0)  # the leaf links are up, interest exchanged
        for nc in (attacker, island_local):
            # a forged confirmation into tt's reply inbox
            await nc.publish(f"{inbox_prefix('tt')}.forged", b'{"stream":"SEAWATCH_TT","seq":1}')
            # reading bb's stream as tt, on the hub
            for api in ("$JS.API", "$JS.hub.API"):
                with pytest.raises((nats.errors.NoRespondersError, nats.errors.TimeoutError)):
                    await nc.request(
                        f"{api}.CONSUMER.MSG.NEXT.SEAWATCH_BB.to_tt", b'{"batch":10}', timeout=1.0
                    )
            # acking tt's messages away
            await nc.publish("$JS.ACK.SEAWATCH_BB.to_tt.1.1.1.0.0", b"+ACK")
            await nc.flush()
        await asyncio.sleep(1.5)
        assert forged == []
        ours = {f"{inbox_prefix('tt')}.forged", "$JS.ACK.SEAWATCH_BB.to_tt.1.1.1.0.0"}  # its own publishes
        leaked = [s for s in seen if s not in ours and not s.startswith("$JS.API.CONSUMER.MSG.NEXT")]
        assert not [s for s in leaked if s.startswith(("seawatch.", "$SW.", "_INBOX_", "$JS.ACK."))], seen
        # everything bb shared is still there for tt, once
        await tt.transport.start()
        got = 0
        for _ in range(20):
            got += await tt.receive_from("bb", timeout_s=0.5)
            if got >= 10:
                break
        assert got == 10
        await attacker.close()
        await island_local.close()
        # a leaf that does not play by the protocol's interest rules: the hub itself must drop it
        assert await _raw_leaf_forgery(islands, tt_nc) == (True, [])
    finally:
        await tt_nc.close()
        rogue.stop()
        for fed in (bb, tt):
            await fed.transport.close()
            fed.close()


async def test_island_broker_killed_while_recording_loses_nothing(islands: Islands, tmp_path: Path) -> None:
    """kill -9 of the island's nats-server twice while bb records (and once while cut off from the hub):
    what its JetStream confirmed survives (sync always), what it did not stays in bb's outbox."""
    bb, tt = _federation(islands, "bb", tmp_path), _federation(islands, "tt", tmp_path)
    await bb.start()
    await tt.start()
    try:
        n = 0
        for round_ in range(3):
            if round_ == 2:
                islands.proxy.partition()
            for _ in range(40):
                bb.publish(radar_track(n))
                n += 1
                await asyncio.sleep(0.01)
            islands.island.stop()  # SIGKILL
            await asyncio.sleep(0.5)
            bb.publish_many([radar_track(i) for i in range(n, n + 20)])  # queued in bb's outbox meanwhile
            n += 20
            islands.island.start()
        islands.proxy.heal()
        expected = n  # every item goes to tt (and jm)
        assert await wait_until(lambda: bb.db.outbox_size() == 0, timeout_s=90), bb.db.outbox_size()
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= expected, timeout_s=150), len(
            tt.db.received(origin="bb")
        )
        await asyncio.sleep(1.0)
        seqs = [r.seq for r in tt.db.received(origin="bb", limit=10_000)]
        sent = {r.seq for r in bb.audit.query(action="sent", partner="tt", limit=10_000)}
        assert len(seqs) == len(set(seqs)) == expected
        assert set(seqs) == sent
    finally:
        await bb.stop()
        await tt.stop()
        bb.close()
        tt.close()
