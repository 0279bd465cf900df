"""Envelopes: every shared item travels with its origin, sequence, time, releasability, sealed to its
one recipient and signed by its origin.

Wire form (JSON, version 2):
`{"v": 2, "from": "bb", "to": "tt", "epk": b64, "nonce": b64, "ct": b64, "sig": b64}`.
- `ct` is the bundle of envelope bodies (`[{origin, seq, time, kind, rel, payload}, ...]`, orjson)
  encrypted with ChaCha20-Poly1305 under a key agreed by X25519 between a fresh ephemeral key (`epk`)
  and the recipient's key, through HKDF-SHA256; the header (`v`, `from`, `to`, `epk`) is the AEAD's
  associated data. Only the recipient can read it: the broker's operator sees origin, recipient, kind
  (in the subject), size and time, nothing of the payload.
- `sig` is the origin's Ed25519 signature over the canonical header and ciphertext (sorted keys, no
  whitespace), so any change to any byte, or a re-addressing, breaks it; a receiver checks the signature
  before it decrypts anything.
- Each node has one key: its Ed25519 signing key. Its X25519 key is derived from it the way libsodium
  (and age's ssh-ed25519 recipients) do: the private scalar from SHA-512 of the seed, the public point
  by the Edwards-to-Montgomery map of the Ed25519 public key. Partners' existing public keys therefore
  suffice to seal to them; no second key to exchange.
Bundles (many items in one message, one origin, one recipient) divide signing, sealing and broker cost.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from seawatch.errors import ConfigError, ShareError
from seawatch.timeutil import iso_utc, parse_utc

WIRE_VERSION = 2
_P25519 = 2**255 - 19


@dataclass(frozen=True, slots=True)
class Releasability:
    """Who may see an item, whether they may pass it on, and how long they may keep it."""

    recipients: tuple[str, ...]
    may_reshare: bool = False
    retention_s: float = 7 * 86400.0
    # when it may be re-shared: the limits every node it passed through put on it, first the originator's
    # (`SharePolicy.onward_limits`: delay, areas, fields, precision, jitter); a re-sharer applies them all
    limits: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "recipients": list(self.recipients),
            "may_reshare": self.may_reshare,
            "retention_s": self.retention_s,
        }
        if self.limits:
            out["limits"] = list(self.limits)
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Releasability:
        limits = obj.get("limits") or ()
        if not isinstance(limits, list | tuple) or not all(isinstance(x, dict) for x in limits):
            raise ValueError("releasability limits must be a list of objects")
        return cls(
            recipients=tuple(str(r) for r in obj["recipients"]),
            may_reshare=bool(obj["may_reshare"]),
            retention_s=float(obj["retention_s"]),
            limits=tuple(dict(x) for x in limits),
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


def _header(origin: str, recipient: str, epk: bytes) -> dict[str, Any]:
    return {"v": WIRE_VERSION, "from": origin, "to": recipient, "epk": base64.b64encode(epk).decode()}


def _aead_key(shared: bytes, epk: bytes, recipient_pub: bytes, aad: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=epk + recipient_pub, info=b"seawatch-seal-v2" + aad).derive(shared)


def seal(
    envelopes: Envelope | Sequence[Envelope],
    key: Ed25519PrivateKey,
    recipient: str,
    recipient_key: Ed25519PublicKey,
) -> bytes:
    """The wire bytes of one envelope or a bundle (one origin), readable only by `recipient`."""
    items = [envelopes] if isinstance(envelopes, Envelope) else list(envelopes)
    if not items:
        raise ShareError("nothing to seal")
    if len({e.origin for e in items}) != 1:
        raise ShareError("a bundle carries one origin")
    plaintext = orjson.dumps([e.body() for e in items])
    ephemeral = X25519PrivateKey.generate()
    epk = ephemeral.public_key().public_bytes_raw()
    their = box_public_key(recipient_key)
    header = _header(items[0].origin, recipient, epk)
    aad = canonical(header)
    nonce = os.urandom(12)
    secret = _aead_key(ephemeral.exchange(their), epk, their.public_bytes_raw(), aad)
    ct = ChaCha20Poly1305(secret).encrypt(nonce, plaintext, aad)
    signed = {**header, "nonce": base64.b64encode(nonce).decode(), "ct": base64.b64encode(ct).decode()}
    sig = key.sign(canonical(signed))
    return orjson.dumps({**signed, "sig": base64.b64encode(sig).decode()})


def open_sealed(
    wire: bytes,
    keys: dict[str, Ed25519PublicKey],
    max_bytes: int,
    me: str,
    my_key: Ed25519PrivateKey,
) -> list[Envelope]:
    """Check size, format, origin, signature and address, then decrypt; raises ShareError naming why."""
    if len(wire) > max_bytes:
        raise ShareError(f"oversized: {len(wire)} bytes > {max_bytes}")
    try:
        obj = orjson.loads(wire)
        if not isinstance(obj, dict) or obj.get("v") != WIRE_VERSION:
            raise ShareError(f"unknown envelope version {obj.get('v') if isinstance(obj, dict) else None!r}")
        origin, recipient = str(obj["from"]), str(obj["to"])
        epk = base64.b64decode(obj["epk"], validate=True)
        nonce = base64.b64decode(obj["nonce"], validate=True)
        ct = base64.b64decode(obj["ct"], validate=True)
        sig = base64.b64decode(obj["sig"], validate=True)
    except ShareError:
        raise
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ShareError(f"malformed: {exc}") from exc
    key = keys.get(origin)
    if key is None:
        raise ShareError(f"unknown origin {origin!r}")
    signed = {k: obj[k] for k in ("v", "from", "to", "epk", "nonce", "ct")}
    try:
        key.verify(sig, canonical(signed))
    except InvalidSignature as exc:
        raise ShareError(f"bad signature from {origin!r}") from exc
    if recipient != me:
        raise ShareError(f"sealed to {recipient!r}, not to {me!r}")
    header = _header(origin, recipient, epk)
    aad = canonical(header)
    mine = box_private_key(my_key)
    try:
        secret = _aead_key(
            mine.exchange(X25519PublicKey.from_public_bytes(epk)),
            epk,
            mine.public_key().public_bytes_raw(),
            aad,
        )
        bodies = orjson.loads(ChaCha20Poly1305(secret).decrypt(nonce, ct, aad))
    except (InvalidTag, ValueError, orjson.JSONDecodeError) as exc:
        raise ShareError(f"cannot decrypt from {origin!r}: {type(exc).__name__}") from exc
    try:
        envelopes = [Envelope.from_body(b) for b in bodies]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ShareError(f"malformed body: {exc}") from exc
    if not envelopes or any(e.origin != origin for e in envelopes):
        raise ShareError(f"bundle from {origin!r} carries another origin's items")
    return envelopes


# --- the X25519 key of a node's Ed25519 key (libsodium's conversion) -------------------------------
def box_private_key(key: Ed25519PrivateKey) -> X25519PrivateKey:
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return X25519PrivateKey.from_private_bytes(hashlib.sha512(seed).digest()[:32])  # X25519 clamps it


@functools.lru_cache(maxsize=1024)
def _montgomery_u(ed_public: bytes) -> bytes:
    y = int.from_bytes(ed_public, "little") & ((1 << 255) - 1)
    if y >= _P25519 or y == 1:
        raise ConfigError("not a usable Ed25519 public key")
    u = (1 + y) * pow(1 - y, _P25519 - 2, _P25519) % _P25519
    return u.to_bytes(32, "little")


def box_public_key(key: Ed25519PublicKey) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_montgomery_u(key.public_bytes_raw()))


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
