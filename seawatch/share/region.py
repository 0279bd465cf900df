"""A region's agreement turned into a locked-down broker: nats-server configuration, TLS material and one
broker credential (client certificate) per nation.

The agreement (`region.toml`):
```toml
region = "caribbean"
[broker]
host = "127.0.0.1"         # the name or address nodes use to reach the hub (in its certificate)
port = 4333
sync_interval = "always"   # JetStream fsyncs each write before confirming it (docs/federation.md)
leafnode_port = 7422       # optional: nations may run their own broker as a leaf node (islands)

[[nations]]
id = "bb"
public_key_file = "keys/bb.pub"   # the node's signing + sealing public key (seawatch node --keygen)
[[nations]]
id = "tt"
public_key_file = "keys/tt.pub"
island = true                     # tt runs its own broker, a leaf node of the hub (see below)
island_port = 4334                # where tt's node reaches it (default 4334 + the nation's index)
```
What the broker enforces (one account `SEAWATCH`, one user per nation, mapped from its certificate):
- nation N publishes only on `seawatch.N.>` and manages only stream `SEAWATCH_N` (create, update,
  info, purge; never delete), including the consumers `to_<P>` on it that its partners read from;
- N reads from a partner P's stream only through the consumer `to_N` (next message, info, ack): it
  cannot create, list or delete consumers on P's stream, read its messages directly, purge or delete it;
- N subscribes only to its own reply inbox `_INBOX_N.>`; a client without a certificate of the region's
  CA is refused at the TLS handshake.

Islands (`island = true`): the nation runs its own nats-server (`seawatch region broker --leaf N`), a
leaf node of the hub with its own JetStream domain `N`, where its node records while the link is cut.
The hub keeps a copy of N's stream, sourced from the island over the leaf link (catching up after an
outage); partners read that copy exactly as any other stream, so no request of theirs ever reaches the
island. The island's leaf connection authenticates with N's certificate, and N's hub user is what
limits it: it may publish only its hub-side stream and consumer requests, the source's deliveries
(`$SW.N.src.>`) and replies to the hub's source requests (`$JSC.R.>`), and receive only its own inbox,
its own domain's API and its own stream's acks and flow control. It can never publish into another
nation's reply inbox (no forged confirmations: `allow_responses` does not work across leaf connections,
nats-server issue 2949, so inboxes are not opened at all), nor read or ack another nation's stream.

A nation's credential stolen: `reissue` issues its next one (subject `OU=credential <N>,CN=<nation>`) and
rewrites the hub's configurations to accept only that; `reload_hub` makes the running servers apply it,
which closes the old certificate's sessions (docs/federation.md, Revoking a credential).

A clustered hub (`[[broker.servers]]`, 3 or 5 of them, each with its own `port`, `cluster_port` and, with
islands, `leafnode_port`): one nats-server.conf per server (`broker/s<K>/`, `seawatch region broker
--server K`), the same accounts, users and JetStream domain `hub`, each its own store. The servers
route to each other over mutual TLS with route certificates from the region CA whose subject is
`CN=seawatch-route` (a nation's id can never be that), and the cluster's `verify_and_map` authorization
admits only that subject: a nation's credential is refused on the route port. Streams on the hub are
replicated on 3 servers (`hub_replicas` in each node's federation.toml, which lists every server's URL).
```toml
[broker]
host = "127.0.0.1"
[[broker.servers]]
port = 4333
cluster_port = 6333
leafnode_port = 7422    # only with islands (then every server has one)
[[broker.servers]]
port = 4343
cluster_port = 6343
leafnode_port = 7432
[[broker.servers]]
host = "hub3.example.org"  # defaults to broker.host
port = 4353
cluster_port = 6353
leafnode_port = 7442
```
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from seawatch.errors import ConfigError
from seawatch.share import pki
from seawatch.share.island import source_deliver_prefix
from seawatch.share.settings import check_node_id
from seawatch.share.transport import consumer_name, inbox_prefix, stream_name

SYNC_CHOICES = ("always", "1s", "10s", "2m")


HUB_DOMAIN = "hub"
ISLAND_BASE_PORT = 4334
ROUTE_CN = "seawatch-route"  # the subject of the hub servers' route certificates (never a nation's id)
MAX_REPLICAS = 3  # JetStream's usual replication; a 5-server hub still keeps 3 copies of each stream
CREDENTIALS_FILE = "credentials.json"  # in <out>/ca: each re-issued nation's credential generation
PID_FILE = "nats-server.pid"  # in each hub server's folder, written by the running nats-server


@dataclass(frozen=True)
class Nation:
    id: str
    public_key: str
    island: bool = False
    island_port: int | None = None


@dataclass(frozen=True)
class HubServer:
    """One nats-server of the hub: where nodes reach it, where the others route to it, where islands
    connect (a single-server hub has no cluster port)."""

    host: str
    port: int
    cluster_port: int | None = None
    leafnode_port: int | None = None


@dataclass(frozen=True)
class RegionAgreement:
    region: str
    host: str
    port: int
    nations: tuple[Nation, ...]
    sync_interval: str = "always"
    leafnode_port: int | None = None
    # a clustered hub (3 or more, odd); empty: the one server at host:port (leafnode_port)
    servers: tuple[HubServer, ...] = ()

    @property
    def hub_servers(self) -> tuple[HubServer, ...]:
        return self.servers or (HubServer(self.host, self.port, None, self.leafnode_port),)

    @property
    def clustered(self) -> bool:
        return len(self.hub_servers) > 1

    @property
    def replicas(self) -> int:
        """Copies JetStream keeps of each stream on the hub."""
        return min(len(self.hub_servers), MAX_REPLICAS)

    @property
    def ids(self) -> list[str]:
        return [n.id for n in self.nations]

    @property
    def islands(self) -> list[str]:
        return [n.id for n in self.nations if n.island]

    def nation(self, nid: str) -> Nation:
        for n in self.nations:
            if n.id == nid:
                return n
        raise ConfigError(f"{nid!r} is not a nation of region {self.region}")


def load_agreement(path: Path) -> RegionAgreement:
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return agreement_from_dict(raw, base=path.parent, source=str(path))


def agreement_from_dict(raw: dict[str, Any], *, base: Path, source: str = "region") -> RegionAgreement:
    broker = raw.get("broker") or {}
    nations: list[Nation] = []
    for entry in raw.get("nations") or []:
        nid = check_node_id(str(entry.get("id", "")))
        if "public_key" in entry:
            key = str(entry["public_key"]).strip()
        elif "public_key_file" in entry:
            try:
                key = (base / str(entry["public_key_file"])).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"{source}: nation {nid}: {exc}") from exc
        else:
            raise ConfigError(f"{source}: nation {nid} needs public_key or public_key_file")
        island = bool(entry.get("island", False))
        port = entry.get("island_port")
        if island and port is None:
            port = ISLAND_BASE_PORT + len(nations)
        nations.append(Nation(nid, key, island, None if port is None else int(port)))
    if len(nations) < 2:
        raise ConfigError(f"{source}: a region needs at least two [[nations]]")
    if len({n.id for n in nations}) != len(nations):
        raise ConfigError(f"{source}: a nation is listed twice")
    sync = str(broker.get("sync_interval", "always"))
    if sync not in SYNC_CHOICES:
        raise ConfigError(f"{source}: broker.sync_interval must be one of {SYNC_CHOICES}")
    host = str(broker.get("host", "127.0.0.1"))
    islands = any(n.island for n in nations)
    if "servers" in broker:
        servers = _hub_servers(broker, host, islands, source)
        _check_ports(servers, nations, source)
        first = servers[0]
        return RegionAgreement(
            region=str(raw.get("region", "region")),
            host=first.host,
            port=first.port,
            nations=tuple(nations),
            sync_interval=sync,
            leafnode_port=first.leafnode_port,
            servers=servers if len(servers) > 1 else (),
        )
    leaf = broker.get("leafnode_port")
    if leaf is None and islands:
        leaf = 7422  # islands need the hub to accept leaf node connections
    return RegionAgreement(
        region=str(raw.get("region", "region")),
        host=host,
        port=int(broker.get("port", 4333)),
        nations=tuple(nations),
        sync_interval=sync,
        leafnode_port=None if leaf is None else int(leaf),
    )


def _hub_servers(broker: dict[str, Any], host: str, islands: bool, source: str) -> tuple[HubServer, ...]:
    """`[[broker.servers]]`: 1, or an odd number from 3 (a JetStream cluster needs a majority to
    confirm: 2 servers stop at the loss of either, 4 no better than 3)."""
    for key in ("port", "leafnode_port"):
        if key in broker:
            raise ConfigError(
                f"{source}: broker.{key} and [[broker.servers]] both given: ports go per server"
            )
    entries = broker["servers"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{source}: broker.servers must be a list of tables ([[broker.servers]])")
    count = len(entries)
    if count != 1 and (count < 3 or count % 2 == 0):
        raise ConfigError(
            f"{source}: a hub is 1 server or a cluster of 3, 5, ... (odd: a majority survives), not {count}"
        )
    servers: list[HubServer] = []
    for k, entry in enumerate(entries, start=1):
        unknown = set(entry) - {"host", "port", "cluster_port", "leafnode_port"}
        if unknown:
            raise ConfigError(f"{source}: broker server {k}: unknown key(s) {sorted(unknown)}")
        ports: dict[str, int | None] = {}
        for key in ("port", "cluster_port", "leafnode_port"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, int) or not 0 < value < 65536):
                raise ConfigError(f"{source}: broker server {k}: {key} must be a port number (1-65535)")
            ports[key] = value
        if ports["port"] is None:
            raise ConfigError(f"{source}: broker server {k} needs a port")
        if count > 1 and ports["cluster_port"] is None:
            raise ConfigError(f"{source}: broker server {k} needs a cluster_port (the servers route there)")
        if islands and ports["leafnode_port"] is None:
            raise ConfigError(f"{source}: broker server {k} needs a leafnode_port (the region has islands)")
        servers.append(
            HubServer(
                str(entry.get("host", host)),
                int(ports["port"]),
                ports["cluster_port"] if count > 1 else None,
                ports["leafnode_port"],
            )
        )
    return tuple(servers)


def _check_ports(servers: tuple[HubServer, ...], nations: list[Nation], source: str) -> None:
    """No two listeners on one host share a port (an island counts as on the loopback)."""
    taken: dict[tuple[str, int], str] = {}

    def claim(host: str, port: int | None, what: str) -> None:
        if port is None:
            return
        key = (_local(host), port)
        if key in taken:
            raise ConfigError(f"{source}: port {port} on {host} is both {taken[key]} and {what}")
        taken[key] = what

    for k, server in enumerate(servers, start=1):
        claim(server.host, server.port, f"server {k}'s port")
        claim(server.host, server.cluster_port, f"server {k}'s cluster_port")
        claim(server.host, server.leafnode_port, f"server {k}'s leafnode_port")
    for n in nations:
        if n.island:
            claim("127.0.0.1", n.island_port, f"{n.id}'s island_port")


def _local(host: str) -> str:
    return "127.0.0.1" if host in ("127.0.0.1", "localhost") else host


def broker_user(nation: str, generation: int = 1) -> str:
    """The broker's user for a nation's credential: its certificate's subject as nats-server matches it
    (RFC 4514). The first credential is `CN=<nation>`; a re-issued one adds `OU=credential <N>`, and the
    configuration names only the newest, so every earlier certificate of the nation maps to no user."""
    return f"CN={nation}" if generation <= 1 else f"OU=credential {generation},CN={nation}"


def _credential_record(out: Path) -> dict[str, dict[str, Any]]:
    """`<out>/ca/credentials.json`: per re-issued nation its `generation`, when it was `issued` and the
    `revoked_serials` it replaced; empty before any reissue. A damaged record is refused."""
    path = out / "ca" / CREDENTIALS_FILE
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text())
        for entry in record.values():
            int(entry["generation"])
        return {str(nation): dict(entry) for nation, entry in record.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a credential record ({exc})") from exc


def credential_generations(out: Path) -> dict[str, int]:
    """Each re-issued nation's credential generation (a nation not listed has its first)."""
    return {nation: int(entry["generation"]) for nation, entry in _credential_record(out).items()}


def permissions_for(nation: str, region: list[str], island: bool = False) -> dict[str, Any]:
    """The allow-list of one nation's broker user (everything not listed is refused by the broker). An
    island's user is the one its leaf connection is bound to (see the module's docstring)."""
    if island:
        return island_permissions(nation, region)
    own = stream_name(nation)
    publish = [
        f"seawatch.{nation}.>",
        f"$JS.API.STREAM.CREATE.{own}",
        f"$JS.API.STREAM.UPDATE.{own}",
        f"$JS.API.STREAM.INFO.{own}",
        f"$JS.API.STREAM.PURGE.{own}",
        f"$JS.API.CONSUMER.CREATE.{own}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{own}.*",
        f"$JS.API.CONSUMER.INFO.{own}.*",
    ]
    for partner in region:
        if partner == nation:
            continue
        theirs, mine = stream_name(partner), consumer_name(nation)
        publish += [
            f"$JS.API.CONSUMER.MSG.NEXT.{theirs}.{mine}",
            f"$JS.API.CONSUMER.INFO.{theirs}.{mine}",
            f"$JS.ACK.{theirs}.{mine}.>",
        ]
    return {"publish": {"allow": publish}, "subscribe": {"allow": [f"{inbox_prefix(nation)}.>"]}}


def island_permissions(nation: str, region: list[str]) -> dict[str, Any]:
    """What an island's leaf connection may carry into and out of the hub."""
    own, api = stream_name(nation), f"$JS.{HUB_DOMAIN}.API"
    publish = [
        f"{api}.STREAM.CREATE.{own}",
        f"{api}.STREAM.UPDATE.{own}",
        f"{api}.STREAM.INFO.{own}",
        f"{api}.STREAM.PURGE.{own}",
        f"{api}.STREAM.MSG.GET.{own}",
        f"{api}.CONSUMER.CREATE.{own}.>",
        f"{api}.CONSUMER.DURABLE.CREATE.{own}.*",
        f"{api}.CONSUMER.INFO.{own}.*",
        f"{source_deliver_prefix(nation)}.>",  # the hub's copy of the island's stream, delivered
        "$JSC.R.>",  # replies to the hub's requests for that source (its consumer on the island)
    ]
    for partner in region:
        if partner == nation:
            continue
        theirs, mine = stream_name(partner), consumer_name(nation)
        publish += [
            f"{api}.CONSUMER.MSG.NEXT.{theirs}.{mine}",
            f"{api}.CONSUMER.INFO.{theirs}.{mine}",
            f"$JS.ACK.{theirs}.{mine}.>",
        ]
    subscribe = [
        f"{inbox_prefix(nation)}.>",
        f"$JS.{nation}.API.>",  # the hub's source requests into the island's domain
        f"$JS.ACK.{own}.>",
        f"$JS.FC.{own}.>",
        f"$JS.FC.{nation}.>",
    ]
    return {"publish": {"allow": publish}, "subscribe": {"allow": subscribe}}


def _broker_conf(
    name: str,
    listen: str,
    agreement: RegionAgreement,
    domain: str,
    home: Path,
    ca_file: Path,
    users: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the hub's and each island's configuration share: JetStream in its own domain (its store in
    `home`), mutual TLS mapping each certificate to its user (the server's own in `home`), one account."""
    return {
        "server_name": name,
        "listen": listen,
        "max_payload": 1024 * 1024,
        "jetstream": {
            "store_dir": str(home / "store"),
            "sync_interval": agreement.sync_interval,
            "domain": domain,
        },
        "tls": _mutual_tls(home / "server.pem", home / "server.key", ca_file),
        "accounts": {"SEAWATCH": {"jetstream": "enabled", "users": users}},
    }


def _mutual_tls(cert_file: Path, key_file: Path, ca_file: Path) -> dict[str, Any]:
    """TLS that also checks the peer's certificate against the region CA and maps its subject to a user."""
    return {
        "cert_file": str(cert_file),
        "key_file": str(key_file),
        "ca_file": str(ca_file),
        "verify_and_map": True,
        "timeout": 5,
    }


def hub_dir(agreement: RegionAgreement, out: Path, server: int = 1) -> Path:
    """Where hub server `server` (1-based) has its configuration, certificates and store: `broker/`
    for a single server, `broker/s<K>/` for each server of a cluster."""
    if not 1 <= server <= len(agreement.hub_servers):
        raise ConfigError(f"region {agreement.region}'s hub has no server {server}")
    return out / "broker" / f"s{server}" if agreement.clustered else out / "broker"


def server_config(agreement: RegionAgreement, out: Path, server: int = 1) -> str:
    """nats-server.conf text for the hub, or for server `server` (1-based) of a clustered hub (paths
    absolute, so it runs from any folder)."""
    home = hub_dir(agreement, out, server).resolve()
    me = agreement.hub_servers[server - 1]
    generations = credential_generations(out)
    users = [
        {
            "user": broker_user(n.id, generations.get(n.id, 1)),
            "permissions": permissions_for(n.id, agreement.ids, n.island),
        }
        for n in agreement.nations
    ]
    listen = f"{_bind_host(me.host)}:{me.port}"
    name = f"{agreement.region}_hub" + (f"{server}" if agreement.clustered else "")
    ca_file = (out / "broker" / "ca.pem").resolve()
    conf = _broker_conf(name, listen, agreement, HUB_DOMAIN, home, ca_file, users)
    conf["pid_file"] = str(home / PID_FILE)  # where `region reissue --reload` finds the running server
    if me.leafnode_port is not None:
        conf["leafnodes"] = {
            "listen": f"{_bind_host(me.host)}:{me.leafnode_port}",
            "no_advertise": True,  # islands reach the hub by the addresses they were given, nothing else
            "tls": {**conf["tls"], "verify_and_map": True},
        }
    if agreement.clustered:
        assert me.cluster_port is not None
        conf["cluster"] = {
            "name": f"{agreement.region}_hub",
            "listen": f"{_bind_host(me.host)}:{me.cluster_port}",
            "no_advertise": True,  # nodes are given every server's URL; no gossip of others to clients
            "routes": [
                f"tls://{other.host}:{other.cluster_port}"
                for k, other in enumerate(agreement.hub_servers, start=1)
                if k != server
            ],
            # mutual TLS both ways with the route certificate; only its subject may join the cluster
            "tls": _mutual_tls(home / "route.pem", home / "route.key", ca_file),
            "authorization": {"user": f"CN={ROUTE_CN}", "timeout": 5},
        }
    # nats-server's configuration format accepts JSON: no hand-written quoting to get wrong
    return json.dumps(conf, indent=2) + "\n"


def island_config(agreement: RegionAgreement, nation: str, out: Path) -> str:
    """nats-server.conf text for one island: a leaf node of the hub with its own JetStream domain,
    listening for its own node only (on the loopback), with the nation's credential for the hub."""
    n = agreement.nation(nation)
    if not n.island or n.island_port is None or agreement.leafnode_port is None:
        raise ConfigError(f"{nation} is not an island of region {agreement.region}")
    home = (out / "nodes" / nation).resolve()
    island = home / "island"
    client_tls = {
        "cert_file": str(home / f"{nation}.pem"),
        "key_file": str(home / f"{nation}.key"),
        "ca_file": str(home / "ca.pem"),
    }
    users = [{"user": broker_user(nation, credential_generations(out).get(nation, 1))}]
    conf = _broker_conf(
        f"{nation}_island", f"127.0.0.1:{n.island_port}", agreement, nation, island, home / "ca.pem", users
    )
    urls = [f"tls://{h.host}:{h.leafnode_port}" for h in agreement.hub_servers]
    # a clustered hub: every server, the link moves to another when one is down
    remote: dict[str, Any] = {"urls": urls} if agreement.clustered else {"url": urls[0]}
    conf |= {
        "leafnodes": {
            "reconnect": 1,
            "remotes": [{**remote, "account": "SEAWATCH", "tls": {**client_tls, "timeout": 5}}],
        },
    }
    return json.dumps(conf, indent=2) + "\n"


def _bind_host(host: str) -> str:
    return host if host.replace(".", "").isdigit() or host == "localhost" else "0.0.0.0"


def federation_snippet(agreement: RegionAgreement, nation: str) -> str:
    """The `[federation]` table for one nation's settings file (partners with their public keys; no
    policy = share nothing until the nation writes one)."""
    n = agreement.nation(nation)
    urls = [f'"tls://{h.host}:{h.port}"' for h in agreement.hub_servers]
    if n.island:
        url = f'"tls://127.0.0.1:{n.island_port}"'
    else:  # every server of a clustered hub: the client moves to another when one is down
        url = urls[0] if len(urls) == 1 else "[" + ", ".join(urls) + "]"
    lines = [
        # relative paths resolve against the settings file's folder: as written they name the files
        # beside this one, so the folder can be handed to the nation and moved as it is
        f"# {nation}'s federation kit: a settings file kept in this folder can use these paths as written",
        f"# (the node's own signing key at keys/{nation}.key here, from seawatch node --keygen)",
        "[federation]",
        f"nats_url = {url}",
        'tls_ca_file = "ca.pem"',
        f'tls_cert_file = "{nation}.pem"',
        f'tls_key_file = "{nation}.key"',
        f'private_key_file = "keys/{nation}.key"',
    ]
    if n.island:  # the node's broker is its island; its stream is copied to the hub's domain
        lines.append(f'hub_domain = "{HUB_DOMAIN}"')
    if agreement.replicas > 1:  # streams on the hub are kept on that many servers
        lines.append(f"hub_replicas = {agreement.replicas}")
    lines.append("")
    for other in agreement.nations:
        if other.id == nation:
            continue
        lines += ["[[federation.partners]]", f'id = "{other.id}"', f'public_key = "{other.public_key}"', ""]
    return "\n".join(lines)


def generate(agreement: RegionAgreement, out: Path, *, force: bool = False) -> list[Path]:
    """Write the CA, the broker's certificate and configuration, and each nation's credential.
    Refuses to overwrite an existing CA unless `force` (that would invalidate every credential)."""
    ca_key_path = out / "ca" / "ca.key"
    if ca_key_path.exists() and not force:
        raise ConfigError(f"{ca_key_path} exists: this region is already set up (--force to start over)")
    written: list[Path] = []
    (out / "ca" / CREDENTIALS_FILE).unlink(missing_ok=True)  # a new CA: every nation's first credential
    ca = pki.make_ca(agreement.region)
    pki.write_private(ca_key_path, ca.key_pem)
    pki.write_public(out / "ca" / "ca.pem", ca.cert_pem)
    written += [ca_key_path, out / "ca" / "ca.pem"]
    pki.write_public(out / "broker" / "ca.pem", ca.cert_pem)
    every_host = tuple(h.host for h in agreement.hub_servers)
    for k, me in enumerate(agreement.hub_servers, start=1):
        home = hub_dir(agreement, out, k)
        hosts = tuple(dict.fromkeys((me.host, "127.0.0.1", "localhost")))
        server = pki.issue(
            ca, f"{agreement.region} hub" + (f" {k}" if agreement.clustered else ""), server_hosts=hosts
        )
        pki.write_public(home / "server.pem", server.cert_pem)
        pki.write_private(home / "server.key", server.key_pem)
        written += [home / "server.pem", home / "server.key"]
        if agreement.clustered:  # client and server end of the routes, named for every server's host
            names = tuple(dict.fromkeys((*every_host, "127.0.0.1", "localhost")))
            route = pki.issue(ca, ROUTE_CN, server_hosts=names, client=True)
            pki.write_public(home / "route.pem", route.cert_pem)
            pki.write_private(home / "route.key", route.key_pem)
            written += [home / "route.pem", home / "route.key"]
        (home / "store").mkdir(parents=True, exist_ok=True)
        conf = home / "nats-server.conf"
        pki.write_private(conf, server_config(agreement, out, k).encode())
        written.append(conf)
    for nation in agreement.ids:
        node_dir = out / "nodes" / nation
        cred = pki.issue(ca, nation, client=True)
        pki.write_public(node_dir / "ca.pem", ca.cert_pem)
        pki.write_public(node_dir / f"{nation}.pem", cred.cert_pem)
        pki.write_private(node_dir / f"{nation}.key", cred.key_pem)
        if agreement.nation(nation).island:
            island = node_dir / "island"
            leaf_server = pki.issue(ca, f"{nation} island", server_hosts=("127.0.0.1", "localhost"))
            pki.write_public(island / "server.pem", leaf_server.cert_pem)
            pki.write_private(island / "server.key", leaf_server.key_pem)
            (island / "store").mkdir(parents=True, exist_ok=True)
            pki.write_private(island / "nats-server.conf", island_config(agreement, nation, out).encode())
            written += [island / "server.pem", island / "server.key", island / "nats-server.conf"]
        snippet = node_dir / "federation.toml"
        pki.write_public(snippet, federation_snippet(agreement, nation).encode())
        written += [node_dir / f"{nation}.pem", node_dir / f"{nation}.key", snippet]
    return written


def reissue(agreement: RegionAgreement, out: Path, nation: str) -> list[Path]:
    """A new broker credential for `nation` (its certificate stolen or its key lost), from the region CA
    that `generate` wrote in `out`: the next generation's certificate and key in the nation's kit, and
    every hub server's configuration (and the nation's island's) naming only that one, so the old
    credential is refused, and its open sessions closed, once the servers reload their configuration
    (`reload_hub`). Other nations' credentials and the nation's signing keys are unchanged."""
    agreement.nation(nation)  # a nation of the region
    ca_dir = out / "ca"
    if not (ca_dir / "ca.key").is_file():
        raise ConfigError(f"{ca_dir / 'ca.key'} not found: run `seawatch region init` first")
    ca = pki.load(ca_dir / "ca.pem", ca_dir / "ca.key")
    node_dir = out / "nodes" / nation
    record = _credential_record(out)  # a damaged one is refused before anything is written
    entry = record.get(nation, {"generation": 1, "revoked_serials": []})
    old_cert = node_dir / f"{nation}.pem"
    if old_cert.is_file():  # kept as a record of what is no longer accepted
        serial = x509.load_pem_x509_certificate(old_cert.read_bytes()).serial_number
        entry["revoked_serials"] = [*entry.get("revoked_serials", []), format(serial, "x")]
    entry["generation"] = int(entry["generation"]) + 1
    entry["issued"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record[nation] = entry
    cred = pki.issue(ca, nation, client=True, unit=f"credential {entry['generation']}")
    pki.write_public(node_dir / f"{nation}.pem", cred.cert_pem)
    pki.write_private(node_dir / f"{nation}.key", cred.key_pem)
    pki.write_private(ca_dir / CREDENTIALS_FILE, (json.dumps(record, indent=2) + "\n").encode())
    written = [node_dir / f"{nation}.pem", node_dir / f"{nation}.key", ca_dir / CREDENTIALS_FILE]
    for k in range(1, len(agreement.hub_servers) + 1):
        conf = hub_dir(agreement, out, k) / "nats-server.conf"
        pki.write_private(conf, server_config(agreement, out, k).encode())
        written.append(conf)
    if agreement.nation(nation).island:
        conf = node_dir / "island" / "nats-server.conf"
        pki.write_private(conf, island_config(agreement, nation, out).encode())
        written.append(conf)
    return written


def reload_hub(agreement: RegionAgreement, out: Path) -> list[int]:
    """Ask each hub server running on this machine from `out` to reload its configuration (SIGHUP, as
    `nats-server --signal reload`); the pids signalled. A pid file whose process is not that server's
    nats-server (gone, or its pid reused) is left alone."""
    signalled: list[int] = []
    for k in range(1, len(agreement.hub_servers) + 1):
        home = hub_dir(agreement, out, k).resolve()
        try:
            pid = int((home / PID_FILE).read_text().strip())
        except (OSError, ValueError):
            continue
        if _runs_config(pid, home / "nats-server.conf"):
            os.kill(pid, signal.SIGHUP)
            signalled.append(pid)
    return signalled


def _runs_config(pid: int, conf: Path) -> bool:
    """Whether process `pid` is a nats-server started with `-c conf` (its path as given, from its cwd)."""
    try:
        args = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except (OSError, UnicodeDecodeError):
        return False
    if not args or not Path(args[0]).name.startswith("nats-server") or "-c" not in args[:-1]:
        return False
    return (cwd / args[args.index("-c") + 1]).resolve() == conf.resolve()
