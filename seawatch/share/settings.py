"""Federation settings: this node's id and key, the broker, and one entry per partner (key + policy).

From the node's TOML settings file:

```toml
[node]
id = "bb"
data_dir = "bb-data"

[federation]
nats_url = "nats://127.0.0.1:4222"
private_key_file = "keys/bb.key"      # base64 of the raw 32-byte Ed25519 key (seawatch node --keygen)
max_payload_bytes = 65536

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

NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass
class FederationSettings:
    node_id: str
    nats_url: str
    private_key: Ed25519PrivateKey
    db_path: Path
    partner_keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    policies: dict[str, SharePolicy] = field(default_factory=dict)
    max_payload_bytes: int = 64 * 1024
    publish_batch: int = 512
    fetch_batch: int = 512

    def __post_init__(self) -> None:
        for nid in (self.node_id, *self.partner_keys):
            check_node_id(nid)
        for partner in self.policies:
            if partner not in self.partner_keys:
                raise ConfigError(f"policy for {partner!r} but no public key for it")


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
    node = raw.get("node") or {}
    fed = raw.get("federation") or {}
    if "id" not in node:
        raise ConfigError(f"{source}: [node] id is required")
    node_id = check_node_id(str(node["id"]))
    data_dir = base / str(node.get("data_dir", f"{node_id}-data"))
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
    return FederationSettings(
        node_id=node_id,
        nats_url=str(fed.get("nats_url", "nats://127.0.0.1:4222")),
        private_key=load_private_key(base / str(key_file)),
        db_path=data_dir / "share.sqlite",
        partner_keys=keys,
        policies=policies,
        max_payload_bytes=int(fed.get("max_payload_bytes", 64 * 1024)),
    )
