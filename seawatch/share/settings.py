"""Federation settings: this node's id and key, the broker, and one entry per partner (key + policy).

From the node's TOML settings file:

```toml
node_id = "bb"              # the node's own settings (seawatch.node.settings) sit at the top level
data_dir = "bb-data"

[federation]
nats_url = "tls://127.0.0.1:4333"           # or every server of a clustered hub: ["tls://h:4333", ...]
# hub_replicas = 3                         # a clustered hub: copies kept of each stream (region init)
tls_ca_file = "region/nodes/bb/ca.pem"      # from `seawatch region init` (the region's CA)
tls_cert_file = "region/nodes/bb/bb.pem"    # bb's broker credential (client certificate)
tls_key_file = "region/nodes/bb/bb.key"
# allow_insecure_broker = true             # only to talk to a broker without TLS and credentials
# hub_domain = "hub"                       # an island: nats_url is its own leaf broker (region init)
private_key_file = "keys/bb.key"      # base64 of the raw 32-byte Ed25519 key (seawatch node --keygen)
max_payload_bytes = 524288              # one broker message (a signed bundle of items)

[[federation.partners]]
id = "tt"
public_key = "base64 of tt's 32-byte public key"   # or public_key_file = "keys/tt.pub"
[federation.partners.policy]
track_sources = ["radar"]
event_types = ["*"]
areas = [[[-60.0, 12.5], [-58.0, 12.5], [-58.0, 14.0], [-60.0, 14.0], [-60.0, 12.5]]]
strip_fields = ["sensors"]
precision_decimals = 3
```
Relative paths are resolved against the settings file's folder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seawatch.errors import ConfigError
from seawatch.share.envelope import load_private_key, public_key_from_text
from seawatch.share.policy import SharePolicy
from seawatch.share.transport import NatsTransport, TlsFiles, urls_text

NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass
class FederationSettings:
    node_id: str
    nats_url: str | list[str]  # a list: every server of a clustered hub (the client fails over)
    private_key: Ed25519PrivateKey
    db_path: Path
    partner_keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    policies: dict[str, SharePolicy] = field(default_factory=dict)
    max_payload_bytes: int = 512 * 1024  # one broker message (a signed bundle); larger ones are rejected
    max_item_bytes: int = 64 * 1024  # one item's payload; larger ones are withheld at the sender
    bundle_max_items: int = 200
    seen_keep_s: float = 15 * 86400.0  # (origin, seq) pairs remembered one by one; older: a per-origin floor
    publish_batch: int = 64  # bundles in flight to the broker at once
    fetch_batch: int = 64
    tls: TlsFiles | None = None  # mutual TLS to the broker (the node's credential)
    allow_insecure_broker: bool = False  # the operator's explicit choice to run without TLS
    # set when the node's broker is its island (a leaf node with JetStream domain = node_id): the
    # stream is copied to this domain on the hub, where partners read it and we read theirs
    hub_domain: str | None = None
    hub_replicas: int = 1  # copies of each stream on the hub (3 on a clustered hub)

    def __post_init__(self) -> None:
        for nid in (self.node_id, *self.partner_keys):
            check_node_id(nid)
        for partner in self.policies:
            if partner not in self.partner_keys:
                raise ConfigError(f"policy for {partner!r} but no public key for it")


def nats_transport(settings: FederationSettings) -> NatsTransport:
    """The broker connection the settings ask for; refuses a broker without TLS and a credential
    unless the operator said `allow_insecure_broker = true`."""
    if settings.tls is None and not settings.allow_insecure_broker:
        raise ConfigError(
            f"{settings.node_id}: broker {urls_text(settings.nats_url)} has no TLS credential: set"
            " tls_ca_file, tls_cert_file, tls_key_file (seawatch region init writes them),"
            " or allow_insecure_broker = true"
        )
    if settings.hub_domain is not None:
        from seawatch.share.island import IslandTransport

        if not isinstance(settings.nats_url, str):
            raise ConfigError(f"{settings.node_id}: an island's nats_url is its own broker (one URL)")
        return IslandTransport(
            settings.nats_url,
            tls=settings.tls,
            node_id=settings.node_id,
            hub_domain=settings.hub_domain,
            hub_replicas=settings.hub_replicas,
        )
    return NatsTransport(
        settings.nats_url, tls=settings.tls, node_id=settings.node_id, replicas=settings.hub_replicas
    )


def check_node_id(node_id: str) -> str:
    if not NODE_ID.match(node_id):
        raise ConfigError(f"node id {node_id!r} must be lowercase letters, digits, _ (max 32), e.g. 'bb'")
    return node_id


def federation_from_toml(path: Path) -> FederationSettings:
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return federation_from_dict(raw, base=path.parent, source=str(path))


def federation_from_dict(
    raw: Mapping[str, Any], *, base: Path, source: str = "settings"
) -> FederationSettings:
    """From a whole settings mapping (top-level `node_id`, `data_dir`, and the `federation` table)."""
    if "node_id" not in raw:
        raise ConfigError(f"{source}: node_id is required for federation")
    data_dir = Path(str(raw.get("data_dir", "seawatch-data")))
    return federation_from_parts(
        str(raw["node_id"]), data_dir, raw.get("federation") or {}, base=base, source=source
    )


def federation_from_parts(
    node_id: str, data_dir: Path, fed: Mapping[str, Any], *, base: Path, source: str = "settings"
) -> FederationSettings:
    """From the node's id and data folder (as the node resolves them) and the `federation` table; key
    files are relative to `base` (the settings file's folder)."""
    check_node_id(node_id)
    key_file = fed.get("private_key_file")
    if not key_file:
        raise ConfigError(f"{source}: [federation] private_key_file is required")
    keys: dict[str, Ed25519PublicKey] = {}
    policies: dict[str, SharePolicy] = {}
    for entry in fed.get("partners") or []:
        pid = check_node_id(str(entry.get("id", "")))
        if "public_key" in entry:
            keys[pid] = public_key_from_text(str(entry["public_key"]))
        elif "public_key_file" in entry:
            try:
                keys[pid] = public_key_from_text((base / str(entry["public_key_file"])).read_text())
            except OSError as exc:
                raise ConfigError(f"{source}: partner {pid}: {exc}") from exc
        else:
            raise ConfigError(f"{source}: partner {pid} needs public_key or public_key_file")
        policies[pid] = SharePolicy.from_dict(pid, entry.get("policy") or {})
    tls_keys = ("tls_ca_file", "tls_cert_file", "tls_key_file")
    given = [k for k in tls_keys if fed.get(k)]
    if given and len(given) != 3:
        raise ConfigError(f"{source}: [federation] needs all of {tls_keys} (has only {given})")
    tls = None
    if given:
        paths = [base / str(fed[k]) for k in tls_keys]
        for path in paths:
            if not path.is_file():
                raise ConfigError(f"{source}: {path} not found")
        tls = TlsFiles(*(str(p) for p in paths))
    url = fed.get("nats_url", "nats://127.0.0.1:4222")
    if isinstance(url, list):
        if not url or not all(isinstance(u, str) and u for u in url):
            raise ConfigError(f"{source}: [federation] nats_url must be a URL or a non-empty list of URLs")
        urls: str | list[str] = list(url)
    else:
        urls = str(url)
    replicas = fed.get("hub_replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or not 1 <= replicas <= 5:
        raise ConfigError(f"{source}: [federation] hub_replicas must be 1 to 5")
    return FederationSettings(
        node_id=node_id,
        nats_url=urls,
        private_key=load_private_key(base / str(key_file)),
        db_path=data_dir / "share.sqlite",
        partner_keys=keys,
        policies=policies,
        max_payload_bytes=int(fed.get("max_payload_bytes", 512 * 1024)),
        max_item_bytes=int(fed.get("max_item_bytes", 64 * 1024)),
        tls=tls,
        allow_insecure_broker=bool(fed.get("allow_insecure_broker", False)),
        hub_domain=None if fed.get("hub_domain") is None else str(fed["hub_domain"]),
        hub_replicas=replicas,
    )
