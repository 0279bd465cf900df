from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from seawatch.errors import ShareError
from seawatch.share.envelope import (
    Envelope,
    Releasability,
    generate_key,
    open_sealed,
    private_key_from_text,
    private_key_to_text,
    public_key_from_text,
    public_key_to_text,
    seal,
)


def _env(seq: int = 1) -> Envelope:
    return Envelope(
        origin="bb",
        seq=seq,
        time=datetime(2026, 1, 1, tzinfo=UTC),
        kind="track",
        releasability=Releasability(("tt",), False, 3600.0),
        payload={"lat": 13.1, "lon": -59.6, "track_id": "r1"},
    )


BB, TT = generate_key(), generate_key()
KEYS = {"bb": BB.public_key()}


def _open(wire: bytes, keys: dict[str, Any] = KEYS, max_bytes: int = 65536) -> list[Envelope]:
    return open_sealed(wire, keys, max_bytes, "tt", TT)


def test_seal_open_round_trip() -> None:
    wire = seal(_env(), BB, "tt", TT.public_key())
    [env] = _open(wire)
    assert env == _env()
    assert env.payload == _env().payload
    bundle = _open(seal([_env(1), _env(2), _env(3)], BB, "tt", TT.public_key()))
    assert [e.seq for e in bundle] == [1, 2, 3]


def test_sealed_payload_unreadable_without_recipient_key() -> None:
    wire = seal(_env(), BB, "tt", TT.public_key())
    assert b"track_id" not in wire and b"13.1" not in wire and b"payload" not in wire
    jm = generate_key()
    with pytest.raises(ShareError, match="sealed to 'tt'"):
        open_sealed(wire, KEYS, 65536, "jm", jm)
    obj = orjson.loads(wire)
    obj["to"] = "jm"  # re-addressing breaks the signature
    with pytest.raises(ShareError, match="signature"):
        open_sealed(orjson.dumps(obj), KEYS, 65536, "jm", jm)
    with pytest.raises(ShareError, match="decrypt"):  # the right address, the wrong private key
        open_sealed(wire, KEYS, 65536, "tt", jm)


def test_tampered_ciphertext_rejected() -> None:
    obj = orjson.loads(seal(_env(), BB, "tt", TT.public_key()))
    ct = bytearray(base64.b64decode(obj["ct"]))
    ct[5] ^= 1
    obj["ct"] = base64.b64encode(bytes(ct)).decode()
    with pytest.raises(ShareError, match="signature"):
        _open(orjson.dumps(obj))


def test_forged_unknown_oversized_malformed() -> None:
    other = generate_key()
    with pytest.raises(ShareError, match="signature"):
        _open(seal(_env(), other, "tt", TT.public_key()))
    with pytest.raises(ShareError, match="unknown origin"):
        _open(seal(_env(), BB, "tt", TT.public_key()), {"jm": BB.public_key()})
    with pytest.raises(ShareError, match="oversized"):
        _open(seal(_env(), BB, "tt", TT.public_key()), max_bytes=50)
    with pytest.raises(ShareError, match="malformed"):
        _open(b"{not json")
    with pytest.raises(ShareError, match="version"):
        _open(b'{"v": 1, "bodies": [], "sig": ""}')


def test_key_text_round_trip() -> None:
    key = generate_key()
    again = private_key_from_text(private_key_to_text(key))
    pub = public_key_from_text(public_key_to_text(key.public_key()))
    pub.verify(again.sign(b"x"), b"x")
