"""A clustered hub: three nats-server processes (`[[broker.servers]]` in region.toml, `seawatch region
broker --server K`), routes over mutual TLS that only the route certificate may join, streams kept on all
three (R3). Real processes: bb shares with tt while the stream's leader is killed (SIGKILL) and later
restarted, and tt ends with every item bb's node acknowledged, once; on the cluster a partner's
credential still cannot read or purge what is not its own, on any server, and a nation's certificate
cannot join as a route."""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import nats
import pytest

from seawatch.errors import ConfigError
from seawatch.share.envelope import private_key_to_text, public_key_to_text
from seawatch.share.federation import Federation
from seawatch.share.island import IslandTransport
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.region import (
    ROUTE_CN,
    RegionAgreement,
    agreement_from_dict,
    generate,
    hub_dir,
    island_config,
)
from seawatch.share.settings import federation_from_dict, nats_transport
from seawatch.share.transport import NatsTransport, TlsFiles, consumer_name, inbox_prefix, stream_name
from tests.share.helpers import attack_succeeds, make_keys, radar_track, wait_until

pytestmark = pytest.mark.broker
NATIONS = ["bb", "tt", "jm"]


def _raw(keys: dict[str, Any], servers: list[dict[str, Any]], island: str | None = None) -> dict[str, Any]:
    return {
        "region": "test",
        "broker": {"host": "127.0.0.1", "servers": servers},
        "nations": [
            {
                "id": n,
                "public_key": public_key_to_text(keys[n].public_key()),
                **({"island": True, "island_port": free_port()} if n == island else {}),
            }
            for n in NATIONS
        ],
    }


def _three(leaf: bool = False) -> list[dict[str, Any]]:
    return [
        {"port": free_port(), "cluster_port": free_port(), **({"leafnode_port": free_port()} if leaf else {})}
        for _ in range(3)
    ]


@dataclass
class Hub:
    out: Path
    agreement: RegionAgreement
    servers: list[LocalNatsServer]
    keys: dict[str, Any]

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    def tls(self, nation: str) -> TlsFiles:
        d = self.out / "nodes" / nation
        return TlsFiles(str(d / "ca.pem"), str(d / f"{nation}.pem"), str(d / f"{nation}.key"))

    def server_named(self, name: str) -> LocalNatsServer:
        return self.servers[int(name.removeprefix(f"{self.agreement.region}_hub")) - 1]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    keys = make_keys(NATIONS)
    agreement = agreement_from_dict(_raw(keys, _three()), base=tmp_path)
    out = tmp_path / "region"
    generate(agreement, out)
    keys_dir = tmp_path / "keys"  # where each nation's federation.toml expects its node key
    keys_dir.mkdir()
    for n in NATIONS:
        (keys_dir / f"{n}.key").write_text(private_key_to_text(keys[n]))
    servers = [
        LocalNatsServer(
            hub_dir(agreement, out, k) / "store", s.port, hub_dir(agreement, out, k) / "nats-server.conf"
        )
        for k, s in enumerate(agreement.hub_servers, start=1)
    ]
    try:
        for server in servers:
            server.start()
        yield Hub(out, agreement, servers, keys)
    finally:
        for server in servers:
            server.stop()


def _federation(hub: Hub, nation: str, tmp: Path) -> Federation:
    """The node's settings as an operator would write them: its generated federation.toml, plus a
    policy per partner."""
    kit = hub.out / "nodes" / nation  # the folder given to the nation; its paths are relative to it
    (kit / "keys").mkdir(exist_ok=True)
    (kit / "keys" / f"{nation}.key").write_text(private_key_to_text(hub.keys[nation]))
    fed = tomllib.loads((kit / "federation.toml").read_text())["federation"]
    for partner in fed["partners"]:
        partner["policy"] = {"track_sources": ["radar"]}
    raw = {"node_id": nation, "data_dir": str(tmp / nation), "federation": fed}
    settings = federation_from_dict(raw, base=kit)
    return Federation(settings, nats_transport(settings))


def test_region_init_writes_one_config_per_server(tmp_path: Path) -> None:
    keys = make_keys(NATIONS)
    agreement = agreement_from_dict(_raw(keys, _three(leaf=True), island="jm"), base=tmp_path)
    assert agreement.clustered and agreement.replicas == 3
    out = tmp_path / "out"
    generate(agreement, out)
    assert not (out / "broker" / "nats-server.conf").exists()
    confs = [json.loads((out / "broker" / f"s{k}" / "nats-server.conf").read_text()) for k in (1, 2, 3)]
    assert len({c["server_name"] for c in confs}) == 3
    assert len({c["jetstream"]["store_dir"] for c in confs}) == 3
    assert {c["jetstream"]["domain"] for c in confs} == {"hub"}
    assert all(c["accounts"] == confs[0]["accounts"] for c in confs)  # the same users, the same rights
    cluster_urls = [f"tls://127.0.0.1:{s.cluster_port}" for s in agreement.hub_servers]
    for k, conf in enumerate(confs):
        cluster = conf["cluster"]
        assert len({c["cluster"]["name"] for c in confs}) == 1
        assert sorted(cluster["routes"]) == sorted(u for i, u in enumerate(cluster_urls) if i != k)
        assert cluster["tls"]["verify_and_map"] is True
        assert cluster["authorization"] == {"user": f"CN={ROUTE_CN}", "timeout": 5}
        assert conf["leafnodes"]["listen"].endswith(f":{agreement.hub_servers[k].leafnode_port}")
        for key in ("route.key", "server.key"):
            assert (out / "broker" / f"s{k + 1}" / key).stat().st_mode & 0o777 == 0o600
    # an island's leaf link knows every hub server
    island = json.loads(island_config(agreement, "jm", out))
    assert island["leafnodes"]["remotes"][0]["urls"] == [
        f"tls://127.0.0.1:{s.leafnode_port}" for s in agreement.hub_servers
    ]
    # each node's settings list every server and ask for three copies of its stream
    kit = out / "nodes" / "bb"  # moved elsewhere as a whole, its paths still hold
    kit = kit.rename(tmp_path / "given-to-bb")
    (kit / "keys").mkdir()
    (kit / "keys" / "bb.key").write_text(private_key_to_text(keys["bb"]))
    fed = tomllib.loads((kit / "federation.toml").read_text())["federation"]
    settings = federation_from_dict({"node_id": "bb", "federation": fed}, base=kit)
    assert settings.tls is not None and Path(settings.tls.cert_file).read_bytes().startswith(b"-----BEGIN")
    urls = [f"tls://127.0.0.1:{s.port}" for s in agreement.hub_servers]
    assert settings.nats_url == urls and settings.hub_replicas == 3
    transport = nats_transport(settings)
    assert isinstance(transport, NatsTransport)
    assert transport.servers == urls and transport.stream_config("bb").num_replicas == 3
    assert "hub_replicas = 3" in (out / "nodes" / "jm" / "federation.toml").read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b["servers"].pop(), "cluster of 3, 5"),  # two servers: losing either stops it
        (lambda b: b["servers"].append({"port": free_port(), "cluster_port": free_port()}), "not 4"),
        (lambda b: b["servers"][1].update(port=b["servers"][0]["port"]), "port"),
        (lambda b: b["servers"][2].update(cluster_port=b["servers"][0]["port"]), "both"),
        (lambda b: b["servers"][0].pop("cluster_port"), "cluster_port"),
        (lambda b: b.update(port=4333), "both given"),
        (lambda b: b["servers"][0].update(prot=1), "unknown"),
        (lambda b: b["servers"][0].update(port="x"), "port number"),
    ],
)
def test_cluster_declarations_checked(tmp_path: Path, change: Any, message: str) -> None:
    raw = _raw(make_keys(NATIONS), _three())
    agreement_from_dict(raw, base=tmp_path)  # as written: fine
    change(raw["broker"])
    with pytest.raises(ConfigError, match=message):
        agreement_from_dict(raw, base=tmp_path)


def test_one_declared_server_is_the_plain_hub(tmp_path: Path) -> None:
    raw = _raw(make_keys(NATIONS), [{"port": 4333}])
    agreement = agreement_from_dict(raw, base=tmp_path)
    assert not agreement.clustered and agreement.port == 4333
    generate(agreement, tmp_path / "out")
    conf = json.loads((tmp_path / "out" / "broker" / "nats-server.conf").read_text())
    assert "cluster" not in conf and conf["listen"] == "127.0.0.1:4333"
    assert (
        'nats_url = "tls://127.0.0.1:4333"'
        in (tmp_path / "out" / "nodes" / "bb" / "federation.toml").read_text()
    )
    # islands need a leaf port on every server
    with pytest.raises(ConfigError, match="leafnode_port"):
        agreement_from_dict(_raw(make_keys(NATIONS), _three(), island="tt"), base=tmp_path)


async def _stream_leader(hub: Hub) -> tuple[str, Any]:
    """The server leading bb's stream (and the stream's info), asked with bb's own credential."""
    nc = await nats.connect(hub.urls, tls=hub.tls("bb").context(), inbox_prefix=inbox_prefix("bb"))
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream_name("bb"))
        consumer = await js.consumer_info(stream_name("bb"), consumer_name("tt"))
    finally:
        await nc.close()
    assert consumer.cluster is not None and len(consumer.cluster.replicas or []) == 2  # R3 as well
    assert info.cluster is not None and info.cluster.leader
    return info.cluster.leader, info


async def test_leader_killed_while_sharing_loses_nothing(hub: Hub, tmp_path: Path) -> None:
    bb, tt = _federation(hub, "bb", tmp_path), _federation(hub, "tt", tmp_path)
    await bb.start()
    await tt.start()
    published = 0

    async def produce(count: int) -> None:
        nonlocal published
        for _ in range(count):
            bb.publish(radar_track(published))  # returned: bb's node acknowledged it
            published += 1
            await asyncio.sleep(0.01)

    try:
        await produce(30)
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= 30, timeout_s=60)
        leader, info = await _stream_leader(hub)
        assert info.config.num_replicas == 3 and len(info.cluster.replicas or []) == 2
        victim = hub.server_named(leader)
        producer = asyncio.create_task(produce(150))
        assert await wait_until(lambda: published >= 60, timeout_s=30)
        victim.stop()  # SIGKILL of the stream's leader while items flow
        await producer
        # two of three servers are a quorum: bb's outbox empties and tt keeps receiving
        assert await wait_until(lambda: bb.db.outbox_size() == 0, timeout_s=90), bb.db.outbox_size()
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= published, timeout_s=90)
        new_leader, _ = await _stream_leader(hub)
        assert new_leader != leader
        victim.start()  # back: it catches up from the others
        await produce(40)
        assert await wait_until(lambda: bb.db.outbox_size() == 0, timeout_s=90), bb.db.outbox_size()
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= published, timeout_s=90), len(
            tt.db.received(origin="bb")
        )
        await asyncio.sleep(1.0)  # room for a duplicate to show
        seqs = [r.seq for r in tt.db.received(origin="bb", limit=10_000)]
        sent = [r.seq or 0 for r in bb.audit.query(action="sent", partner="tt", limit=10_000)]
        assert len(seqs) == len(set(seqs)) == published == 220  # every acknowledged item, once
        assert sorted(seqs) == sorted(sent)
        assert tt.stats["rejected"] == 0  # no copy came twice (the broker's duplicate window held)

        async def all_current() -> bool:
            _, info = await _stream_leader(hub)
            return all(p.current for p in info.cluster.replicas or [])

        for _ in range(100):  # the restarted server has caught up (hang guard, not a timing claim)
            if await all_current():
                break
            await asyncio.sleep(0.2)
        assert await all_current()
    finally:
        await bb.stop()
        await tt.stop()
        bb.close()
        tt.close()


async def _route_handshake(port: int, cluster: str, ca: Path, cert: Path, key: Path) -> bytes:
    """Join the cluster port as a route would (TLS first, then CONNECT and PING): what the server says."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.load_cert_chain(str(cert), str(key))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    said = b""
    try:
        await writer.start_tls(ctx, server_hostname="127.0.0.1")
        said += await asyncio.wait_for(reader.readline(), 5)  # INFO
        hello = {"tls_required": True, "name": "rogue", "id": "ROGUE", "cluster": cluster}
        writer.write(b"CONNECT " + json.dumps(hello).encode() + b"\r\nPING\r\n")
        await writer.drain()
        while not said.endswith((b"PONG\r\n", b"'\r\n")):
            chunk = await asyncio.wait_for(reader.read(4096), 5)
            if not chunk:
                break
            said += chunk
    except (OSError, ssl.SSLError, TimeoutError):
        pass
    finally:
        writer.close()
    return said


async def test_isolation_holds_on_every_server(hub: Hub, tmp_path: Path) -> None:
    bb = _federation(hub, "bb", tmp_path)
    await bb.transport.start()
    bb.publish_many([radar_track(i) for i in range(10)])
    for _ in range(100):  # the cluster elects its leaders in the first seconds: retry until sent
        if not bb.db.outbox_size():
            break
        try:
            await bb.transport.ensure_outgoing("bb", ["tt", "jm"])
            await bb.send_due()
        except Exception:
            await asyncio.sleep(0.2)
    assert bb.db.outbox_size() == 0
    theirs = stream_name("bb")
    try:
        for url in hub.urls:  # every server enforces the same rights
            nc = await nats.connect(url, tls=hub.tls("tt").context(), inbox_prefix=inbox_prefix("tt"))
            attacks: dict[str, tuple[str, dict[str, Any]]] = {
                "read jm's consumer": (f"$JS.API.CONSUMER.MSG.NEXT.{theirs}.to_jm", {"batch": 5}),
                "jm's consumer info": (f"$JS.API.CONSUMER.INFO.{theirs}.to_jm", {}),
                "purge": (f"$JS.API.STREAM.PURGE.{theirs}", {}),
                "purge in the hub's domain": (f"$JS.hub.API.STREAM.PURGE.{theirs}", {}),
                "delete": (f"$JS.API.STREAM.DELETE.{theirs}", {}),
                "get message": (f"$JS.API.STREAM.MSG.GET.{theirs}", {"seq": 1}),
                "direct get": (f"$JS.API.DIRECT.GET.{theirs}", {"seq": 1}),
                "stream info": (f"$JS.API.STREAM.INFO.{theirs}", {}),
                "step the leader down": (f"$JS.API.STREAM.LEADER.STEPDOWN.{theirs}", {}),
                "remove a peer": (f"$JS.API.STREAM.PEER.REMOVE.{theirs}", {"peer": "test_hub1"}),
                "spy consumer": (
                    f"$JS.API.CONSUMER.CREATE.{theirs}.spy.seawatch.bb.>",
                    {"stream_name": theirs, "config": {"name": "spy", "durable_name": "spy"}},
                ),
                "meta leader stepdown": ("$JS.API.META.LEADER.STEPDOWN", {}),
                "server remove": ("$JS.API.SERVER.REMOVE", {"peer": "test_hub1"}),
            }
            results = await asyncio.gather(*(attack_succeeds(nc, s, b) for s, b in attacks.values()))
            worked = [name for name, ok in zip(attacks, results, strict=True) if ok]
            assert worked == [], f"tt on {url}: {worked}"
            # the control: what bb addressed to tt, tt reads on this server
            assert await attack_succeeds(nc, f"$JS.API.CONSUMER.INFO.{theirs}.to_tt")
            await nc.close()
        # a nation's certificate on the route port: refused; the route certificate (the control): a PONG
        ca = hub.out / "broker" / "ca.pem"
        s1 = hub_dir(hub.agreement, hub.out, 1)
        cluster = json.loads((s1 / "nats-server.conf").read_text())["cluster"]["name"]
        for k, server in enumerate(hub.agreement.hub_servers, start=1):
            assert server.cluster_port is not None
            node = hub.out / "nodes" / "tt"
            said = await _route_handshake(server.cluster_port, cluster, ca, node / "tt.pem", node / "tt.key")
            assert b"Authorization Violation" in said and b"PONG" not in said, (k, said)
        route = await _route_handshake(
            hub.agreement.hub_servers[1].cluster_port or 0, cluster, ca, s1 / "route.pem", s1 / "route.key"
        )
        assert route.endswith(b"PONG\r\n"), route
        # and the route certificate is no client credential
        ctx = ssl.create_default_context(cafile=str(ca))
        ctx.load_cert_chain(str(s1 / "route.pem"), str(s1 / "route.key"))
        with pytest.raises(Exception):  # noqa: B017 - nats-py raises TLS, auth or timeout errors
            await nats.connect(
                hub.urls[0], tls=ctx, allow_reconnect=False, connect_timeout=2, max_reconnect_attempts=0
            )
        # tt still gets all of what bb sent it (nothing the attempts did touched it)
        tt = _federation(hub, "tt", tmp_path)
        await tt.transport.start()
        got = 0
        for _ in range(40):
            got += await tt.receive_from("bb", timeout_s=0.3)
            if got >= 10:
                break
        assert got == 10
        await tt.transport.close()
        tt.close()
    finally:
        await bb.transport.close()
        bb.close()


def _has(fed: Federation, count: int) -> bool:
    return len(fed.db.received(origin="bb")) >= count


async def _hub_copy_info(bb: Federation) -> Any:
    """The hub's copy of island bb's stream, asked with bb's own credential over its leaf link."""
    transport = bb.transport
    assert isinstance(transport, IslandTransport) and transport._hub is not None
    return await transport._hub.stream_info(stream_name("bb"))


async def test_island_on_a_clustered_hub_survives_each_server_lost(tmp_path: Path) -> None:
    """bb is an island; each hub server in turn (the leader of the hub's copy of bb's stream first) is
    killed while bb records and restarted: so at some point the one the island's leaf link is on, and
    the one tt is connected to. The copy is replicated (R3), the leaf link and tt move to another
    server, and tt ends with every item bb's node acknowledged, once."""
    keys = make_keys(NATIONS)
    agreement = agreement_from_dict(_raw(keys, _three(leaf=True), island="bb"), base=tmp_path)
    out = tmp_path / "region"
    generate(agreement, out)
    (tmp_path / "keys").mkdir()
    for n in NATIONS:
        (tmp_path / "keys" / f"{n}.key").write_text(private_key_to_text(keys[n]))
    servers = [
        LocalNatsServer(
            hub_dir(agreement, out, k) / "store", s.port, hub_dir(agreement, out, k) / "nats-server.conf"
        )
        for k, s in enumerate(agreement.hub_servers, start=1)
    ]
    island_home = out / "nodes" / "bb" / "island"
    island = LocalNatsServer(
        island_home / "store", agreement.nation("bb").island_port, island_home / "nats-server.conf"
    )
    hub = Hub(out, agreement, servers, keys)
    bb = tt = None
    try:
        for server in [*servers, island]:
            server.start()
        bb, tt = _federation(hub, "bb", tmp_path), _federation(hub, "tt", tmp_path)
        assert isinstance(bb.transport, IslandTransport) and bb.transport.hub_replicas == 3
        await bb.start()
        await tt.start()
        bb.publish_many([radar_track(i) for i in range(30)])
        published = 30
        assert await wait_until(lambda: len(tt.db.received(origin="bb")) >= 30, timeout_s=90)
        info = await _hub_copy_info(bb)
        assert info.config.num_replicas == 3 and info.cluster is not None
        order = [info.cluster.leader] + [
            f"{agreement.region}_hub{k}"
            for k in (1, 2, 3)
            if f"{agreement.region}_hub{k}" != info.cluster.leader
        ]
        for name in order:
            victim = hub.server_named(name)
            victim.stop()  # SIGKILL
            for _ in range(40):
                bb.publish(radar_track(published))
                published += 1
                await asyncio.sleep(0.01)
            assert await wait_until(lambda: bb.db.outbox_size() == 0, timeout_s=60)  # the island confirms
            assert await wait_until(partial(_has, tt, published), timeout_s=120), (
                name,
                len(tt.db.received(origin="bb")),
                published,
            )
            victim.start()
            for _ in range(150):  # it caught up before the next one goes (hang guard)
                try:
                    info = await _hub_copy_info(bb)
                    if len(info.cluster.replicas or []) == 2 and all(
                        p.current for p in info.cluster.replicas
                    ):
                        break
                except Exception:
                    pass
                await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # room for a duplicate to show
        seqs = [r.seq for r in tt.db.received(origin="bb", limit=10_000)]
        sent = [r.seq or 0 for r in bb.audit.query(action="sent", partner="tt", limit=10_000)]
        assert len(seqs) == len(set(seqs)) == published == 150
        assert sorted(seqs) == sorted(sent)
        assert tt.stats["rejected"] == 0
    finally:
        for fed in (bb, tt):
            if fed is not None:
                await fed.stop()
                fed.close()
        for server in [island, *servers]:
            server.stop()


def test_region_broker_runs_server_k(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seawatch.commands import region as command

    agreement = agreement_from_dict(_raw(make_keys(NATIONS), _three()), base=tmp_path)
    out = tmp_path / "out"
    generate(agreement, out)
    ran: list[list[str]] = []

    def execv(binary: str, argv: list[str]) -> None:
        ran.append(argv)
        raise SystemExit(0)  # (exec never returns)

    monkeypatch.setattr(command.os, "execv", execv)

    def broker(**kw: Any) -> int:
        args = argparse.Namespace(region_command="broker", out=out, leaf=None, server=None)
        for key, value in kw.items():
            setattr(args, key, value)
        return command.run(args)

    with pytest.raises(SystemExit):
        broker(server=2)
    assert ran == [[ran[0][0], "-c", str(out / "broker" / "s2" / "nats-server.conf")]]
    with pytest.raises(ConfigError, match="--server K"):
        broker()  # a clustered hub has no one server to run
    with pytest.raises(ConfigError, match="not found"):
        broker(server=4)
    with pytest.raises(ConfigError, match="give one of them"):
        broker(server=1, leaf="bb")


async def test_two_servers_lost_nodes_keep_recording(hub: Hub, tmp_path: Path) -> None:
    """Without a quorum nothing is confirmed: bb's items wait in its outbox (still acknowledged to
    whoever reported them) and tt gets nothing new; one server back makes a quorum and everything
    arrives, once."""
    bb, tt = _federation(hub, "bb", tmp_path), _federation(hub, "tt", tmp_path)
    await bb.start()
    await tt.start()
    try:
        bb.publish_many([radar_track(i) for i in range(20)])
        assert await wait_until(partial(_has, tt, 20), timeout_s=60)
        leader, _ = await _stream_leader(hub)
        first = hub.server_named(leader)
        lost = [first, next(s for s in hub.servers if s is not first)]
        for server in lost:
            server.stop()  # SIGKILL: one server of three left
        bb.publish_many([radar_track(i) for i in range(20, 50)])
        queued = bb.db.outbox_size()  # (for tt and jm)
        await asyncio.sleep(8.0)  # longer than a publish's timeout: room for a wrong confirmation
        assert queued > 0 and bb.db.outbox_size() == queued  # none confirmed, none lost
        assert len(tt.db.received(origin="bb")) == 20
        lost[1].start()  # two of three: a quorum again
        assert await wait_until(lambda: bb.db.outbox_size() == 0, timeout_s=90), bb.db.outbox_size()
        assert await wait_until(partial(_has, tt, 50), timeout_s=90)
        lost[0].start()
        await asyncio.sleep(1.0)  # room for a duplicate to show
        seqs = [r.seq for r in tt.db.received(origin="bb", limit=10_000)]
        assert len(seqs) == len(set(seqs)) == 50 and tt.stats["rejected"] == 0
    finally:
        await bb.stop()
        await tt.stop()
        bb.close()
        tt.close()
