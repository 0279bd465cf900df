from __future__ import annotations

from datetime import UTC, datetime

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


def test_seal_open_round_trip() -> None:
    key = generate_key()
    wire = seal(_env(), key)
    [env] = open_sealed(wire, {"bb": key.public_key()}, 65536)
    assert env == _env()
    assert env.payload == _env().payload
    bundle = open_sealed(seal([_env(1), _env(2), _env(3)], key), {"bb": key.public_key()}, 65536)
    assert [e.seq for e in bundle] == [1, 2, 3]


def test_tampered_payload_and_releasability_rejected() -> None:
    key = generate_key()
    obj = orjson.loads(seal(_env(), key))
    obj["bodies"][0]["payload"]["lat"] = 14.0
    with pytest.raises(ShareError, match="signature"):
        open_sealed(orjson.dumps(obj), {"bb": key.public_key()}, 65536)
    obj = orjson.loads(seal(_env(), key))
    obj["bodies"][0]["rel"]["recipients"] = ["tt", "jm"]
    with pytest.raises(ShareError, match="signature"):
        open_sealed(orjson.dumps(obj), {"bb": key.public_key()}, 65536)


def test_forged_unknown_oversized_malformed() -> None:
    key, other = generate_key(), generate_key()
    with pytest.raises(ShareError, match="signature"):
        open_sealed(seal(_env(), other), {"bb": key.public_key()}, 65536)
    with pytest.raises(ShareError, match="unknown origin"):
        open_sealed(seal(_env(), key), {"tt": key.public_key()}, 65536)
    with pytest.raises(ShareError, match="oversized"):
        open_sealed(seal(_env(), key), {"bb": key.public_key()}, 50)
    with pytest.raises(ShareError, match="malformed"):
        open_sealed(b"{not json", {"bb": key.public_key()}, 65536)
    obj = orjson.loads(seal([_env(1), _env(2)], key))
    del obj["bodies"][1]  # dropping an item from a bundle breaks the signature too
    with pytest.raises(ShareError, match="signature"):
        open_sealed(orjson.dumps(obj), {"bb": key.public_key()}, 65536)


def test_key_text_round_trip() -> None:
    key = generate_key()
    again = private_key_from_text(private_key_to_text(key))
    pub = public_key_from_text(public_key_to_text(key.public_key()))
    pub.verify(again.sign(b"x"), b"x")
