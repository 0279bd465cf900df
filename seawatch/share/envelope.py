"""Envelopes: every shared item travels with its origin, sequence, time, releasability and a signature.

Wire form (JSON): `{"v": 1, "bodies": [{...}, ...], "sig": "<base64 Ed25519 signature>"}`: one message
carries one or more envelope bodies (a bundle, all from one origin to one partner), signed together:
the signature covers the canonical encoding of the `bodies` list (orjson, sorted keys, no whitespace),
so any change to any field of any body, including its releasability, breaks it. Signing bundles rather
than single items divides the signing, verifying and broker cost by the bundle size; each item still
has its own origin, sequence number, time and releasability, and a receiver keeps the signed message
as the proof of where it came from.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seawatch.errors import ConfigError, ShareError
from seawatch.timeutil import iso_utc, parse_utc

WIRE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Releasability:
    """Who may see an item, whether they may pass it on, and how long they may keep it."""

    recipients: tuple[str, ...]
    may_reshare: bool = False
    retention_s: float = 7 * 86400.0

    def to_json(self) -> dict[str, Any]:
        return {
            "recipients": list(self.recipients),
            "may_reshare": self.may_reshare,
            "retention_s": self.retention_s,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Releasability:
        return cls(
            recipients=tuple(str(r) for r in obj["recipients"]),
            may_reshare=bool(obj["may_reshare"]),
            retention_s=float(obj["retention_s"]),
        )


@dataclass(frozen=True, slots=True)
class Envelope:
    """One shared item from `origin`, numbered `seq` (per origin, strictly increasing)."""

    origin: str
    seq: int
    time: datetime
    kind: str
    releasability: Releasability
    payload: dict[str, Any] = field(compare=False, hash=False)

    def body(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "seq": self.seq,
            "time": _iso(self.time),
            "kind": self.kind,
            "rel": self.releasability.to_json(),
            "payload": self.payload,
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Envelope:
        return cls(
            origin=str(body["origin"]),
            seq=int(body["seq"]),
            time=parse_utc(str(body["time"])),
            kind=str(body["kind"]),
            releasability=Releasability.from_json(body["rel"]),
            payload=dict(body["payload"]),
        )


@functools.lru_cache(maxsize=256)
def _iso(when: datetime) -> str:
    return iso_utc(when)  # a bundle's items share one time: format it once


def canonical(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def seal(envelopes: Envelope | Sequence[Envelope], key: Ed25519PrivateKey) -> bytes:
    """The signed wire bytes of one envelope or a bundle of envelopes (one origin)."""
    items = [envelopes] if isinstance(envelopes, Envelope) else list(envelopes)
    if not items:
        raise ShareError("nothing to seal")
    if len({e.origin for e in items}) != 1:
        raise ShareError("a bundle carries one origin")
    bodies = [e.body() for e in items]
    sig = key.sign(canonical(bodies))
    return orjson.dumps({"v": WIRE_VERSION, "bodies": bodies, "sig": base64.b64encode(sig).decode()})


def open_sealed(wire: bytes, keys: dict[str, Ed25519PublicKey], max_bytes: int) -> list[Envelope]:
    """Parse and verify wire bytes; raises ShareError naming the reason (size, format, origin, signature)."""
    if len(wire) > max_bytes:
        raise ShareError(f"oversized: {len(wire)} bytes > {max_bytes}")
    try:
        obj = orjson.loads(wire)
        if obj.get("v") != WIRE_VERSION:
            raise ShareError(f"unknown envelope version {obj.get('v')!r}")
        bodies = obj["bodies"]
        sig = base64.b64decode(obj["sig"], validate=True)
        origins = {str(b["origin"]) for b in bodies}
    except ShareError:
        raise
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ShareError(f"malformed: {exc}") from exc
    if len(origins) != 1:
        raise ShareError(f"malformed: {len(origins)} origins in one message")
    origin = origins.pop()
    key = keys.get(origin)
    if key is None:
        raise ShareError(f"unknown origin {origin!r}")
    try:
        key.verify(sig, canonical(bodies))
    except InvalidSignature as exc:
        raise ShareError(f"bad signature from {origin!r}") from exc
    try:
        return [Envelope.from_body(b) for b in bodies]
    except (KeyError, TypeError, ValueError) as exc:
        raise ShareError(f"malformed body: {exc}") from exc


# --- keys ------------------------------------------------------------------------------------------
def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_text(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def public_key_to_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as exc:
        raise ConfigError(f"invalid Ed25519 public key (want base64 of 32 raw bytes): {exc}") from exc


def private_key_from_text(text: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as exc:
        raise ConfigError(f"invalid Ed25519 private key (want base64 of 32 raw bytes): {exc}") from exc


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """A private key file: base64 of the 32 raw bytes (as written by `seawatch node --keygen`)."""
    try:
        return private_key_from_text(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read private key {path}: {exc}") from exc
