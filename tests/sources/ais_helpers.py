"""Helpers shared by the AIS source tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from seawatch.model.observation import Rejected
from seawatch.sources.ais_bulk import BulkDecodeResult, decode_bytes
from seawatch.sources.nmea import DecodedAis, NmeaAisDecoder

TRAILER = re.compile(r"^(.*?\*[0-9A-Fa-f]{2})")


def live_decode(lines: list[str], enforce_checksum: bool = True) -> list[DecodedAis | Rejected]:
    decoder = NmeaAisDecoder(source="test", enforce_checksum=enforce_checksum)
    out: list[DecodedAis | Rejected] = []
    for i, line in enumerate(lines, start=1):
        out.extend(decoder.feed_decoded(line, line_no=i))
    out.extend(decoder.flush())
    return out


def bulk_decode(lines: list[str], enforce_checksum: bool = True, fast: bool = True) -> BulkDecodeResult:
    return decode_bytes(
        "\n".join(lines).encode() + b"\n", "test", enforce_checksum=enforce_checksum, fast=fast
    )


def strip_trailer(line: str) -> str:
    m = TRAILER.match(line)
    return m.group(1) if m else line


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same Python type (so 1 != 1.0 != True)."""
    return a == b and type(a) is type(b)


def records_equal(x: dict[str, Any], y: dict[str, Any]) -> bool:
    return x.keys() == y.keys() and all(same_value(x[k], y[k]) for k in x)
