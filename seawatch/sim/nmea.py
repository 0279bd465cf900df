"""NMEA 0183 writing helpers: checksums, tag blocks, and a vectorised AIS encoder for position reports
(types 1 and 18) that is byte-identical to pyais's `encode_dict` (checked by the tests) but runs on whole
numpy arrays. Static reports (types 5 and 24) are encoded with pyais once per vessel."""

from __future__ import annotations

from functools import reduce
from operator import xor
from typing import Any

import numpy as np
from pyais.encode import encode_dict


def checksum(body: str) -> str:
    return f"{reduce(xor, body.encode('ascii'), 0):02X}"


def sentence(body: str) -> str:
    """`$` + body + `*hh` with the correct checksum."""
    return f"${body}*{checksum(body)}"


def tag_block(station: str, epoch_s: int) -> str:
    body = f"s:{station},c:{epoch_s}"
    return f"\\{body}*{checksum(body)}\\"


def _xor_str(text: str) -> int:
    return reduce(lambda acc, ch: acc ^ ord(ch), text, 0)


def tag_blocks(station: str, epochs: np.ndarray) -> list[str]:
    """Tag blocks for many epochs at once (vectorised checksum of the digits)."""
    epochs = np.asarray(epochs, dtype=np.int64)
    base = _xor_str(f"s:{station},c:")
    digits_xor = np.zeros(len(epochs), dtype=np.int64)
    rest = epochs.copy()
    for _ in range(12):  # epoch seconds have at most 11 digits; leading zeros are not written
        nonzero = rest > 0
        digits_xor[nonzero] ^= (rest[nonzero] % 10) + 48
        rest //= 10
    digits_xor[epochs == 0] = ord("0")
    sums = (digits_xor ^ base).tolist()
    return [f"\\s:{station},c:{e}*{c:02X}\\" for e, c in zip(epochs.tolist(), sums, strict=True)]


def _bits(values: np.ndarray, width: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64) & ((1 << width) - 1)
    shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((v[:, None] >> shifts) & 1).astype(np.uint8)


def _armor(bits: np.ndarray) -> np.ndarray:
    """(N, 168) bits → (N, 28) ASCII codes of the 6-bit armoured payload."""
    six = bits.reshape(len(bits), -1, 6) @ np.array([32, 16, 8, 4, 2, 1], dtype=np.int64)
    return np.where(six < 40, six + 48, six + 56).astype(np.uint8)


def _fields(
    lon: np.ndarray, lat: np.ndarray, sog_kn: np.ndarray, cog_deg: np.ndarray, heading_deg: np.ndarray
) -> tuple[np.ndarray, ...]:
    speed = np.clip(np.trunc(np.asarray(sog_kn, dtype=float) * 10.0), 0, 1022).astype(np.int64)  # as pyais
    lon_i = np.round(np.asarray(lon) * 600_000).astype(np.int64)
    lat_i = np.round(np.asarray(lat) * 600_000).astype(np.int64)
    course = np.clip(np.trunc(np.asarray(cog_deg, dtype=float) * 10.0), 0, 3599).astype(np.int64)
    heading = np.clip(np.round(np.asarray(heading_deg)), 0, 359).astype(np.int64) % 360
    return speed, lon_i, lat_i, course, heading


def encode_positions(
    msg_type: int,
    mmsi: int,
    lon: np.ndarray,
    lat: np.ndarray,
    sog_kn: np.ndarray,
    cog_deg: np.ndarray,
    heading_deg: np.ndarray,
    second: np.ndarray,
    status: np.ndarray,
    channels: np.ndarray,
) -> list[str]:
    """`!AIVDM` sentences for position reports of one vessel: type 1 (class A) or 18 (class B)."""
    n = len(lon)
    if n == 0:
        return []
    speed, lon_i, lat_i, course, heading = _fields(lon, lat, sog_kn, cog_deg, heading_deg)
    full = np.full
    if msg_type == 1:
        parts = [
            (full(n, 1), 6),
            (full(n, 0), 2),
            (full(n, mmsi), 30),
            (np.asarray(status), 4),
            (full(n, 128), 8),
            (speed, 10),
            (full(n, 1), 1),
            (lon_i, 28),
            (lat_i, 27),
            (course, 12),
            (heading, 9),
            (np.asarray(second), 6),
            (full(n, 0), 2),
            (full(n, 0), 3),
            (full(n, 0), 1),
            (full(n, 0), 19),
        ]
    elif msg_type == 18:
        parts = [
            (full(n, 18), 6),
            (full(n, 0), 2),
            (full(n, mmsi), 30),
            (full(n, 0), 8),
            (speed, 10),
            (full(n, 1), 1),
            (lon_i, 28),
            (lat_i, 27),
            (course, 12),
            (heading, 9),
            (np.asarray(second), 6),
            (full(n, 0), 2),
            (full(n, 1), 1),
            (full(n, 0), 1),
            (full(n, 0), 1),
            (full(n, 0), 1),
            (full(n, 0), 1),
            (full(n, 0), 1),
            (full(n, 0), 1),
            (full(n, 0), 20),
        ]
    else:
        raise ValueError(f"vectorised encoder handles types 1 and 18, not {msg_type}")
    bits = np.concatenate([_bits(v, w) for v, w in parts], axis=1)
    payload = _armor(bits)
    payload_xor = np.bitwise_xor.reduce(payload, axis=1).astype(np.int64)
    chan = np.asarray(channels)
    base = {c: _xor_str(f"AIVDM,1,1,,{c},,0") for c in ("A", "B")}
    sums = np.where(chan == "A", base["A"], base["B"]) ^ payload_xor
    texts = payload.view(f"S{payload.shape[1]}").ravel()
    return [
        f"!AIVDM,1,1,,{c},{p.decode()},0*{s:02X}"
        for c, p, s in zip(chan.tolist(), texts.tolist(), sums.tolist(), strict=True)
    ]


def encode_pyais_position(
    msg_type: int,
    mmsi: int,
    lon: float,
    lat: float,
    sog_kn: float,
    cog_deg: float,
    heading_deg: float,
    second: int,
    status: int,
    channel: str,
) -> str:
    """The same report through pyais (reference for the tests)."""
    data: dict[str, Any] = {
        "msg_type": msg_type,
        "mmsi": mmsi,
        "lon": lon,
        "lat": lat,
        "speed": sog_kn,
        "course": cog_deg,
        "heading": round(heading_deg) % 360,
        "second": second,
        "accuracy": 1,
        "maneuver": 0,
    }
    if msg_type == 1:
        data.update(status=status, turn=-128)
    else:
        data.pop("maneuver")
        data.update(cs=1)
    return str(encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel=channel)[0])


def encode_static(data: dict[str, Any], channel: str = "A", seq_id: int | None = None) -> list[str]:
    return [
        str(s)
        for s in encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq_id)
    ]
