r"""NMEA 4.10 tag blocks: `\s:station,c:epoch*hh\` in front of a sentence.

Fields used: `c:` receiver time (UNIX seconds; 13-digit values are taken as milliseconds),
`s:` source station, `g:` sentence group `num-total-id`. Other fields are kept as text.
The checksum after `*` (XOR of the characters between the backslash and `*`) is verified when
present; a tag block without `*hh` is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from seawatch.timeutil import utc_from_epoch

MS_EPOCH_THRESHOLD = 100_000_000_000  # c: values above this are milliseconds


class TagBlockError(ValueError):
    """A tag block that cannot be trusted; `reason` is the short code for the rejects."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TagBlock:
    raw: str
    received_at: datetime | None = None
    station: str | None = None
    group: tuple[int, int, int] | None = None  # (sentence number, total, group id)
    fields: dict[str, str] = field(default_factory=dict)


def xor_checksum(data: bytes) -> int:
    """XOR of all bytes (the NMEA checksum), folding the bytes as one big integer: halves are XORed
    lane by lane until one byte is left, in log2(len) big-integer steps."""
    value = int.from_bytes(data, "big")
    n_bytes = len(data)
    while n_bytes > 1:
        half = n_bytes // 2
        value = (value >> (8 * half)) ^ (value & ((1 << (8 * half)) - 1))
        n_bytes -= half
    return value


def split_tag_block(line: bytes) -> tuple[bytes | None, bytes]:
    """(`tag block content` or None, rest of the line). Raises TagBlockError when unterminated."""
    if not line.startswith(b"\\"):
        return None, line
    end = line.find(b"\\", 1)
    if end < 0:
        raise TagBlockError("bad_tag_block", "tag block not terminated by a backslash")
    return line[1:end], line[end + 1 :]


_CACHE: dict[bytes, TagBlock] = {}
_CACHE_MAX = 4096


def parse_tag_block(content: bytes) -> TagBlock:
    """Parse and verify the content between the backslashes. Raises TagBlockError."""
    cached = _CACHE.get(content)
    if cached is not None:
        return cached
    star = content.rfind(b"*")
    body = content if star < 0 else content[:star]
    if star >= 0:
        given = content[star + 1 :].strip()
        try:
            expected = int(given, 16)
        except ValueError as exc:
            raise TagBlockError("bad_tag_block", f"tag block checksum {given!r} is not hex") from exc
        if len(given) != 2 or expected != xor_checksum(body):
            raise TagBlockError("tag_block_checksum", "tag block checksum mismatch")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise TagBlockError("bad_tag_block", "non-ASCII tag block") from exc
    fields: dict[str, str] = {}
    for part in text.split(","):
        if not part:
            continue
        key, sep, value = part.partition(":")
        if not sep or not key:
            raise TagBlockError("bad_tag_block", f"tag block field {part!r} has no key")
        fields[key] = value
    received_at = None
    if "c" in fields:
        try:
            epoch = float(fields["c"])
        except ValueError as exc:
            raise TagBlockError("bad_tag_block", f"tag block time c:{fields['c']!r} is not a number") from exc
        if epoch > MS_EPOCH_THRESHOLD:
            epoch /= 1000.0
        try:
            received_at = utc_from_epoch(epoch)
        except (OverflowError, OSError, ValueError) as exc:
            raise TagBlockError("bad_tag_block", f"tag block time c:{fields['c']!r} out of range") from exc
    group = None
    if "g" in fields:
        parts = fields["g"].split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise TagBlockError("bad_tag_block", f"tag block group g:{fields['g']!r} is not num-total-id")
        group = (int(parts[0]), int(parts[1]), int(parts[2]))
    block = TagBlock(
        raw=text, received_at=received_at, station=fields.get("s") or None, group=group, fields=fields
    )
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[content] = block
    return block
